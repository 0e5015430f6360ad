"""Issue 14's workloads run side by side by three runners, each run against a fresh local AWS
behind a counting proxy (call_proxy.py):

- floor: Snakemake's local executor with the same S3 staging (the default storage provider,
  S3 on the local AWS);
- batchflow: `snakemake --executor batchflow` with the local profile (workflows/profiles/local);
- batchflow-events: the same, with the local AWS sending job state events to an SQS queue
  the executor listens to (when this version of the local AWS has them);
- peer: the official snakemake-executor-plugin-aws-batch, from its own venv (`--peer-venv`).

    bash benchmarks/run.sh [--peer]     # sets up what this needs, then runs it

Writes the results as JSON, prints them as Markdown tables and draws the wall times
(side_by_side_report.py). The chain workload runs twice on the same local AWS: the second
run shows which calls (RegisterJobDefinition) a runner repeats.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import yaml
from call_proxy import CallProxy
from call_tally import Tally
from side_by_side_report import markdown, plot

from batchflow_local.config import LocalAwsConfig, machine_vcpus
from batchflow_local.server import LocalAwsServer

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "workflows" / "profiles" / "local"
WORKFLOWS = Path(__file__).resolve().parent / "workflows"
WORKLOADS = {"fanout": 101, "chain": 15}
"""Workload name -> Snakemake jobs it runs (the `all` rule is local in both)."""
RUNS_PER_WORKLOAD = {"fanout": 1, "chain": 2}
RUNNERS = ("floor", "batchflow", "batchflow-events", "peer")
EVENTS_QUEUE = "batchflow-bench-events"
HAS_EVENTS = "events_queue" in LocalAwsConfig.__dataclass_fields__
PEER_JOB_ROLE = "arn:aws:iam::123456789012:role/batchflow-bench"


class ProxiedLocalAws(LocalAwsServer):
    """A local AWS whose clients and jobs are told to call it through `proxy_endpoint`."""

    def __init__(self, config: LocalAwsConfig, proxy_endpoint: str, job_extras: dict) -> None:
        self.proxy_endpoint = proxy_endpoint
        self.job_extras = job_extras
        super().__init__(config)

    def client_environment(self) -> dict[str, str]:
        return {**super().client_environment(), "AWS_ENDPOINT_URL": self.proxy_endpoint}

    def job_environment(self) -> dict[str, str]:
        return {**super().job_environment(), **self.job_extras}


def start_local_aws(
    workdir: Path, job_extras: dict, events_queue: str | None = None
) -> tuple[CallProxy, ProxiedLocalAws]:
    """The proxy on 127.0.0.1:P, the local AWS on [::1]:P: the Host clients sign
    (127.0.0.1:P) is one the local AWS's host guard accepts, so the proxy relays it as is.
    With `events_queue`, its clients' environment names the queue (the executor reads it)."""
    proxy = CallProxy(upstream_host="::1", upstream_port=0).start_in_thread()
    proxy.upstream = ("::1", proxy.port)
    events = {"events_queue": events_queue} if events_queue else {}
    config = LocalAwsConfig(workdir=workdir, host="::1", port=proxy.port, persist=False, **events)
    server = ProxiedLocalAws(config, proxy.endpoint, job_extras)
    server.start_in_thread()
    return proxy, server


def profile_jobs() -> int:
    return int(yaml.safe_load((PROFILE / "config.yaml").read_text())["jobs"])


def runner_command(runner: str, prefix: str, options: argparse.Namespace) -> list[str]:
    storage = ["--default-storage-provider", "s3", "--default-storage-prefix", prefix]
    if runner == "floor":
        return [sys.executable, "-m", "snakemake", "--cores", str(machine_vcpus()), *storage]
    if runner in ("batchflow", "batchflow-events"):
        command = [sys.executable, "-m", "snakemake", "--profile", str(PROFILE), *storage[2:]]
        return command + options.batchflow_arg
    peer_python = str(options.peer_venv / "bin" / "python")
    return [
        *(peer_python, "-m", "snakemake", "--executor", "aws-batch"),
        *("--aws-batch-region", "us-east-1", "--aws-batch-job-queue", "local"),
        *("--aws-batch-job-role", PEER_JOB_ROLE, "--jobs", str(profile_jobs()), *storage),
    ]


