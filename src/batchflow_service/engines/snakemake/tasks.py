"""The run's tasks, from the executor's task events that the head job publishes to S3."""

from dataclasses import replace
from datetime import UTC, datetime

from pydantic import TypeAdapter, ValidationError

from batchflow_executor.events import TaskEvent

from ...models import Task
from ...states import RunState

EVENT_FILE = "events.jsonl"
EVENT_STATES = {
    "submitted": RunState.QUEUED,
    "running": RunState.RUNNING,
    "succeeded": RunState.COMPLETE,
    "failed": RunState.EXECUTOR_ERROR,
}
EVENTS = TypeAdapter(TaskEvent)


def parse_events(text: str) -> list[TaskEvent]:
    """The events of an events file; a line that is not one (a torn last write) is skipped."""
    events = []
    for line in text.splitlines():
        try:
            events.append(EVENTS.validate_json(line))
        except ValidationError:
            continue
    return events


def _from_ms(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, UTC) if value else None


def _exit_code(event: TaskEvent) -> int | None:
    """A Batch job SUCCEEDS only when its container exits 0, so a succeeded task's exit code is
    0 even when the event does not say so (or an earlier attempt's failure said otherwise)."""
    if event.event == "succeeded":
        return 0
    return event.exit_code


def tasks_from_events(run_id: str, events: list[TaskEvent]) -> list[Task]:
    """One task per Batch job, as its latest event leaves it; fields a later event lacks (the
    log stream, the start time) keep their earlier values."""
    merged: dict[str, TaskEvent] = {}
    for event in events:
        if not event.batch_job_id:
            continue
        earlier = merged.get(event.batch_job_id)
        if earlier is not None:
            event = replace(earlier, **{k: v for k, v in vars(event).items() if v is not None})
        merged[event.batch_job_id] = event
    return [
        Task(
            id=event.batch_job_id,
            run_id=run_id,
            name=event.rule,
            state=EVENT_STATES[event.event],
            attempt=event.attempt,
            wildcards=event.wildcards,
            batch_job_id=event.batch_job_id,
            exit_code=_exit_code(event),
            reason=event.status_reason,
            log_stream=event.log_stream,
            started_at=_from_ms(event.started_at),
            ended_at=_from_ms(event.stopped_at),
        )
        for event in merged.values()
    ]
