"""Snakemake runs through the service: a head job and rule jobs on the local AWS, S3 staging."""

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from batchflow_service.app import create_app
from batchflow_service.settings import Settings

from .clients import admin_client
from .serving import FINAL, admin_session, start_serve, wait_for

WORKFLOWS = Path(__file__).resolve().parents[1] / "executor" / "workflows"
ACTIVE_JOB = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING")

pytestmark = pytest.mark.slow


@pytest.fixture
def service(aws_environment) -> Iterator[TestClient]:
    settings = Settings(engines=["snakemake"], reconcile_seconds=0.5, catalog_dir=WORKFLOWS)
    with admin_client(create_app(settings)) as client:
        yield client


def test_quickstart_runs_to_complete_with_its_tasks_outputs_and_log(aws_environment, s3) -> None:
    settings = Settings(engines=["snakemake"], reconcile_seconds=0.5)
    with admin_client(create_app(settings)) as client:
        run = client.post(
            "/runs",
            json={"workflow": "quickstart", "params": {"samples": ["x", "y"], "length": 500}},
        ).json()
        done = wait_for(
            lambda: client.get(f"/runs/{run['id']}").json(), lambda r: r["state"] in FINAL
        )
        tasks = client.get(f"/runs/{run['id']}/tasks").json()["tasks"]
        log = client.get(f"/runs/{run['id']}/logs").json()

    assert run["state"] == "QUEUED"
    assert done["state"] == "COMPLETE", done["reason"]
    assert sorted(t["name"] for t in tasks) == [
        "gc_content",
        "gc_content",
        "simulate",
        "simulate",
        "summary",
    ]
    assert {t["state"] for t in tasks} == {"COMPLETE"}
    summary_uri = next(
        uri for uri in done["outputs"]["files"] if uri.endswith("results/summary.json")
    )
    key = summary_uri.removeprefix("s3://batchflow-local/")
    summary = json.loads(s3.get_object(Bucket="batchflow-local", Key=key)["Body"].read())
    assert [row["sample"] for row in summary["samples"]] == ["x", "y"]
    assert done["outputs"]["prefix"] == f"s3://batchflow-local/runs/{run['id']}/outputs/"
    assert key == f"runs/{run['id']}/outputs/results/summary.json"
    working_copy = f"work/{run['id']}/results/summary.json"
    assert s3.head_object(Bucket="batchflow-local", Key=working_copy)["ContentLength"] > 0
    assert any(line.startswith("batchflow head:") for line in log["lines"])
    assert log["complete"] is True


def test_a_failing_run_ends_executor_error_with_the_failing_task_log_reachable(service) -> None:
    run = service.post("/runs", json={"workflow": "failing"}).json()

    done = wait_for(lambda: service.get(f"/runs/{run['id']}").json(), lambda r: r["state"] in FINAL)
    [task] = service.get(f"/runs/{run['id']}/tasks").json()["tasks"]
    task_log = service.get(f"/runs/{run['id']}/tasks/{task['id']}/logs").json()

    with service.stream("GET", f"/runs/{run['id']}/logs", params={"follow": True}) as stream:
        followed = [line for line in stream.iter_lines() if line]

    assert done["state"] == "EXECUTOR_ERROR"
    assert f"failed tasks: align ({task['id']})" in done["reason"]
    assert followed == [
        line for line in service.get(f"/runs/{run['id']}/logs").json()["lines"] if line
    ]
    assert any(line.startswith("batchflow head:") for line in followed)
    assert task["state"] == "EXECUTOR_ERROR"
    assert "boom: the aligner ran out of reads" in "\n".join(task_log["lines"])


