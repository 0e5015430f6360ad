"""Real Snakemake runs: `snakemake --executor batchflow --profile workflows/profiles/local`."""

import json
import math
import time

import pytest

from .workflow_runs import POLL_SECONDS, Run

pytestmark = pytest.mark.slow


def test_scatter_gather_runs_on_local_batch_with_few_api_calls(
    tmp_path, aws_environment, s3, admin, clean_stats
) -> None:
    run = Run("scatter", tmp_path, aws_environment)

    started = time.monotonic()
    result = run.run()
    poll_cycles = math.ceil((time.monotonic() - started) / POLL_SECONDS)

    assert result.returncode == 0, result.stderr[-3000:]
    summary = s3.get_object(Bucket="batchflow-local", Key=f"{run.prefix}/summary.txt")
    assert summary["Body"].read().decode().strip() == "4324"
    squares = s3.list_objects_v2(Bucket="batchflow-local", Prefix=f"{run.prefix}/squares/")
    assert len(squares["Contents"]) == 24
    jobs = 25
    calls = admin.get("/stats").json()["calls"]
    assert calls.get("batch:RegisterJobDefinition", 0) <= 1
    # The 24 squares are one array job, the gather one job.
    assert calls["batch:SubmitJob"] == 2
    # One DescribeJobs per poll cycle for all active jobs (up to 100), however long the run
    # takes on a busy machine; never one per job.
    assert calls["batch:DescribeJobs"] <= poll_cycles + 1
    events = run.events()
    assert sum(e["event"] == "submitted" for e in events) == jobs
    assert sum(e["event"] == "succeeded" for e in events) == jobs
    square = next(e for e in events if e["rule"] == "square" and e["event"] == "succeeded")
    assert square["batch_job_id"].endswith(tuple(f":{i}" for i in range(24)))
    assert set(square["wildcards"]) == {"i"}
    assert square["stopped_at"] >= square["started_at"]
    assert {e["exit_code"] for e in events if e["event"] == "succeeded"} == {0}


def test_a_job_deploys_its_sources_and_runs_in_one_interpreter(
    tmp_path, aws_environment, batch
) -> None:
    run = Run("scatter", tmp_path, aws_environment)

    result = run.run("--batchflow-array-jobs", "off")

    assert result.returncode == 0, result.stderr[-3000:]
    square = next(e for e in run.events() if e["rule"] == "square" and e["event"] == "succeeded")
    assert ":" not in square["batch_job_id"]
    [job] = batch.describe_jobs(jobs=[square["batch_job_id"]])["jobs"]
    command = job["container"]["command"][-1]
    assert command.startswith("python -c ")
    assert command.count("-m snakemake") == 0
    assert "--deploy-sources" in command
    assert "--target-jobs" in command


def test_failing_rule_shows_its_log_tail_and_keeps_the_whole_log(
    tmp_path, aws_environment, batch, bucket_kept
) -> None:
    run = Run("failing", tmp_path, aws_environment)

    result = run.run(
        "--batchflow-tags",
        "project=genomics",
        "--storage-s3-access-key",
        aws_environment["AWS_ACCESS_KEY_ID"],
        "--storage-s3-secret-key",
        aws_environment["AWS_SECRET_ACCESS_KEY"],
    )

    assert result.returncode != 0
    assert "boom: the aligner ran out of reads" in result.stderr
    assert "Essential container in task exited (exit code 1)" in result.stderr
    [saved] = (run.workdir / ".snakemake" / "batchflow" / "logs").glob("align-*.log")
    assert "aligner: reading reads.fq" in saved.read_text()
    [failed] = [e for e in run.events() if e["event"] == "failed"]
    assert failed["exit_code"] == 1
    [job] = batch.describe_jobs(jobs=[failed["batch_job_id"]])["jobs"]
    assert job["tags"]["project"] == "genomics"
    assert job["tags"]["batchflow:rule"] == "align"
    secret = aws_environment["AWS_SECRET_ACCESS_KEY"]
    assert secret not in json.dumps(job), "secrets must not reach the job"


def test_spot_reclaim_is_retried_and_the_workflow_succeeds(
    tmp_path, aws_environment, admin, batch
) -> None:
    run = Run("sleepy", tmp_path, aws_environment)
    process = run.start("--config", "count=1", "seconds=6")
    [running] = run.wait_for_events("running", 1)

    reclaimed = admin.post(f"/jobs/{running['batch_job_id']}/reclaim")
    process.wait(timeout=300)

    assert reclaimed.status_code == 200
    assert process.returncode == 0, run.output()
    job = batch.describe_jobs(jobs=[running["batch_job_id"]])["jobs"][0]
    assert job["status"] == "SUCCEEDED"
    assert job["attempts"][0]["statusReason"].startswith("Host EC2 (instance i-")
    assert len(job["attempts"]) == 2


def test_throttling_a_fifth_of_calls_does_not_fail_the_run(
    tmp_path, aws_environment, admin, faults, clean_stats
) -> None:
    faults(throttle_rate=0.2, seed=11)
    run = Run("sleepy", tmp_path, aws_environment)

    result = run.run("--config", "count=4", "seconds=1", "--seconds-between-status-checks", "1")

    assert result.returncode == 0, result.stderr[-3000:]
    throttled = admin.get("/stats").json()["throttled"]
    assert sum(throttled.values()) > 0
