"""Alike ready jobs go out as one array job: one SubmitJob call, and each child still a
Snakemake job of its own, with its own status, log, Spot retries and cancellation."""

import secrets
import signal

import pytest

from .test_stopping import STOP_SECONDS, wait_until_none_active
from .workflow_runs import Run

pytestmark = pytest.mark.slow


def manifests_left(s3, run: Run) -> list[str]:
    listed = s3.list_objects_v2(Bucket="batchflow-local", Prefix=f"{run.prefix}/.batchflow/")
    return [item["Key"] for item in listed.get("Contents", [])]


def test_alike_jobs_are_one_array_job_and_each_child_is_its_own_job(
    tmp_path, aws_environment, batch, s3
) -> None:
    run = Run("shards", tmp_path, aws_environment)

    result = run.run("--config", "count=6")

    assert result.returncode == 0, result.stderr[-3000:]
    submitted = [e for e in run.events() if e["event"] == "submitted"]
    parents = {e["batch_job_id"].partition(":")[0] for e in submitted}
    assert len(submitted) == 6
    assert len(parents) == 1
    [parent] = batch.describe_jobs(jobs=list(parents))["jobs"]
    assert parent["arrayProperties"]["size"] == 6
    assert parent["container"]["command"][3] == "--inline", "six commands fit in the request"
    assert parent["status"] == "SUCCEEDED"
    by_shard = {e["wildcards"]["i"]: e["batch_job_id"] for e in submitted}
    for shard, job_id in by_shard.items():
        body = s3.get_object(Bucket="batchflow-local", Key=f"{run.prefix}/shards/{shard}.txt")
        assert body["Body"].read().decode().strip() == f"shard {shard}"
        [child] = batch.describe_jobs(jobs=[job_id])["jobs"]
        assert child["status"] == "SUCCEEDED"
    assert manifests_left(s3, run) == [], "the run's manifests are deleted when it ends"


def test_an_array_whose_commands_do_not_fit_inline_reads_them_from_s3(
    tmp_path, aws_environment, batch, s3
) -> None:
    run = Run("shards", tmp_path, aws_environment)

    result = run.run("--config", "count=3", f"padding={secrets.token_hex(6000)}")

    assert result.returncode == 0, result.stderr[-3000:]
    submitted = [e for e in run.events() if e["event"] == "submitted"]
    [parent_id] = {e["batch_job_id"].partition(":")[0] for e in submitted}
    [parent] = batch.describe_jobs(jobs=[parent_id])["jobs"]
    assert parent["container"]["command"][3] == "batchflow-local"
    assert parent["container"]["command"][4].startswith(f"{run.prefix}/.batchflow/arrays/")
    assert parent["status"] == "SUCCEEDED"
    assert manifests_left(s3, run) == []


def test_a_failed_child_fails_only_its_own_job_with_its_own_log_tail(
    tmp_path, aws_environment, batch
) -> None:
    run = Run("shards", tmp_path, aws_environment)

    result = run.run("--config", "count=5", "bad=3", "--keep-going")

    assert result.returncode != 0
    assert "shard 3: corrupt input" in result.stderr
    for other in ("0", "1", "2", "4"):
        assert f"shard {other}:" not in result.stderr
    events = run.events()
    [failed] = [e for e in events if e["event"] == "failed"]
    assert failed["wildcards"] == {"i": "3"}
    assert failed["exit_code"] == 1  # Snakemake's own exit code for a failed rule
    assert ":" in failed["batch_job_id"]
    succeeded = {e["wildcards"]["i"] for e in events if e["event"] == "succeeded"}
    assert succeeded == {"0", "1", "2", "4"}
    assert (run.workdir / "shards" / "3.txt").exists() is False


def test_a_reclaimed_child_is_retried_alone_and_the_run_succeeds(
    tmp_path, aws_environment, admin, batch
) -> None:
    run = Run("shards", tmp_path, aws_environment)
    process = run.start("--config", "count=3", "seconds=6")
    running = run.wait_for_events("running", 1)[0]

    reclaimed = admin.post(f"/jobs/{running['batch_job_id']}/reclaim")
    process.wait(timeout=300)

    assert reclaimed.status_code == 200, reclaimed.text
    assert process.returncode == 0, run.output()
    assert ":" in running["batch_job_id"]
    [child] = batch.describe_jobs(jobs=[running["batch_job_id"]])["jobs"]
    assert child["status"] == "SUCCEEDED"
    assert child["attempts"][0]["statusReason"].startswith("Host EC2 (instance i-")
    assert len(child["attempts"]) == 2
    others = [e["batch_job_id"] for e in run.events() if e["event"] == "succeeded"]
    others.remove(running["batch_job_id"])
    assert [len(job["attempts"]) for job in batch.describe_jobs(jobs=others)["jobs"]] == [1, 1]


def test_sigint_terminates_every_child_through_its_parent(tmp_path, aws_environment, batch) -> None:
    run = Run("shards", tmp_path, aws_environment)
    process = run.start("--config", "count=4", "seconds=600")
    ids = [event["batch_job_id"] for event in run.wait_for_events("submitted", 4)]
    run.wait_for_events("running", 1)

    process.send_signal(signal.SIGINT)
    children = wait_until_none_active(batch, ids, timeout=STOP_SECONDS)
    process.wait(timeout=STOP_SECONDS)

    assert process.returncode == 1, run.output()
    assert {child["status"] for child in children} == {"FAILED"}
    [parent] = batch.describe_jobs(jobs=[ids[0].partition(":")[0]])["jobs"]
    assert parent["status"] == "FAILED"


@pytest.mark.parametrize(
    "option",
    [("--batchflow-array-jobs", "off"), ("--batchflow-array-min-size", "4")],
    ids=["array jobs off", "fewer than the minimum size"],
)
def test_one_job_per_snakemake_job_when_no_array_is_wanted(
    option, tmp_path, aws_environment, admin, clean_stats
) -> None:
    run = Run("shards", tmp_path, aws_environment)

    result = run.run("--config", "count=3", *option)

    assert result.returncode == 0, result.stderr[-3000:]
    assert admin.get("/stats").json()["calls"]["batch:SubmitJob"] == 3
    assert all(":" not in e["batch_job_id"] for e in run.events())
