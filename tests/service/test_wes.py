"""GA4GH WES 1.1 as common clients use it: multipart POST, status polling, URLs for logs."""

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from batchflow_service.app import create_app
from batchflow_service.settings import Settings

from .clients import admin_client

WES = "/ga4gh/wes/v1"
FINAL = {"COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"}


@pytest.fixture
def client(database_url: str | None) -> Iterator[TestClient]:
    settings = Settings(engines=["mock"], max_request_bytes=64 * 1024, database_url=database_url)
    with admin_client(create_app(settings)) as client:
        yield client


def run_workflow(client: TestClient, files: list[tuple[str, Any]] | None = None, **fields: str):
    data = {"workflow_type": "MOCK", "workflow_type_version": "1", "workflow_url": "demo"} | fields
    return client.post(f"{WES}/runs", data=data, files=files or [("nothing", ("", b""))])


def wait_final(client: TestClient, run_id: str) -> str:
    for _ in range(500):
        state = client.get(f"{WES}/runs/{run_id}/status").json()["state"]
        if state in FINAL:
            return state
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} never ended")


def test_a_mock_run_submitted_as_a_form_completes_and_is_described(client) -> None:
    response = run_workflow(
        client,
        workflow_params=json.dumps({"steps": 2, "delay_seconds": 0.01}),
        tags=json.dumps({"project": "wes"}),
    )
    run_id = response.json()["run_id"]

    assert response.status_code == 200
    assert wait_final(client, run_id) == "COMPLETE"
    log = client.get(f"{WES}/runs/{run_id}").json()
    assert log["request"]["workflow_params"] == {"steps": 2, "delay_seconds": 0.01}
    assert log["request"]["tags"] == {"project": "wes"}
    assert log["outputs"]["steps"] == 2
    assert log["run_log"]["start_time"].endswith("Z")
    assert client.get(log["run_log"]["stdout"]).text.splitlines()[-1] == "step-1: done"
    tasks = client.get(log["task_logs_url"]).json()
    assert [t["name"] for t in tasks["task_logs"]] == ["step-0", "step-1"]
    assert tasks["next_page_token"] == ""
    task = client.get(f"{WES}/runs/{run_id}/tasks/{tasks['task_logs'][0]['id']}").json()
    assert task["exit_code"] == 0


def test_outputs_are_never_null(client) -> None:
    run_id = run_workflow(client, workflow_params=json.dumps({"delay_seconds": 5})).json()["run_id"]

    assert client.get(f"{WES}/runs/{run_id}").json()["outputs"] == {}
    client.post(f"{WES}/runs/{run_id}/cancel")
    assert wait_final(client, run_id) == "CANCELED"


def test_runs_page_with_an_empty_token_on_the_last_page(client) -> None:
    ids = [
        run_workflow(client, workflow_params='{"delay_seconds": 0}').json()["run_id"]
        for _ in range(3)
    ]

    first = client.get(f"{WES}/runs", params={"page_size": 2}).json()
    last = client.get(
        f"{WES}/runs", params={"page_size": 2, "page_token": first["next_page_token"]}
    ).json()

    assert [r["run_id"] for r in first["runs"] + last["runs"]] == list(reversed(ids))
    assert last["next_page_token"] == ""
    assert all("tags" in run for run in first["runs"])


def test_service_info_counts_runs_by_state(client) -> None:
    run_id = run_workflow(client, workflow_params='{"delay_seconds": 0}').json()["run_id"]
    wait_final(client, run_id)

    info = client.get(f"{WES}/service-info").json()

    assert info["system_state_counts"]["COMPLETE"] == 1
    assert info["supported_wes_versions"] == ["1.1.0"]
    assert "MOCK" in info["workflow_type_versions"]


def test_workflow_type_aliases_and_unsupported_types(client) -> None:
    assert run_workflow(client, workflow_type="mock").status_code == 200
    nextflow = run_workflow(client, workflow_type="NFL")
    cwl = run_workflow(client, workflow_type="CWL")
    unknown = run_workflow(client, workflow_type="BASH")

    assert nextflow.status_code == 400
    assert "engine 'nextflow' is not enabled" in nextflow.json()["msg"]
    assert cwl.status_code == 400
    assert "not supported here; use SMK (Snakemake) or NFL (Nextflow)" in cwl.json()["msg"]
    assert unknown.status_code == 400


