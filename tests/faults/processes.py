"""Finding a run's processes on this machine, and what of a run is still alive in Batch."""

import os
from itertools import pairwise
from pathlib import Path
from typing import Any

from batchflow_aws.jobnames import run_job_prefix

PROC = Path("/proc")
ACTIVE = {"SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING"}


def command_lines() -> dict[int, list[str]]:
    """Every live process's arguments, by pid."""
    found = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if stat.rpartition(")")[2].split()[0] != "Z" and arguments != [b""]:
            found[int(entry.name)] = [argument.decode(errors="replace") for argument in arguments]
    return found


def snakemake_of(run_id: str) -> int | None:
    """The pid of the Snakemake that plans the run (inside its head job)."""
    for pid, arguments in command_lines().items():
        if _follows(arguments, "--executor", "batchflow") and _follows(
            arguments, "--batchflow-run-id", run_id
        ):
            return pid
    return None


def head_of(run_id: str) -> int | None:
    """The pid of the run's `batchflow head` process."""
    for pid, arguments in command_lines().items():
        if "head" in arguments and _follows(arguments, "--run-id", run_id):
            return pid
    return None


def processes_of(run_id: str) -> list[int]:
    """Every live process that names the run in its arguments or environment."""
    wanted = run_id.encode()
    found = []
    for pid in command_lines():
        try:
            if (
                wanted in (PROC / str(pid) / "environ").read_bytes()
                or wanted in (PROC / str(pid) / "cmdline").read_bytes()
            ):
                found.append(pid)
        except OSError:
            continue
    return [pid for pid in found if pid != os.getpid()]


def active_jobs(batch: Any, run: dict[str, Any]) -> list[str]:
    """The run's head job and rule jobs that Batch still counts as active."""
    named = [{"name": "JOB_NAME", "values": [run_job_prefix(run["id"]) + "*"]}]
    summaries = batch.list_jobs(jobQueue="local", filters=named)["jobSummaryList"]
    ids = [summary["jobId"] for summary in summaries]
    ids += [run["head_job_id"]] if run.get("head_job_id") else []
    described = batch.describe_jobs(jobs=ids)["jobs"] if ids else []
    return [f"{job['jobName']} {job['status']}" for job in described if job["status"] in ACTIVE]


def _follows(arguments: list[str], flag: str, value: str) -> bool:
    return any(
        argument == flag and following == value for argument, following in pairwise(arguments)
    )
