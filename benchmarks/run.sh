#!/usr/bin/env bash
# Issue 14's benchmarks in one command: the 100-way fan-out and the 3-level chain run by
# Snakemake's local executor with S3 staging (the floor) and by batchflow, each on a fresh
# local AWS behind a counting proxy; then the run service under load (service_load.py).
#
#   bash benchmarks/run.sh            # a few minutes
#   bash benchmarks/run.sh --peer     # also the official aws-batch plugin (adds ~10 minutes)
#   bash benchmarks/run.sh --no-service-load --runner peer --workload chain
#
# Other options go to benchmarks/side_by_side.py (--help). Results: benchmarks/.results/,
# the plot: docs/images/benchmark-wall.png. BATCHFLOW_PYTHON picks the interpreter (default:
# the project's .venv); the code measured is this checkout's src/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${BATCHFLOW_PYTHON:-$root/.venv/bin/python}"
peer_venv="$root/benchmarks/.peer-venv"
results="$root/benchmarks/.results"
mkdir -p "$results"

service_load=yes
peer=no
arguments=()
for argument in "$@"; do
  case "$argument" in
    --no-service-load) service_load=no ;;
    --peer | peer) peer=yes; arguments+=("$argument") ;;
    *) arguments+=("$argument") ;;
  esac
done

"$python" -c "import matplotlib" 2>/dev/null || "$python" -m pip install --quiet "matplotlib>=3.8,<4"

if [[ $peer == yes ]]; then
  # The peer runs from a venv of its own, on the project's Snakemake version. Its jobs
  # pip-install the S3 storage plugin: they get it from a wheelhouse filled here once.
  version="$("$python" -c "import snakemake; print(snakemake.__version__)")"
  if [[ "$("$peer_venv/bin/python" -m snakemake --version 2>/dev/null)" != "$version" ]]; then
    "$python" -m venv "$peer_venv"
    "$peer_venv/bin/pip" install --quiet "snakemake==$version" snakemake-executor-plugin-aws-batch
    "$peer_venv/bin/pip" download --quiet --dest "$peer_venv/wheels" snakemake-storage-plugin-s3
  fi
fi

export PYTHONPATH="$root/src${PYTHONPATH:+:$PYTHONPATH}"
status=0
"$python" "$root/benchmarks/side_by_side.py" --peer-venv "$peer_venv" --results "$results" \
  ${arguments[@]+"${arguments[@]}"} ||
  status=$?

if [[ $service_load == no ]]; then
  :
elif [[ -f "$root/benchmarks/service_load.py" ]]; then
  # SAPPORO=/path/to/sapporo adds Sapporo's list side by side (see service_load.py).
  "$python" "$root/benchmarks/service_load.py" --json "$results/service_load.json" \
    ${SAPPORO:+--sapporo "$SAPPORO"} || status=$?
else
  echo "benchmarks/service_load.py is not there yet: the service endpoints were not measured" >&2
fi
exit "$status"
