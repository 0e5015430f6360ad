"""The executor's status loop: chunked DescribeJobs, failures with logs, missing jobs."""

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.stub import Stubber
from snakemake_interface_executor_plugins.executors.base import SubmittedJobInfo
from throttler import Throttler

from batchflow_aws.calls import AwsCaller
from batchflow_aws.logs import read_log_from
from batchflow_aws.queues import ComputeEnvironment, JobQueue
from batchflow_executor.events import EventLog
from batchflow_executor.executor import Executor
from batchflow_executor.failure_logs import LOG_TAIL_LINES
from batchflow_executor.jobspec import JobSize
from batchflow_executor.live_jobs import LiveJobs
from batchflow_executor.settings import ExecutorSettings

from ..offline_aws import offline_client


class Recorder:
    def __init__(self) -> None:
        self.errors: list[tuple[str, str, list[str]]] = []
        self.successes: list[str] = []


@pytest.fixture
def executor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An Executor's status logic, without a Snakemake workflow around it."""
    monkeypatch.chdir(tmp_path)
    bare = Executor.__new__(Executor)
    bare.settings = ExecutorSettings(job_queue="q", image="i", missing_job_grace=60)
    bare.run_id = "run"
    bare.call = AwsCaller(max_wait_seconds=0.001)
    bare.batch, bare.logs = offline_client("batch"), offline_client("logs")
    bare.events = EventLog(tmp_path / "events.jsonl")
    bare.status_rate_limiter = Throttler(rate_limit=1000, period=1)
    bare.live = LiveJobs(bare._terminate, 2, lambda error: None)
    bare.job_events = None
    bare.recorder = Recorder()
    bare.report_job_success = lambda info: bare.recorder.successes.append(info.external_jobid)
    bare.report_job_error = lambda info, msg=None, aux_logs=(): bare.recorder.errors.append(
        (info.external_jobid, msg, list(aux_logs))
    )
    return bare


def submitted(job_id: str, jobid: int = 1, **aux: Any) -> SubmittedJobInfo:
    job = SimpleNamespace(name="align", jobid=jobid, attempt=1, wildcards=None)
    return SubmittedJobInfo(
        job, external_jobid=job_id, aux={"missing_since": None, "running": False, **aux}
    )


def still_active(executor: Any, jobs: list[SubmittedJobInfo]) -> list[SubmittedJobInfo]:
    async def collect() -> list[SubmittedJobInfo]:
        return [info async for info in executor.check_active_jobs(jobs)]

    return asyncio.run(collect())


def described(job_id: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "jobId": job_id,
        "jobName": "align",
        "jobQueue": "q",
        "status": status,
        "startedAt": 1,
        "jobDefinition": "d",
        **extra,
    }


def test_describe_jobs_asks_for_at_most_100_ids_per_call(executor) -> None:
    jobs = [submitted(f"job-{i}", i) for i in range(250)]
    with Stubber(executor.batch) as stubber:
        for start, stop in ((0, 100), (100, 200), (200, 250)):
            ids = [f"job-{i}" for i in range(start, stop)]
            stubber.add_response(
                "describe_jobs",
                {"jobs": [described(i, "RUNNING") for i in ids]},
                {"jobs": ids},
            )

        active = still_active(executor, jobs)

        stubber.assert_no_pending_responses()
    assert len(active) == 250


def test_succeeded_jobs_are_reported_and_leave_the_active_list(executor) -> None:
    with Stubber(executor.batch) as stubber:
        stubber.add_response(
            "describe_jobs",
            {"jobs": [described("done", "SUCCEEDED", stoppedAt=2), described("busy", "RUNNING")]},
        )
        active = still_active(executor, [submitted("done"), submitted("busy")])

    assert [info.external_jobid for info in active] == ["busy"]
    assert executor.recorder.successes == ["done"]
    events = [json.loads(line) for line in Path("events.jsonl").read_text().splitlines()]
    [succeeded] = [event for event in events if event["event"] == "succeeded"]
    assert (succeeded["batch_job_id"], succeeded["exit_code"]) == ("done", 0)


