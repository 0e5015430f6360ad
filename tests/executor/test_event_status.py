"""A real Snakemake run that hears of its jobs' ends from the local AWS's events queue."""

import statistics
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from batchflow_local.server import LocalAwsServer

from ..conftest import aws_client
from .workflow_runs import Run

pytestmark = pytest.mark.slow


def detection_lags(events: list[dict[str, Any]]) -> list[float]:
    """Seconds from each job's end (Batch's stoppedAt) to the executor learning of it (the
    time of its `succeeded` task event)."""
    return [
        datetime.fromisoformat(event["time"]).timestamp() - event["stopped_at"] / 1000
        for event in events
        if event["event"] == "succeeded"
    ]


def test_a_run_with_events_hears_of_ends_within_a_second_and_seldom_describes(
    tmp_path: Path, events_aws: LocalAwsServer
) -> None:
    environment = events_aws.client_environment()
    sqs = aws_client(events_aws, "sqs")
    sqs.purge_queue(QueueUrl=environment["SNAKEMAKE_BATCHFLOW_EVENTS_QUEUE"])
    run = Run("shards", tmp_path, environment)
    described_before = events_aws.local.calls["batch:DescribeJobs"]
    started = time.monotonic()

    # Polling alone would hear of a job's end 15 s after it, on average, at this interval.
    result = run.run(
        "--config", "count=6", "bad=3", "--keep-going", "--seconds-between-status-checks", "30"
    )

    wall_seconds = time.monotonic() - started
    assert result.returncode != 0
    assert "job status from the events in" in result.stderr
    # The failure report comes from the event: reason, exit code and log tail.
    assert "shard 3: corrupt input" in result.stderr
    assert "Essential container in task exited (exit code 1)" in result.stderr
    events = run.events()
    assert {e["wildcards"]["i"] for e in events if e["event"] == "succeeded"} == {
        "0",
        "1",
        "2",
        "4",
        "5",
    }
    lags = detection_lags(events)
    assert statistics.median(lags) <= 1.5, sorted(lags)
    # Polling every second (the local profile) makes one DescribeJobs call a second; events
    # leave only the sweep of jobs quiet for 60 s.
    described = events_aws.local.calls["batch:DescribeJobs"] - described_before
    assert described <= 0.1 * wall_seconds, (described, wall_seconds)
