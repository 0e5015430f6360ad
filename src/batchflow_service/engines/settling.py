"""The end of tasks whose head job did not live to report it: a head stopped by a signal, or
killed, leaves tasks the store still shows as running; once the run's jobs have ended, each such
task takes its end from Batch, so a finished run shows no task still running."""

from datetime import UTC, datetime
from typing import Any

from ..models import Run, Task
from ..states import RunState

GONE = "AWS Batch no longer knows this task's job"


def settled(run: Run, task: Task, job: dict[str, Any] | None) -> Task | None:
    """The task as its ended Batch job (`None`: unknown to Batch) says it ended; None while
    the job is still active."""
    if job is None:
        return task.model_copy(update={"state": RunState.SYSTEM_ERROR, "reason": GONE})
    status = job["status"]
    if status not in ("SUCCEEDED", "FAILED"):
        return None
    if status == "SUCCEEDED":
        state = RunState.COMPLETE
    elif run.state == RunState.CANCELING:
        state = RunState.CANCELED
    else:
        state = RunState.EXECUTOR_ERROR
    exit_code = (job.get("container") or {}).get("exitCode")
    stopped = job.get("stoppedAt")
    return task.model_copy(
        update={
            "state": state,
            "exit_code": 0 if status == "SUCCEEDED" else exit_code,
            "reason": task.reason if status == "SUCCEEDED" else job.get("statusReason"),
            "ended_at": datetime.fromtimestamp(stopped / 1000, UTC) if stopped else task.ended_at,
        }
    )
