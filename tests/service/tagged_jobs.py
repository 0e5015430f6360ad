"""Jobs on the session's local Batch, tagged as a run's own the way the head job, the
executor and Nextflow tag theirs."""

from typing import Any

JOB_DEFINITION = "tagged-test-job"


def submit_job(batch: Any, command: list[str], run_id: str | None = None) -> str:
    """A job running `command`, tagged `batchflow:run` = run_id (untagged if None)."""
    batch.register_job_definition(
        jobDefinitionName=JOB_DEFINITION,
        type="container",
        containerProperties={
            "image": "none",
            "resourceRequirements": [
                {"type": "VCPU", "value": "1"},
                {"type": "MEMORY", "value": "64"},
            ],
        },
    )
    return batch.submit_job(
        jobName=JOB_DEFINITION,
        jobQueue="local",
        jobDefinition=JOB_DEFINITION,
        containerOverrides={"command": command},
        tags={"batchflow:run": run_id} if run_id else {},
    )["jobId"]