def test_cancel_ends_canceled_with_no_batch_job_left_running(service, batch) -> None:
    run = service.post(
        "/runs", json={"workflow": "sleepy", "params": {"count": 2, "seconds": 600}}
    ).json()
    wait_for(
        lambda: service.get(f"/runs/{run['id']}/tasks").json(),
        lambda page: any(t["state"] == "RUNNING" for t in page["tasks"]),
    )

    response = service.post(f"/runs/{run['id']}/cancel")
    done = wait_for(lambda: service.get(f"/runs/{run['id']}").json(), lambda r: r["state"] in FINAL)

    assert response.json()["state"] == "CANCELING"
    assert done["state"] == "CANCELED"
    tasks = service.get(f"/runs/{run['id']}/tasks").json()["tasks"]
    job_ids = [done["head_job_id"], *(t["batch_job_id"] for t in tasks)]
    statuses = {job["jobId"]: job["status"] for job in batch.describe_jobs(jobs=job_ids)["jobs"]}
    assert [status for status in statuses.values() if status in ACTIVE_JOB] == []


def test_killing_and_restarting_serve_mid_run_loses_nothing(
    aws_environment, tmp_path, free_tcp_port
) -> None:
    port = free_tcp_port
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BATCHFLOW_")},
        "BATCHFLOW_ENGINES": '["snakemake"]',
        "BATCHFLOW_CATALOG_DIR": str(WORKFLOWS),
        "BATCHFLOW_RECONCILE_SECONDS": "0.5",
    }
    log = tmp_path / "serve.log"
    url = f"http://127.0.0.1:{port}"
    first = start_serve(port, environment, log)
    try:
        client = admin_session(url)
        run = client.post(
            "/runs", json={"workflow": "sleepy", "params": {"count": 3, "seconds": 4}}
        ).json()
        wait_for(
            lambda: client.get(f"/runs/{run['id']}/tasks").json(),
            lambda page: any(t["state"] == "RUNNING" for t in page["tasks"]),
        )
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()

    second = start_serve(port, environment, log)
    try:
        # A new process with the in-memory store signs with a new key: log in again.
        client = admin_session(url)
        done = wait_for(
            lambda: client.get(f"/runs/{run['id']}").json(),
            lambda r: r.get("state") in FINAL,
        )
        tasks = client.get(f"/runs/{run['id']}/tasks").json()["tasks"]
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)

    assert done["state"] == "COMPLETE", done.get("reason")
    assert done["owner"] == "admin", "the owner came back from the run's record in S3"
    assert sorted(t["name"] for t in tasks) == ["nap"] * 3
    assert {t["state"] for t in tasks} == {"COMPLETE"}


def test_uploaded_workflow_files_run_through_wes(service) -> None:
    snakefile = (WORKFLOWS / "sleepy" / "Snakefile").read_bytes()

    response = service.post(
        "/ga4gh/wes/v1/runs",
        data={
            "workflow_type": "SMK",
            "workflow_type_version": "9",
            "workflow_url": "pipeline/Snakefile",
            "workflow_params": json.dumps({"count": 2, "seconds": 1}),
        },
        files=[("workflow_attachment", ("pipeline/Snakefile", snakefile))],
    )
    run_id = response.json()["run_id"]
    done = wait_for(
        lambda: service.get(f"/ga4gh/wes/v1/runs/{run_id}").json(),
        lambda r: r["state"] in FINAL,
    )

    assert response.status_code == 200
    assert done["state"] == "COMPLETE"
    assert done["request"]["workflow_url"] == "pipeline/Snakefile"
    assert sum(uri.endswith(".txt") for uri in done["outputs"]["files"]) == 2


def test_the_demo_command_runs_quickstart_end_to_end_and_saves_its_results(tmp_path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BATCHFLOW_"))}

    result = subprocess.run(
        [sys.executable, "-m", "batchflow_cli", "demo"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Run COMPLETE" in result.stdout
    assert '"mean_gc"' in result.stdout
    run_id = result.stdout.split("Submitted run ", 1)[1].split()[0]
    folder = Path("batchflow-results") / run_id
    assert f"Results saved in {folder}\n" in result.stdout
    summary = json.loads((tmp_path / folder / "results" / "summary.json").read_text())
    assert [row["sample"] for row in summary["samples"]] == ["alpha", "beta", "gamma"]
