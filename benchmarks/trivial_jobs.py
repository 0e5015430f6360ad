"""What a trivial job costs: `--jobs` jobs of a rule that runs `echo`, run by
`snakemake --executor batchflow` with the local profile on a local AWS in this process.

    python benchmarks/trivial_jobs.py --jobs 20

Prints the CPU seconds the job processes took in all (their interpreters and Snakemake's
deploy and job steps included; Snakemake's own main process and the local AWS left out), per
job, and the run's wall time. Run it under farm-bench against another checkout
(PYTHONPATH=OTHER/src) to compare two versions side by side.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from batchflow_local.config import LocalAwsConfig
from batchflow_local.server import LocalAwsServer

PROFILE = Path(__file__).resolve().parents[1] / "workflows" / "profiles" / "local"
SNAKEFILE = """
rule all:
    input: expand("parts/{{i}}.txt", i=range({jobs}))

rule part:
    output: "parts/{{i}}.txt"
    shell: "echo {{wildcards.i}} > {{output}}"
"""


def cpu_seconds(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=20)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="batchflow-bench-") as scratch:
        workdir = Path(scratch) / "workflow"
        workdir.mkdir()
        (workdir / "Snakefile").write_text(SNAKEFILE.format(jobs=options.jobs))
        config = LocalAwsConfig(workdir=Path(scratch) / "aws", port=0, persist=False)
        server = LocalAwsServer(config).start_in_thread()
        environment = {**os.environ, **server.client_environment()}
        prefix = f"s3://batchflow-local/work/bench-{uuid.uuid4().hex[:8]}"
        command = [sys.executable, "-m", "snakemake", "--profile", str(PROFILE)]
        command += ["--default-storage-prefix", prefix, "--quiet", "all"]
        before = cpu_seconds(resource.getrusage(resource.RUSAGE_CHILDREN))
        started = time.monotonic()
        try:
            snakemake = subprocess.Popen(
                command, cwd=workdir, env=environment, stdout=subprocess.DEVNULL
            )
            _, status, own = os.wait4(snakemake.pid, 0)
            wall = time.monotonic() - started
            time.sleep(1)  # the local AWS reaps its last job processes
            jobs_cpu = cpu_seconds(resource.getrusage(resource.RUSAGE_CHILDREN)) - before
            jobs_cpu -= cpu_seconds(own)
        finally:
            server.stop()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"snakemake failed (exit {os.waitstatus_to_exitcode(status)})")
    print(
        f"{options.jobs} trivial jobs: {jobs_cpu:.1f} CPU s in the job processes, "
        f"{jobs_cpu / options.jobs:.2f} CPU s per job; snakemake's own process "
        f"{cpu_seconds(own):.1f} CPU s; wall {wall:.1f} s"
    )


if __name__ == "__main__":
    main()