def test_a_job_batch_can_never_place_fails_at_once_and_is_terminated(executor) -> None:
    reason = (
        "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement "
        "(vCPU/memory/GPU) is higher than that can be met by the CE(s) attached to the job queue."
    )
    queue = JobQueue("local", "ENABLED", "VALID", (ComputeEnvironment("ce", "EC2", 8, "ENABLED"),))
    size = JobSize(1, 38147, memory_asked="mem_mb=40000")
    job = submitted("too-big", size=size, queue=queue)
    executor.live.add("too-big")
    with Stubber(executor.batch) as stubber:
        stubber.add_response(
            "describe_jobs", {"jobs": [described("too-big", "RUNNABLE", statusReason=reason)]}
        )
        stubber.add_response(
            "terminate_job", {}, {"jobId": "too-big", "reason": f"batchflow: {reason}"}
        )

        active = still_active(executor, [job])

        stubber.assert_no_pending_responses()
    [(_, message, _)] = executor.recorder.errors
    assert active == []
    assert len(executor.live) == 0
    assert reason in message
    assert "38147 MiB of memory (mem_mb=40000)" in message
    assert "within the 8 vCPUs" in message
    [event] = [json.loads(line) for line in Path("events.jsonl").read_text().splitlines()]
    assert (event["event"], event["status_reason"]) == ("failed", reason)


def test_a_job_waiting_for_capacity_is_left_waiting(executor) -> None:
    waiting = described(
        "queued", "RUNNABLE", statusReason="CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY"
    )
    with Stubber(executor.batch) as stubber:
        stubber.add_response("describe_jobs", {"jobs": [waiting]})

        active = still_active(executor, [submitted("queued")])

    assert [info.external_jobid for info in active] == ["queued"]
    assert executor.recorder.errors == []


def test_failed_job_error_carries_reason_exit_code_and_log_tail(executor, tmp_path) -> None:
    lines = [f"line {i}" for i in range(LOG_TAIL_LINES + 20)]
    failure = described(
        "bad",
        "FAILED",
        statusReason="Essential container in task exited",
        container={"exitCode": 3, "logStreamName": "batchflow/default/task"},
        attempts=[{}, {}],
    )
    with Stubber(executor.batch) as batch, Stubber(executor.logs) as logs:
        batch.add_response("describe_jobs", {"jobs": [failure]})
        logs.add_response(
            "get_log_events",
            {
                "events": [{"timestamp": 1, "message": line} for line in lines],
                "nextForwardToken": "f/1",
            },
        )
        logs.add_response("get_log_events", {"events": [], "nextForwardToken": "f/1"})
        active = still_active(executor, [submitted("bad")])

    [(_, message, aux_logs)] = executor.recorder.errors
    assert active == []
    assert "Essential container in task exited (exit code 3) after 2 attempts" in message
    assert f"line {len(lines) - 1}" in message
    assert "    line 19\n" not in message
    assert "    line 20\n" in message
    assert Path(aux_logs[0]).read_text().splitlines() == lines
    assert Path(aux_logs[0]).parent == Path(".snakemake/batchflow/logs")


def test_missing_job_is_polled_within_the_grace_period_then_failed(executor) -> None:
    job = submitted("ghost")
    with Stubber(executor.batch) as stubber:
        stubber.add_response("describe_jobs", {"jobs": []})
        stubber.add_response("describe_jobs", {"jobs": []})

        first = still_active(executor, [job])
        executor.settings.missing_job_grace = 0
        second = still_active(executor, [job])

    assert first == [job]
    assert second == []
    [(_, message, _)] = executor.recorder.errors
    assert "was not found by DescribeJobs for 0 s" in message


def test_a_log_is_read_on_from_where_the_last_read_stopped(executor) -> None:
    with Stubber(executor.logs) as logs:
        logs.add_response(
            "get_log_events",
            {"events": [{"timestamp": 1, "message": "one"}], "nextForwardToken": "f/1"},
        )
        logs.add_response("get_log_events", {"events": [], "nextForwardToken": "f/1"})
        logs.add_response(
            "get_log_events",
            {"events": [{"timestamp": 2, "message": "two"}], "nextForwardToken": "f/2"},
            {"logGroupName": "g", "logStreamName": "s", "startFromHead": True, "nextToken": "f/1"},
        )
        logs.add_response("get_log_events", {"events": [], "nextForwardToken": "f/2"})

        first = read_log_from(executor.logs, executor.call, "g", "s", None)
        second = read_log_from(executor.logs, executor.call, "g", "s", first[1])

    assert first == (["one"], "f/1")
    assert second == (["two"], "f/2")