def cpu_seconds(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def run_snakemake(command: list[str], cwd: Path, env: dict, log: Path, timeout: float) -> dict:
    """Runs Snakemake to the end (or kills its process group after `timeout` s)."""
    before_children = cpu_seconds(resource.getrusage(resource.RUSAGE_CHILDREN))
    before_self = cpu_seconds(resource.getrusage(resource.RUSAGE_SELF))
    load = os.getloadavg()[0]
    started = time.monotonic()
    with log.open("w") as output:
        process = subprocess.Popen(
            [*command, "all"], cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        killer = threading.Timer(timeout, os.killpg, (process.pid, signal.SIGKILL))
        killer.start()
        _, status, own = os.wait4(process.pid, 0)
        killer.cancel()
    wall = time.monotonic() - started
    time.sleep(1)  # the local AWS reaps its last job processes
    return {
        "exit_code": os.waitstatus_to_exitcode(status),
        "wall_s": round(wall, 1),
        "cpu_s_snakemake_and_jobs": round(
            cpu_seconds(resource.getrusage(resource.RUSAGE_CHILDREN)) - before_children, 1
        ),
        "cpu_s_snakemake_main": round(cpu_seconds(own), 1),
        "cpu_s_local_aws_and_proxy": round(
            cpu_seconds(resource.getrusage(resource.RUSAGE_SELF)) - before_self, 1
        ),
        "load_average_at_start": round(load, 1),
        "log": str(log),
    }


def measure(runner: str, workload: str, options: argparse.Namespace) -> list[dict]:
    """Every run of `workload` by `runner`, on one fresh local AWS."""
    job_extras = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}
    if runner == "peer":  # its jobs pip-install the S3 plugin: from a local wheelhouse
        job_extras |= {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(options.peer_venv / "wheels")}
        job_extras |= {"PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    records = []
    scratch = tempfile.mkdtemp(prefix=f"{runner}-{workload}-", dir=options.scratch)
    events_queue = EVENTS_QUEUE if runner == "batchflow-events" else None
    proxy, server = start_local_aws(Path(scratch) / "aws", job_extras, events_queue)
    env = {**os.environ, **server.client_environment()}
    if runner == "peer":
        env.pop("PYTHONPATH", None)
    try:
        for run in range(1, RUNS_PER_WORKLOAD[workload] + 1):
            workdir = Path(scratch) / f"run{run}"
            shutil.copytree(WORKFLOWS / workload, workdir)
            prefix = f"s3://batchflow-local/work/bench-{uuid.uuid4().hex[:8]}"
            log = options.results / f"{runner}-{workload}-run{run}.log"
            proxy.take_calls()
            print(f"{runner} {workload} run {run} ...", file=sys.stderr, flush=True)
            record = {"runner": runner, "workload": workload, "run": run}
            command = runner_command(runner, prefix, options)
            record |= run_snakemake(command, workdir, env, log, options.timeout)
            record |= Tally(proxy.take_calls()).summary(WORKLOADS[workload])
            record["cpu_s_per_job"] = round(
                record["cpu_s_snakemake_and_jobs"] / WORKLOADS[workload], 2
            )
            print(f"  {record['wall_s']} s, exit {record['exit_code']}", file=sys.stderr)
            records.append(record)
    finally:
        server.stop()
        proxy.stop()
    return records


def code_label() -> str:
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        described = subprocess.run(
            [git, "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return described.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer", action="store_true", help="also run the aws-batch plugin")
    parser.add_argument("--peer-venv", type=Path, default=ROOT / "benchmarks" / ".peer-venv")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / ".results")
    parser.add_argument("--workload", choices=list(WORKLOADS), action="append")
    parser.add_argument("--runner", choices=RUNNERS, action="append", help="default: all")
    parser.add_argument("--batchflow-arg", action="append", default=[], metavar="ARG",
                        help="an extra Snakemake argument for the batchflow runner")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=1500, help="seconds per run")
    parser.add_argument("--code", default=None, help="what code ran (default: git describe)")
    parser.add_argument(
        "--plot", type=Path, default=ROOT / "docs" / "images" / "benchmark-wall.png"
    )
    options = parser.parse_args()
    options.results.mkdir(parents=True, exist_ok=True)
    options.scratch = Path(tempfile.mkdtemp(prefix="batchflow-bench-"))

    runners = options.runner or [
        runner
        for runner in RUNNERS
        if (options.peer or runner != "peer") and (HAS_EVENTS or runner != "batchflow-events")
    ]
    started = datetime.datetime.now(datetime.UTC)
    code = options.code or code_label()  # before the runs: commits made meanwhile are not it
    records = [
        record
        for workload in options.workload or list(WORKLOADS)
        for runner in runners
        for record in measure(runner, workload, options)
    ]
    results = {
        "date": started.strftime("%Y-%m-%d"),
        "code": code,
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "local_aws_vcpus": machine_vcpus(),
        "peer_jobs": profile_jobs() if "peer" in runners else None,
        "batchflow_args": options.batchflow_arg,
        "runs": records,
    }
    output = options.results / f"side-by-side-{started:%Y%m%dT%H%M%S}.json"
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    plot(results, options.plot)
    print(f"\nresults: {output}\nplot: {options.plot}", file=sys.stderr)
    # Last, since it can take minutes: the aws-batch plugin's jobs each pip-install boto3.
    shutil.rmtree(options.scratch, ignore_errors=True)
    if any(record["exit_code"] != 0 for record in records):
        sys.exit("some runs failed: see their logs in " + str(options.results))


if __name__ == "__main__":
    main()
