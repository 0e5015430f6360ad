"""nf-weblog events as the service reads them, and what they make of a run's tasks."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from batchflow_service.engines.nextflow.events import (
    UNKNOWN_EXIT,
    WeblogEvent,
    task_from_trace,
    updated_task,
)
from batchflow_service.states import RunState

DATA = Path(__file__).with_name("data")


def recorded(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / f"weblog-{name}.jsonl").read_text().splitlines()]


def trace(**fields) -> dict:
    return {
        "task_id": 6,
        "status": "SUBMITTED",
        "process": "ALIGN",
        "name": "ALIGN (sample1)",
        "tag": "sample1",
        "native_id": "0d6f1c8e-1f7a-4b43-9d2c-6a0e1c2b3d4e",
        "executorName": "awsbatch",
        "exit": UNKNOWN_EXIT,
        "attempt": 1,
        "submit": 1763805600400,
        "start": 0,
        **fields,
    }


def event(kind: str = "process_submitted", **fields) -> WeblogEvent:
    body = {
        "runName": "batchflow-x",
        "runId": "8a3c5e1f-2b7d-4c9e-a1f0-6d2b8e4c7a15",
        "event": kind,
        "utcTime": "2025-11-22T10:00:00Z",
        "trace": trace(**fields),
    }
    return WeblogEvent.model_validate(body)


def test_every_recorded_event_is_read() -> None:
    events = [WeblogEvent.model_validate(body) for body in recorded("variant-calling")]

    assert events[0].event == "started"
    assert events[-1].event == "completed"
    assert events[-1].metadata.workflow.success is True
    assert {e.trace.process for e in events if e.trace} == {
        "REFERENCE",
        "READS",
        "FASTQC",
        "INDEX_REFERENCE",
        "ALIGN",
        "CALL",
        "SUMMARY",
    }


def test_a_submitted_task_is_queued_with_its_batch_job_and_no_exit_code() -> None:
    task = task_from_trace("run", event().trace)

    assert (task.id, task.name, task.state) == ("6", "ALIGN", RunState.QUEUED)
    assert task.batch_job_id == "0d6f1c8e-1f7a-4b43-9d2c-6a0e1c2b3d4e"
    assert task.wildcards == {"tag": "sample1"}
    assert task.exit_code is None
    assert task.started_at is None


@pytest.mark.parametrize(
    ("status", "exit_code", "state", "reason"),
    [
        ("RUNNING", UNKNOWN_EXIT, RunState.RUNNING, None),
        ("COMPLETED", 0, RunState.COMPLETE, None),
        ("CACHED", 0, RunState.COMPLETE, None),
        ("FAILED", 1, RunState.EXECUTOR_ERROR, "ALIGN (sample1) failed, exit status 1"),
        ("ABORTED", UNKNOWN_EXIT, RunState.CANCELED, "ALIGN (sample1) was aborted"),
    ],
)
def test_trace_status_and_exit_become_task_state(status, exit_code, state, reason) -> None:
    task = task_from_trace("run", event(status=status, exit=exit_code).trace)

    assert task.state == state
    assert task.exit_code == (None if exit_code == UNKNOWN_EXIT else exit_code)
    assert (task.reason or "").startswith(reason or "")
    assert (task.reason is None) == (reason is None)


def test_times_are_epoch_milliseconds_and_zero_means_not_yet() -> None:
    task = task_from_trace(
        "run", event(status="COMPLETED", exit=0, start=1763805618900, complete=1763805625100).trace
    )

    assert task.started_at == datetime(2025, 11, 22, 10, 0, 18, 900000, tzinfo=UTC)
    assert task.ended_at == datetime(2025, 11, 22, 10, 0, 25, 100000, tzinfo=UTC)


def test_a_local_process_id_is_not_taken_for_a_batch_job() -> None:
    task = task_from_trace("run", event(executorName="local", native_id=4242).trace)

    assert task.batch_job_id is None


@pytest.mark.parametrize(
    "native_id", ["../other", "job-1", 42, "0d6f1c8e1f7a4b439d2c6a0e1c2b3d4e", "arn:aws:batch:x"]
)
def test_an_awsbatch_native_id_that_is_no_batch_job_id_is_refused(native_id) -> None:
    with pytest.raises(ValidationError, match="is not an AWS Batch job id"):
        event(native_id=native_id)


def test_batch_job_ids_of_plain_and_array_jobs_are_taken() -> None:
    plain = "0D6F1C8E-1F7A-4B43-9D2C-6A0E1C2B3D4E"
    child = "0d6f1c8e-1f7a-4b43-9d2c-6a0e1c2b3d4e:17"

    assert task_from_trace("run", event(native_id=plain).trace).batch_job_id == plain
    assert task_from_trace("run", event(native_id=child).trace).batch_job_id == child
    assert task_from_trace("run", event(native_id=None).trace).batch_job_id is None


def test_a_failed_attempt_names_nextflows_error_strategy() -> None:
    task = task_from_trace("run", event(status="FAILED", exit=137, error_action="RETRY").trace)

    assert (
        task.reason == "ALIGN (sample1) failed, exit status 137; Nextflow's error strategy: RETRY"
    )


def test_a_task_never_goes_back_and_an_ended_task_stays_ended() -> None:
    submitted = task_from_trace("run", event().trace)
    running = task_from_trace("run", event(status="RUNNING", start=1763805618900).trace)
    failed = task_from_trace("run", event(status="FAILED", exit=1).trace)

    assert updated_task(None, submitted) == submitted
    assert updated_task(submitted, running) == running
    assert updated_task(running, submitted) is None
    assert updated_task(running, running) is None
    assert updated_task(failed, running) is None
    assert updated_task(failed, task_from_trace("run", event(status="COMPLETED").trace)) is None


def test_what_a_later_event_leaves_out_is_kept() -> None:
    running = task_from_trace("run", event(status="RUNNING", start=1763805618900).trace)
    bare = task_from_trace(
        "run", event(status="COMPLETED", exit=0, start=0, native_id=None, tag=None).trace
    )

    done = updated_task(running, bare)

    assert done is not None
    assert done.state == RunState.COMPLETE
    assert done.started_at == running.started_at
    assert done.batch_job_id == running.batch_job_id


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"event": "process_exploded"}, "event"),
        ({"trace": None}, "must carry the task's trace"),
        ({"trace": trace(status="SLEEPING")}, "trace.status"),
        ({"trace": trace(task_id=-1)}, "trace.task_id"),
        ({"trace": trace(submit=10**20)}, "trace.submit"),
        ({"trace": trace(name="x" * 5000)}, "trace.name"),
        ({"trace": trace(tag="x" * 5000)}, "trace.tag"),
        ({"runName": ""}, "runName"),
        ({"utcTime": "yesterday"}, "utcTime"),
    ],
)
def test_malformed_events_are_refused_naming_the_field(change, fragment) -> None:
    body = {
        "runName": "batchflow-x",
        "runId": "r",
        "event": "process_started",
        "utcTime": "2025-11-22T10:00:00Z",
        "trace": trace(),
        **change,
    }

    with pytest.raises(ValidationError) as caught:
        WeblogEvent.model_validate(body)

    assert fragment in str(caught.value)


def test_run_events_become_log_lines() -> None:
    failing = [WeblogEvent.model_validate(body) for body in recorded("variant-calling-failing")]

    lines = [e.log_line() for e in failing if e.log_line()]

    assert lines[0].startswith("Nextflow started batchflow-")
    assert lines[1] == "Nextflow reported an error in task CALL (sample2) (10), exit status 1"
    assert lines[2].startswith("Nextflow finished: failed: Error executing process > 'CALL")
    assert len(lines) == 3
