"""Real Snakemake runs: `snakemake --executor batchflow --profile workflows/profiles/local`."""

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
PROFILE = REPOSITORY / "workflows" / "profiles" / "local"
WORKFLOWS = Path(__file__).parent / "workflows"
ACTIVE = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING")
POLL_SECONDS = 5  # the local profile's seconds-between-status-checks

pytestmark = pytest.mark.slow


class Run:
    """One workflow copied to a fresh directory, run with the local profile."""

    def __init__(self, name: str, tmp_path: Path, environment: dict[str, str]) -> None:
        self.workdir = tmp_path / name
        shutil.copytree(WORKFLOWS / name, self.workdir)
        self.prefix = f"work/{name}-{uuid.uuid4().hex[:8]}"
        self.events_file = self.workdir / "events.jsonl"
        base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.environment = {**base, **environment}

    def command(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "snakemake",
            "--profile",
            str(PROFILE),
            "--default-storage-prefix",
            f"s3://batchflow-local/{self.prefix}",
            "--batchflow-events-file",
            str(self.events_file),
            *args,
        ]

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args),
            cwd=self.workdir,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Runs in the background; its output goes to `output.log` (a pipe could fill up)."""
        with (self.workdir / "output.log").open("w") as output:
            return subprocess.Popen(
                self.command(*args),
                cwd=self.workdir,
                env=self.environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
            )

    def output(self) -> str:
        return (self.workdir / "output.log").read_text()[-3000:]

    def events(self) -> list[dict[str, Any]]:
        if not self.events_file.exists():
            return []
        return [json.loads(line) for line in self.events_file.read_text().splitlines()]

    def wait_for_events(self, kind: str, count: int, timeout: float = 120) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.events() if e["event"] == kind]
            if len(found) >= count:
                return found
            assert time.monotonic() < deadline, f"only {len(found)} {kind} events after {timeout} s"
            time.sleep(0.2)


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
    assert calls["batch:SubmitJob"] == jobs
    # One DescribeJobs per poll cycle for all active jobs (up to 100), however long the run
    # takes on a busy machine; never one per job.
    assert calls["batch:DescribeJobs"] <= poll_cycles + 1
    events = run.events()
    assert sum(e["event"] == "submitted" for e in events) == jobs
    assert sum(e["event"] == "succeeded" for e in events) == jobs
    square = next(e for e in events if e["rule"] == "square" and e["event"] == "succeeded")
    assert set(square["wildcards"]) == {"i"}
    assert square["stopped_at"] >= square["started_at"]


@pytest.fixture
def bucket_kept(s3) -> Iterator[None]:
    """Snakemake removes a failed job's outputs, and the S3 storage plugin then deletes the
    bucket if that left it empty: put it back for the tests that share it."""
    yield
    buckets = {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}
    if "batchflow-local" not in buckets:
        s3.create_bucket(Bucket="batchflow-local")


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


def test_sigint_leaves_no_job_queued_or_running(tmp_path, aws_environment, batch) -> None:
    run = Run("sleepy", tmp_path, aws_environment)
    process = run.start("--config", "count=3", "seconds=600")
    submitted = run.wait_for_events("submitted", 3)
    run.wait_for_events("running", 1)

    process.send_signal(signal.SIGINT)
    process.wait(timeout=120)

    ids = [event["batch_job_id"] for event in submitted]
    jobs = batch.describe_jobs(jobs=ids)["jobs"]
    assert [job["status"] for job in jobs if job["status"] in ACTIVE] == []
    assert {job["statusReason"] for job in jobs} == {"Cancelled by Snakemake"}
