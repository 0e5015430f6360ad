"""Batch job names: every job of a run carries the run in its name, so ListJobs finds them."""

import re

INVALID_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_-]+")


def run_job_prefix(run_id: str) -> str:
    """Every job of a run starts with this, so ListJobs' JOB_NAME filter finds them all."""
    return f"bf-{INVALID_NAME_CHARACTERS.sub('-', run_id[:12])}-"


def job_name(rule: str, jobid: int, run_id: str) -> str:
    rest = INVALID_NAME_CHARACTERS.sub("-", f"{rule}-{jobid}").strip("-_") or "job"
    return (run_job_prefix(run_id) + rest)[:128]
