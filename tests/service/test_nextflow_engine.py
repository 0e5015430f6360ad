"""The nextflow engine on the local AWS: what a launch stages and submits, and how the run
ends when the head job cannot run Nextflow (this machine has none)."""

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from batchflow_service.app import create_app
from batchflow_service.engines.nextflow.tokens import digest
from batchflow_service.settings import Settings

from .clients import admin_client

BUCKET = "batchflow-local"
FINAL = {"COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"}
HEAD_IMAGE = "registry.example/batchflow/nextflow-head:test"
WEBLOG_URL = re.compile(
    r"^    url = 'http://testserver/nextflow/events/(\w+)\?token=([\w-]+)'$", re.M
)


def settings(**overrides: Any) -> Settings:
    return Settings(
        engines=["nextflow"],
        public_url="http://testserver",
        nextflow_head_image=HEAD_IMAGE,
        task_image="registry.example/batchflow/task:test",
        task_role="arn:aws:iam::123456789012:role/Task",
        reconcile_seconds=0.2,
        **overrides,
    )


@pytest.fixture
def service(aws_environment) -> Iterator[TestClient]:
    with admin_client(create_app(settings())) as client:
        yield client


def wait_for(client: TestClient, run_id: str, predicate, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run = client.get(f"/runs/{run_id}").json()
        if predicate(run):
            return run
        assert time.monotonic() < deadline, f"run {run_id} still {run['state']}"
        time.sleep(0.1)


def staged(s3, key: str) -> bytes:
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def test_a_launch_stages_the_pipeline_its_params_and_a_config_with_the_runs_secret(
    service, s3
) -> None:
    response = service.post(
        "/runs",
        json={"workflow": "variant-calling", "engine": "nextflow", "params": {"samples": ["a"]}},
    )
    run = wait_for(service, response.json()["id"], lambda r: r["head_job_id"])
    prefix = f"runs/{run['id']}"

    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/workflow/")["Contents"]
    params = json.loads(staged(s3, f"{prefix}/params.json"))
    config = staged(s3, f"{prefix}/nextflow.config").decode()
    record = json.loads(staged(s3, f"{prefix}/run.json"))
    [(url_run, token)] = WEBLOG_URL.findall(config)
    stored = service.portal.call(service.app.state.store.get_run, run["id"])

    assert response.status_code == 201
    names = {item["Key"].removeprefix(f"{prefix}/workflow/") for item in listed}
    assert {"main.nf", "nextflow.config", "scripts/summarize.py"} <= names
    assert params == {"samples": ["a"], "outdir": f"s3://{BUCKET}/{prefix}/outputs"}
    assert run["params"] == {"samples": ["a"]}
    assert f"workDir = 's3://{BUCKET}/work/{run['id']}'" in config
    assert "    container = 'registry.example/batchflow/task:test'" in config
    assert "        jobRole = 'arn:aws:iam::123456789012:role/Task'" in config
    assert url_run == run["id"]
    assert stored.weblog_token_sha256 == digest(token)
    assert record["weblog_token_sha256"] == digest(token)
    assert token not in json.dumps(run)


def test_the_head_job_runs_the_nextflow_head_image_with_an_argument_list(service, batch) -> None:
    response = service.post("/runs", json={"workflow": "variant-calling", "engine": "nextflow"})
    run = wait_for(service, response.json()["id"], lambda r: r["head_job_id"])

    [job] = batch.describe_jobs(jobs=[run["head_job_id"]])["jobs"]

    assert job["container"]["image"] == HEAD_IMAGE
    assert job["container"]["command"] == [
        "python3",
        "-m",
        "batchflow_service.engines.nextflow.head",
        f"--prefix=s3://{BUCKET}/runs/{run['id']}",
        f"--run-name=batchflow-{run['id']}",
        "--main-script=main.nf",
    ]
    assert job["tags"]["batchflow:run"] == run["id"]


def test_without_nextflow_in_the_head_image_the_run_fails_saying_so(service) -> None:
    response = service.post("/runs", json={"workflow": "variant-calling", "engine": "nextflow"})

    done = wait_for(service, response.json()["id"], lambda r: r["state"] in FINAL)
    log = service.get(f"/runs/{done['id']}/logs").json()["lines"]

    assert done["state"] == "EXECUTOR_ERROR"
    assert done["reason"].startswith("Nextflow failed (")
    assert "exit code 127" in done["reason"]
    assert any(line.startswith("batchflow nextflow-head: batchflow-") for line in log)
    assert any("cannot start nextflow" in line for line in log)


def test_a_restarted_service_takes_the_runs_events_again(aws_environment, s3) -> None:
    with admin_client(create_app(settings())) as first:
        run_id = first.post(
            "/runs", json={"workflow": "variant-calling", "engine": "nextflow"}
        ).json()["id"]
        wait_for(first, run_id, lambda r: r["head_job_id"])
    [(_, token)] = WEBLOG_URL.findall(staged(s3, f"runs/{run_id}/nextflow.config").decode())
    started = {
        "runName": f"batchflow-{run_id}",
        "runId": "8a3c5e1f-2b7d-4c9e-a1f0-6d2b8e4c7a15",
        "event": "started",
        "utcTime": "2025-11-22T10:00:00Z",
    }

    with admin_client(create_app(settings())) as second:
        wait_for(second, run_id, lambda r: r.get("id") == run_id)  # recovered from S3
        response = second.post(f"/nextflow/events/{run_id}", params={"token": token}, json=started)

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("request_body", "fragment"),
    [
        ({"workflow": "quickstart"}, "workflow quickstart runs with snakemake, not nextflow"),
        ({"workflow": "nope"}, "'nope' is not in the catalog"),
        ({"workflow": "variant-calling", "params": {"outdir": "s3://x/"}}, "set by the service"),
    ],
)
def test_requests_the_engine_cannot_run_are_400(service, request_body, fragment) -> None:
    response = service.post("/runs", json={"engine": "nextflow", **request_body})

    assert response.status_code == 400
    assert fragment in response.json()["msg"]


def test_an_uploaded_pipeline_runs_its_named_main_script(service, s3, batch) -> None:
    response = service.post(
        "/runs",
        data={"workflow": "pipeline/main.nf", "engine": "nextflow"},
        files=[("files", ("pipeline/main.nf", b"workflow { }"))],
    )
    run = wait_for(service, response.json()["id"], lambda r: r["head_job_id"])

    [job] = batch.describe_jobs(jobs=[run["head_job_id"]])["jobs"]

    assert response.status_code == 201
    assert staged(s3, f"runs/{run['id']}/workflow/pipeline/main.nf") == b"workflow { }"
    assert "--main-script=pipeline/main.nf" in job["container"]["command"]


def test_the_engine_needs_the_url_head_jobs_reach_the_service_at(aws_environment) -> None:
    with pytest.raises(ValueError, match="BATCHFLOW_PUBLIC_URL"):
        create_app(Settings(engines=["nextflow"]))
