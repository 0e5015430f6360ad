"""Task events: what the executor writes is what the service reads back as tasks."""

from pathlib import Path

from batchflow_executor.events import EventLog, GroupMember, TaskEvent
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


def test_a_job_groups_events_become_one_task_naming_its_rule_jobs(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.jsonl")
    group = {
        "run_id": "r",
        "batch_job_id": "job-9",
        "rule": "per_sample_count_fetch",
        "jobid": "5c9d08f8-9ab1-5f70-993b-b343beb11a79",  # a group's id is a UUID
        "group": "per_sample",
        "group_jobs": [
            GroupMember("fetch", 4, {"sample": "a"}),
            GroupMember("count", 2, {"sample": "a"}),
        ],
    }
    log.write(TaskEvent(event="submitted", **group))
    log.write(TaskEvent(event="succeeded", exit_code=0, **group))

    events = parse_events((tmp_path / "events.jsonl").read_text())
    [task] = tasks_from_events("r", events)

    assert (task.name, task.state) == ("per_sample_count_fetch", RunState.COMPLETE)
    assert events[-1].jobid == group["jobid"]
    assert [member.rule for member in events[-1].group_jobs] == ["fetch", "count"]
