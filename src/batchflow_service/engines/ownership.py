"""Which Batch jobs are a run's: every job of a run carries the tag `batchflow:run` = the run's
id (the head job from the service, Snakemake's rule jobs from the executor, Nextflow's task
jobs from `process.resourceLabels`). A job id a run's task names (reported by the head job,
which runs the workflow's code, or by a weblog token holder) is trusted only once DescribeJobs
shows that tag."""

import re
from typing import Any

RUN_TAG = "batchflow:run"
# A Batch job id is a UUID; an array job's child adds `:INDEX`.
JOB_ID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(:[0-9]{1,5})?", re.IGNORECASE
)


def is_batch_job_id(value: str) -> bool:
    return JOB_ID.fullmatch(value) is not None


def belongs_to(job: dict[str, Any], run_id: str) -> bool:
    """Whether a DescribeJobs job is one of this run's."""
    return (job.get("tags") or {}).get(RUN_TAG) == run_id


def log_stream(job: dict[str, Any], reported: str | None = None) -> str | None:
    """The job's CloudWatch log stream: `reported` if it is one of the job's own (an earlier
    attempt's), else the latest attempt's; None before the job has one."""
    latest = (job.get("container") or {}).get("logStreamName")
    streams = {
        (attempt.get("container") or {}).get("logStreamName")
        for attempt in job.get("attempts") or []
    } | {latest}
    if reported and reported in streams:
        return reported
    return latest
