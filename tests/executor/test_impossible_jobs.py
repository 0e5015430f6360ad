"""Jobs that can never run fail within seconds, each with one message that says why."""

import re
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .workflow_runs import ACTIVE, Run

pytestmark = pytest.mark.slow

# Snakemake's start, one submission and a status check at 1 s: well under this on 2 busy cores.
FAST_SECONDS = 60
FOLLOW_UP = "For further error details"


def create_queue(batch: Any, name: str, environment: str, state: str = "ENABLED") -> str:
    try:
        batch.create_job_queue(
            jobQueueName=name,
            state=state,
            priority=1,
            computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}],
        )
    except ClientError as error:
        if "already exists" not in str(error):
            raise
    return name


@pytest.fixture(scope="module")
def fargate_queue(batch: Any) -> str:
    try:
        batch.create_compute_environment(
            computeEnvironmentName="fargate-tasks",
            type="MANAGED",
            computeResources={"type": "FARGATE", "maxvCpus": 4, "subnets": []},
        )
    except ClientError as error:
        if "already exists" not in str(error):
            raise
    return create_queue(batch, "fargate-tasks", "fargate-tasks")


def sized(tmp_path, aws_environment, *config: str, options: tuple[str, ...] = ()) -> tuple:
    """Runs the one-job `sized` workflow; returns the run, its result and its duration."""
    run = Run("sized", tmp_path, aws_environment)
    started = time.monotonic()
    result = run.run(
        "--seconds-between-status-checks", "1", *options, "--config", *config, timeout=300
    )
    return run, result, time.monotonic() - started


def assert_nothing_left_active(run: Run, batch: Any) -> None:
    ids = [event["batch_job_id"] for event in run.events() if event["event"] == "submitted"]
    if ids:
        statuses = [job["status"] for job in batch.describe_jobs(jobs=ids)["jobs"]]
        assert [status for status in statuses if status in ACTIVE] == []


@pytest.mark.parametrize(
    ("config", "expected", "submitted"),
    [
        # The local compute environment has 8 vCPUs (tests/conftest.py) and says so in maxvCpus:
        # refused before SubmitJob.
        ("threads=16", "rule sized asks for 16 vCPUs (threads), but the largest", False),
        # 16384 MiB of memory and no GPUs, which the Batch API does not tell: Batch holds the
        # job with a MISCONFIGURATION reason, and the executor fails it at the next check.
        ("mem_mb=20000", "19074 MiB of memory (mem_mb=20000)", True),
        ("gpu=1", "1 GPU", True),
    ],
    ids=["threads", "memory", "gpu"],
)
def test_a_job_larger_than_the_queue_fails_fast_naming_the_resource(
    config, expected, submitted, tmp_path, aws_environment, batch, bucket_kept
) -> None:
    run, result, seconds = sized(tmp_path, aws_environment, config)

    assert result.returncode != 0
    assert seconds < FAST_SECONDS
    assert expected in result.stderr
    if submitted:
        assert "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT" in result.stderr
        assert "The job was terminated." in result.stderr
    assert any(event["event"] == "submitted" for event in run.events()) == submitted
    assert_nothing_left_active(run, batch)


def test_a_missing_or_disabled_queue_is_one_message_at_start(
    tmp_path, aws_environment, batch
) -> None:
    disabled = create_queue(batch, "disabled-tasks", "local", state="DISABLED")

    for queue, expected in (
        ("no-such-queue", "job queue 'no-such-queue' does not exist in region us-east-1"),
        (disabled, "job queue 'disabled-tasks' in region us-east-1 is DISABLED"),
    ):
        _, result, _ = sized(
            tmp_path / queue, aws_environment, options=("--batchflow-job-queue", queue)
        )

        assert result.returncode != 0
        assert result.stderr.count(expected) == 1, result.stderr[-3000:]
        assert "Error in rule" not in result.stderr


def test_a_rules_missing_queue_is_reported_on_lines_of_its_own(
    tmp_path, aws_environment, bucket_kept
) -> None:
    _, result, _ = sized(tmp_path, aws_environment, "batchflow_queue=no-such-queue")

    assert result.returncode != 0
    assert "job queue 'no-such-queue' does not exist in region us-east-1" in result.stderr
    assert f"--batchflow-region\n{FOLLOW_UP}" in result.stderr


def test_zero_memory_is_refused_by_the_executor_before_submitting(
    tmp_path, aws_environment, bucket_kept
) -> None:
    run, result, _ = sized(tmp_path, aws_environment, "mem_mb=0")

    assert result.returncode != 0
    assert "mem_mb=0 is not a memory a job can have: it must be above 0" in result.stderr
    assert not any(event["event"] == "submitted" for event in run.events())


def test_the_fargate_advice_followed_literally_runs_the_job(
    tmp_path, aws_environment, batch, fargate_queue, bucket_kept
) -> None:
    options = ("--batchflow-job-queue", fargate_queue, "--batchflow-fargate-sizes", "exact")
    _, refused, _ = sized(tmp_path / "first", aws_environment, "mem_mb=3000", options=options)
    advice = re.search(r"use threads=(\d+) and mem_mb=(\d+)", refused.stderr)
    assert refused.returncode != 0
    assert advice is not None, refused.stderr[-3000:]

    threads, mem_mb = advice.groups()
    run, followed, _ = sized(
        tmp_path / "second",
        aws_environment,
        f"threads={threads}",
        f"mem_mb={mem_mb}",
        options=options,
    )

    assert followed.returncode == 0, followed.stderr[-3000:]
    [submitted] = [event for event in run.events() if event["event"] == "submitted"]
    [job] = batch.describe_jobs(jobs=[submitted["batch_job_id"]])["jobs"]
    requirements = {r["type"]: r["value"] for r in job["container"]["resourceRequirements"]}
    assert (requirements["VCPU"], requirements["MEMORY"]) == ("1", "3072")
