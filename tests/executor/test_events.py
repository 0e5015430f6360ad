"""Task events: what the executor writes is what the service reads back as tasks."""

from pathlib import Path

from batchflow_executor.events import EventLog, TaskEvent
from batchflow_service.engines.snakemake.tasks import parse_events, tasks_from_events
from batchflow_service.states import RunState


def test_events_written_by_the_executor_become_the_services_tasks(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.jsonl")
    common = {
        "run_id": "r",
        "batch_job_id": "job-1",
        "rule": "count",
        "jobid": 3,
        "wildcards": {"sample": "a"},
    }
    log.write(TaskEvent(event="submitted", queue="q", **common))
    log.write(TaskEvent(event="running", log_stream="count/1", started_at=1_000, **common))
    log.write(
        TaskEvent(event="failed", status_reason="boom", exit_code=2, stopped_at=5_000, **common)
    )

    [task] = tasks_from_events("r", parse_events((tmp_path / "events.jsonl").read_text()))

    assert (task.id, task.name, task.state) == ("job-1", "count", RunState.EXECUTOR_ERROR)
    assert (task.exit_code, task.reason) == (2, "boom")
    assert task.log_stream == "count/1"  # kept from the running event
    assert task.wildcards == {"sample": "a"}
    assert task.started_at is not None
    assert task.ended_at is not None
    assert (task.ended_at - task.started_at).total_seconds() == 4


def test_a_torn_or_foreign_line_is_skipped_not_fatal() -> None:
    good = TaskEvent(event="submitted", run_id="r", batch_job_id="j", rule="a", jobid=1)
    text = "\n".join([good.to_json(), '{"event": "exploded"}', '{"event": "runn'])

    assert [event.batch_job_id for event in parse_events(text)] == ["j"]