@pytest.fixture
def nextflow_client(aws_environment) -> Iterator[TestClient]:
    settings = Settings(engines=["nextflow", "mock"], public_url="http://testserver")
    with admin_client(create_app(settings)) as client:
        yield client


def test_nfl_runs_go_to_the_nextflow_engine_and_service_info_lists_it(nextflow_client) -> None:
    info = nextflow_client.get(f"{WES}/service-info").json()
    response = run_workflow(
        nextflow_client,
        workflow_type="NFL",
        workflow_type_version="DSL2",
        workflow_url="variant-calling",
        workflow_params=json.dumps({"samples": ["a"]}),
    )
    alias = run_workflow(nextflow_client, workflow_type="nextflow", workflow_url="variant-calling")
    mismatched = run_workflow(
        nextflow_client, workflow_type="NFL", workflow_engine="snakemake", workflow_url="x"
    )
    run_id = response.json()["run_id"]

    assert info["workflow_type_versions"]["NFL"]["workflow_type_version"] == ["DSL2"]
    assert info["workflow_engine_versions"]["nextflow"]["workflow_engine_version"] == ["24.10.2"]
    assert "SMK" not in info["workflow_type_versions"]
    assert response.status_code == 200, response.text
    assert nextflow_client.get(f"/runs/{run_id}").json()["engine"] == "nextflow"
    assert nextflow_client.get(f"{WES}/runs/{run_id}").json()["request"]["workflow_type"] == "NFL"
    assert alias.status_code == 200
    assert mismatched.status_code == 400


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"workflow_params": "{not json"}, "workflow_params is not valid JSON"),
        ({"workflow_params": "[1, 2]"}, "must be a JSON object"),
        ({"workflow_params": '{"steps": 0}'}, "steps"),
        ({"tags": "nope"}, "tags is not valid JSON"),
        ({"workflow_url": ""}, "workflow_url is required"),
        ({"workflow_engine": "cromwell"}, "does not run"),
    ],
)
def test_bad_forms_are_400_with_a_message(client, fields, fragment) -> None:
    response = run_workflow(client, **fields)

    assert response.status_code == 400
    assert fragment in response.json()["msg"]


@pytest.mark.parametrize("name", ["../escape/Snakefile", "/etc/passwd", "a\\b", "sub/../../x"])
def test_attachments_that_would_leave_the_run_folder_are_refused(client, name) -> None:
    response = run_workflow(
        client,
        workflow_type="MOCK",
        files=[("workflow_attachment", (name, b"rule all: pass"))],
    )

    assert response.status_code == 400


def test_json_body_is_refused_with_the_form_asked_for(client) -> None:
    response = client.post(f"{WES}/runs", json={"workflow_url": "demo"})

    assert response.status_code == 400
    assert "multipart/form-data" in response.json()["msg"]


def test_oversized_requests_are_413_and_nothing_is_created(client) -> None:
    big = b"x" * (100 * 1024)

    response = run_workflow(client, files=[("workflow_attachment", ("Snakefile", big))])

    assert response.status_code == 413
    assert client.get(f"{WES}/runs").json()["runs"] == []


def test_unknown_ids_are_404(client) -> None:
    for path in ("/runs/nope", "/runs/nope/status", "/runs/nope/tasks", "/runs/nope/tasks/t"):
        response = client.get(f"{WES}{path}")
        assert response.status_code == 404
        assert response.json()["status_code"] == 404
    assert client.post(f"{WES}/runs/nope/cancel").status_code == 404


def test_a_bad_page_size_or_token_is_a_client_error(client) -> None:
    assert client.get(f"{WES}/runs", params={"page_size": 0}).status_code == 200
    assert client.get(f"{WES}/runs", params={"page_size": "many"}).status_code == 400
    assert client.get(f"{WES}/runs", params={"page_token": "garbage"}).status_code == 400


def test_stdout_url_is_absolute_and_fetchable_over_http(client) -> None:
    run_id = run_workflow(client, workflow_params='{"delay_seconds": 0}').json()["run_id"]
    wait_final(client, run_id)

    url = client.get(f"{WES}/runs/{run_id}").json()["run_log"]["stdout"]

    assert httpx.URL(url).is_absolute_url
    assert "step-0: done" in client.get(url).text
