#!/usr/bin/env bash
# Installs everything the test suite needs into .venv, checks lint and format, runs pytest.
# Extra arguments go to pytest: bash tests/run.sh -k local -x
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "batchflow needs Python 3.11 or newer; $python is $("$python" --version 2>&1)" >&2
    exit 1
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,infra]'

# checkov pins an old `packaging`, so it gets a venv of its own; tests/infra runs it on the
# synthesized template (BATCHFLOW_CHECKOV points elsewhere if you have one).
checkov_version=3.3.30
installed=$(.venv-checkov/bin/python -c 'import importlib.metadata as m; print(m.version("checkov"))' \
    2>/dev/null || true)
if [ "$installed" = "$checkov_version" ]; then
    echo "checkov $checkov_version is already in .venv-checkov"
else
    echo "installing checkov $checkov_version into .venv-checkov (found: ${installed:-none})"
    [ -x .venv-checkov/bin/python ] || "$python" -m venv .venv-checkov
    .venv-checkov/bin/python -m pip install --quiet --disable-pip-version-check \
        "checkov==$checkov_version"
fi

.venv/bin/ruff check src tests infra benchmarks hatch_build.py
.venv/bin/ruff format --check src tests infra benchmarks hatch_build.py

# The dashboard: the pip install above ran `npm ci` and its build (hatch_build.py); its own
# lint (ESLint, tsc) and unit tests (Vitest) run here, its browser tests under pytest.
if command -v npm >/dev/null; then
    (cd frontend && npm run --silent lint && npm run --silent test)
elif [ "${CI:-}" = true ]; then
    echo "npm is not on PATH: the dashboard cannot be built, linted or tested" >&2
    exit 1
else
    echo "npm is not on PATH: skipping the dashboard's lint, unit and browser tests" >&2
fi
if command -v npm >/dev/null && [ ! tests/service/oidc/node_modules/.package-lock.json -nt tests/service/oidc/package-lock.json ]; then npm ci --prefix tests/service/oidc --no-audit --no-fund --silent; fi
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
exec .venv/bin/pytest "$@"
