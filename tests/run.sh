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

.venv/bin/ruff check src tests infra
.venv/bin/ruff format --check src tests infra
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
exec .venv/bin/pytest "$@"
