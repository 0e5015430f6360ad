"""Batch job names: every job of a run carries the run in its name, so ListJobs finds them."""

import re

INVALID_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_-]+")
MAX_NAME = 128


def run_job_prefix(run_id: str) -> str:
    """Every job of a run starts with this, so ListJobs' JOB_NAME filter finds them all."""
    return f"bf-{INVALID_NAME_CHARACTERS.sub('-', run_id[:12])}-"


def job_name(rule: str, jobid: int | str, run_id: str) -> str:
    """`bf-<run>-<rule>-<job id>`. A job group's `rule` is its group id and the names of its
    rules, its job id a UUID: a long name loses the end of `rule`, never the job id, so two
    jobs of one run never share a name."""
    suffix = INVALID_NAME_CHARACTERS.sub("-", str(jobid)).strip("-_")
    prefix = run_job_prefix(run_id)
    room = MAX_NAME - len(prefix) - len(suffix) - 1
    label = INVALID_NAME_CHARACTERS.sub("-", rule)[: max(room, 0)].strip("-_")
    rest = "-".join(part for part in (label, suffix) if part) or "job"
    return (prefix + rest)[:MAX_NAME]
