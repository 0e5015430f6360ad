"""Nextflow's weblog events as nf-weblog 1.x posts them, and what they mean for a run's tasks.

Every post is `{runName, runId, event, utcTime}` plus either `trace` (a task's trace record:
process_submitted, process_started, process_completed, and error when a task caused it) or
`metadata` (`{parameters, workflow}`: started, completed). A trace's `status` is the task's
(NEW, SUBMITTED, RUNNING, COMPLETED, FAILED, ABORTED; CACHED in trace files), its `exit` is
2147483647 until the task has ended, and its times are epoch milliseconds, 0 until known.
"""

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ...models import Task
from ...states import FINAL_STATES, RunState
from ..ownership import is_batch_job_id

EventName = Literal[
    "started", "process_submitted", "process_started", "process_completed", "error", "completed"
]
TaskStatus = Literal["NEW", "SUBMITTED", "RUNNING", "COMPLETED", "CACHED", "FAILED", "ABORTED"]
TASK_STATES: dict[str, RunState] = {
    "NEW": RunState.QUEUED,
    "SUBMITTED": RunState.QUEUED,
    "RUNNING": RunState.RUNNING,
    "COMPLETED": RunState.COMPLETE,
    "CACHED": RunState.COMPLETE,
    "FAILED": RunState.EXECUTOR_ERROR,
    "ABORTED": RunState.CANCELED,
}
UNKNOWN_EXIT = 2**31 - 1
LAST_MILLISECOND = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z, the last datetime Python has
Millis = int | None
TEXT = 1000


class Trace(BaseModel):
    """The fields of a task's trace record the service uses; the rest are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    task_id: int = Field(ge=0, le=2**63 - 1)
    status: TaskStatus
    process: str = Field(min_length=1, max_length=TEXT)
    name: str = Field(min_length=1, max_length=TEXT)
    tag: str | int | float | None = None
    native_id: str | int | None = None
    executor: str | None = Field(default=None, alias="executorName", max_length=100)
    exit: int | None = Field(default=None, ge=-(2**31), le=UNKNOWN_EXIT)
    attempt: int | None = Field(default=None, ge=1, le=1000)
    error_action: str | None = Field(default=None, max_length=100)
    submit: Millis = Field(default=None, ge=0, le=LAST_MILLISECOND)
    start: Millis = Field(default=None, ge=0, le=LAST_MILLISECOND)
    complete: Millis = Field(default=None, ge=0, le=LAST_MILLISECOND)

    @model_validator(mode="after")
    def _bounded_ids(self) -> "Trace":
        for what, value in (("tag", self.tag), ("native_id", self.native_id)):
            if isinstance(value, str) and len(value) > TEXT:
                raise ValueError(f"trace.{what} is longer than {TEXT} characters")
        if self.on_batch and not is_batch_job_id(str(self.native_id)):
            raise ValueError(
                f"trace.native_id {str(self.native_id)[:100]!r} is not an AWS Batch job id (a UUID)"
            )
        return self

    @property
    def on_batch(self) -> bool:
        """Whether `native_id` is an AWS Batch job id (Nextflow's awsbatch executor)."""
        return self.executor in (None, "awsbatch") and self.native_id is not None


class WorkflowSummary(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    success: bool | None = None
    error_message: str | None = Field(default=None, alias="errorMessage")
    exit_status: int | None = Field(default=None, alias="exitStatus")


class FlowMetadata(BaseModel):
    model_config = ConfigDict(extra="ignore")

    parameters: dict[str, Any] | None = None
    workflow: WorkflowSummary | None = None


class WeblogEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    run_name: str = Field(alias="runName", min_length=1, max_length=256)
    run_id: str = Field(alias="runId", min_length=1, max_length=256)
    event: EventName
    utc_time: datetime = Field(alias="utcTime")
    trace: Trace | None = None
    metadata: FlowMetadata | None = None

    @model_validator(mode="after")
    def _process_events_carry_a_trace(self) -> "WeblogEvent":
        if self.event.startswith("process_") and self.trace is None:
            raise ValueError(f"a {self.event} event must carry the task's trace")
        return self

    def log_line(self) -> str | None:
        """What the event says about the whole run, for the run's log; None for task events."""
        if self.event == "started":
            return f"Nextflow started {self.run_name} (session {self.run_id})"
        if self.event == "error":
            where = ""
            if self.trace is not None:
                where = f" in task {self.trace.name} ({self.trace.task_id}){_exit(self.trace)}"
            return f"Nextflow reported an error{where}"
        if self.event == "completed":
            workflow = self.metadata.workflow if self.metadata else None
            if workflow is None or workflow.success is None:
                return "Nextflow finished"
            line = "Nextflow finished: " + ("success" if workflow.success else "failed")
            if workflow.error_message:
                line += f": {workflow.error_message[:TEXT]}"
            return line
        return None


class EventOutcome(BaseModel):
    run_id: str
    event: EventName
    task_id: str | None = Field(description="The task the event was about, if any")
    applied: bool = Field(
        description="False when the event changed nothing: a repeat, older than what the "
        "service already knows, or about a run that has ended"
    )
    ignored: str | None = Field(
        default=None, description="Why the event was not looked at: the run has ended"
    )


def _exit(trace: Trace) -> str:
    return f", exit status {trace.exit}" if trace.exit not in (None, UNKNOWN_EXIT) else ""


def _moment(millis: Millis) -> datetime | None:
    return datetime.fromtimestamp(millis / 1000, UTC) if millis else None


def _reason(trace: Trace) -> str | None:
    if trace.status == "FAILED":
        reason = f"{trace.name} failed{_exit(trace)}"
        if trace.error_action:
            reason += f"; Nextflow's error strategy: {trace.error_action}"
        return reason
    if trace.status == "ABORTED":
        return f"{trace.name} was aborted: Nextflow stopped the run"
    return None


def task_from_trace(run_id: str, trace: Trace) -> Task:
    return Task(
        id=str(trace.task_id),
        run_id=run_id,
        name=trace.process,
        state=TASK_STATES[trace.status],
        attempt=trace.attempt or 1,
        wildcards={"tag": str(trace.tag)} if trace.tag is not None else {},
        batch_job_id=str(trace.native_id) if trace.on_batch else None,
        exit_code=trace.exit if trace.exit != UNKNOWN_EXIT else None,
        reason=_reason(trace),
        started_at=_moment(trace.start),
        ended_at=_moment(trace.complete),
    )


def _progress(state: RunState) -> int:
    if state in FINAL_STATES:
        return 2
    return 1 if state == RunState.RUNNING else 0


def updated_task(stored: Task | None, reported: Task) -> Task | None:
    """The task to store once an event has reported `reported`, or None if the event is a
    repeat or older than what is stored: events that arrive late or twice never take a task
    back, and a task that has ended stays ended. What the new event leaves out (a job id, a
    start time) is kept from the stored task."""
    if stored is None:
        return reported
    if _progress(reported.state) <= _progress(stored.state):
        return None
    kept = {
        name: getattr(stored, name)
        for name in Task.model_fields
        if getattr(reported, name) is None and getattr(stored, name) is not None
    }
    return reported.model_copy(update=kept)
