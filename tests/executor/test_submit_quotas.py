"""AWS Batch's SubmitJob quotas, which the local AWS enforces as AWS does: a 300-job fan-out
submitted one Batch job per Snakemake job stays under 50 calls per second, and a request
that would be over 30 KiB still goes out."""

import signal

import pytest

from batchflow_aws.quotas import SUBMIT_JOBS_PER_SECOND

from .test_stopping import STOP_SECONDS, wait_until_none_active
from .workflow_runs import Run

pytestmark = pytest.mark.slow

FAN_OUT = 300


def fan_out_submissions(run: Run, *options: str) -> list[str]:
    """Starts the fan-out, waits for every job's SubmitJob, then stops the run."""
    process = run.start(
        "--config", f"count={FAN_OUT}", "seconds=600", "--batchflow-array-jobs", "off", *options
    )
    try:
        ids = [event["batch_job_id"] for event in run.wait_for_events("submitted", FAN_OUT, 300)]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    return ids


@pytest.mark.usefixtures("clean_stats", "bucket_kept")
def test_the_executor_keeps_under_the_submit_rate_on_its_own(
    tmp_path, aws_environment, admin, batch, local_aws
) -> None:
    assert local_aws.config.submit_jobs_per_second == SUBMIT_JOBS_PER_SECOND
    run = Run("sleepy", tmp_path, aws_environment)

    ids = fan_out_submissions(run)
    stats = admin.get("/stats").json()

    assert len(set(ids)) == FAN_OUT
    assert stats["calls"]["batch:SubmitJob"] == FAN_OUT
    assert stats["throttled"].get("batch:SubmitJob", 0) == 0
    for start in range(0, FAN_OUT, 100):
        wait_until_none_active(batch, ids[start : start + 100], timeout=STOP_SECONDS * 3)


@pytest.mark.usefixtures("clean_stats", "bucket_kept")
def test_without_its_pace_the_burst_is_throttled_and_retried(
    tmp_path, aws_environment, admin, batch
) -> None:
    """The same run allowed 1,000 calls a second: AWS's limit answers some of them with
    TooManyRequestsException, and the executor's retries still submit every job once."""
    run = Run("sleepy", tmp_path, aws_environment)

    ids = fan_out_submissions(
        run, "--batchflow-submit-rate", "1000", "--batchflow-submit-concurrency", "32"
    )
    stats = admin.get("/stats").json()

    assert len(set(ids)) == FAN_OUT
    assert stats["throttled"]["batch:SubmitJob"] > 0
    accepted = stats["calls"]["batch:SubmitJob"] - stats["throttled"]["batch:SubmitJob"]
    assert accepted == FAN_OUT
    for start in range(0, FAN_OUT, 100):
        wait_until_none_active(batch, ids[start : start + 100], timeout=STOP_SECONDS * 3)


@pytest.mark.parametrize("array_jobs", ["on", "off"])
@pytest.mark.usefixtures("bucket_kept")
def test_a_command_too_long_for_submit_job_is_read_from_s3(
    array_jobs, tmp_path, aws_environment, s3
) -> None:
    run = Run("shards", tmp_path, aws_environment)

    result = run.run(
        "--config", "count=1", f"padding={'x' * 32_000}", "--batchflow-array-jobs", array_jobs
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "is too long for SubmitJob, so the job reads it from s3://batchflow-local/" in (
        result.stderr
    )
    body = s3.get_object(Bucket="batchflow-local", Key=f"{run.prefix}/shards/0.txt")["Body"]
    assert body.read().decode().strip() == "shard 0"
