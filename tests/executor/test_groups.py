"""Snakemake's job groups on `--executor batchflow`: each group job is one AWS Batch job."""

import re
import uuid
from typing import Any

import pytest

from batchflow_aws.jobnames import run_job_prefix
from batchflow_service.engines.snakemake.tasks import parse_events, tasks_from_events

from .workflow_runs import Run

pytestmark = pytest.mark.slow

PER_SAMPLE = "per_sample_count_fetch_shout"  # Snakemake's name for the group: id and rules


def batch_jobs_of(batch: Any, run_id: str) -> list[dict[str, Any]]:
    """Every Batch job of this run, found by the name prefix its run id gives it."""
    prefix = run_job_prefix(run_id)
    listed = batch.list_jobs(
        jobQueue="local", filters=[{"name": "JOB_NAME", "values": [f"{prefix}*"]}]
    )["jobSummaryList"]
    ids = [job["jobId"] for job in listed]
    return batch.describe_jobs(jobs=ids)["jobs"] if ids else []


def read(s3: Any, run: Run, key: str) -> str:
    body = s3.get_object(Bucket="batchflow-local", Key=f"{run.prefix}/{key}")["Body"]
    return body.read().decode()


def test_a_job_group_of_chained_rules_runs_as_one_batch_job(
    tmp_path, aws_environment, s3, batch
) -> None:
    run = Run("grouped", tmp_path, aws_environment)
    run_id = uuid.uuid4().hex

    result = run.run("--batchflow-run-id", run_id)

    assert result.returncode == 0, result.stderr[-3000:]
    assert read(s3, run, "report.txt").split("\n") == ["A 2", "B 2", ""]
    jobs = batch_jobs_of(batch, run_id)
    assert sorted(job["tags"]["batchflow:rule"] for job in jobs) == [PER_SAMPLE] * 2 + ["report"]
    for job in (job for job in jobs if job["tags"]["batchflow:rule"] == PER_SAMPLE):
        assert job["status"] == "SUCCEEDED"
        assert job["jobName"].endswith(job["tags"]["batchflow:job"])  # the group's UUID
        requirements = {r["type"]: r["value"] for r in job["container"]["resourceRequirements"]}
        assert requirements["VCPU"] == "2"  # the most threads any of its rules asks for
        command = job["container"]["command"][-1]
        assert command.startswith("python -c ")
        assert "-m snakemake" not in command
        assert "--local-groupid" in command
    tasks = tasks_from_events(run_id, parse_events(run.events_file.read_text()))
    group_tasks = [task for task in tasks if task.name == PER_SAMPLE]
    assert len(group_tasks) == 2
    assert {task.state for task in tasks} == {"COMPLETE"}
    submitted = [e for e in run.events() if e["event"] == "submitted" and e["group"]]
    assert {e["group"] for e in submitted} == {"per_sample"}
    members = sorted(
        (m["rule"], m["wildcards"]["sample"]) for e in submitted for m in e["group_jobs"]
    )
    assert members == sorted((r, s) for r in ("fetch", "shout", "count") for s in "ab")


def test_group_components_pack_independent_jobs_of_one_rule_into_few_batch_jobs(
    tmp_path, aws_environment, s3, batch
) -> None:
    run = Run("scatter", tmp_path, aws_environment)
    run_id = uuid.uuid4().hex

    result = run.run(
        "--batchflow-run-id",
        run_id,
        "--groups",
        "square=squares",
        "--group-components",
        "squares=8",
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert read(s3, run, "summary.txt").strip() == "4324"
    jobs = batch_jobs_of(batch, run_id)
    rules = sorted(job["tags"]["batchflow:rule"] for job in jobs)
    assert rules == ["gather"] + ["squares_square"] * 3  # 24 square jobs in 3 Batch jobs
    packed = [e for e in run.events() if e["event"] == "succeeded" and e["group"] == "squares"]
    shards = sorted(int(m["wildcards"]["i"]) for e in packed for m in e["group_jobs"])
    assert shards == list(range(24))


def test_a_failing_rule_inside_a_group_fails_the_run_with_its_log_tail(
    tmp_path, aws_environment, s3, batch, bucket_kept
) -> None:
    run = Run("grouped", tmp_path, aws_environment)
    run_id = uuid.uuid4().hex

    result = run.run("--batchflow-run-id", run_id, "--config", "fail_at=shout")

    assert result.returncode != 0
    assert "Essential container in task exited (exit code 1)" in result.stderr
    assert re.search(r"Last \d+ lines of its log", result.stderr)
    assert "returned non-zero exit status 4" in result.stderr  # the group's log says so
    [failed] = [e for e in run.events() if e["event"] == "failed"]
    assert failed["rule"] == PER_SAMPLE
    assert {m["wildcards"]["sample"] for m in failed["group_jobs"]} == {"b"}
    [saved] = (run.workdir / ".snakemake" / "batchflow" / "logs").glob(f"{PER_SAMPLE}-*.log")
    assert "shout: sample b is broken" in saved.read_text()
    statuses = sorted(job["status"] for job in batch_jobs_of(batch, run_id))
    assert statuses == ["FAILED", "SUCCEEDED"]  # sample a's group; the report never started
