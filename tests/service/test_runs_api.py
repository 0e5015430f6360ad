"""The native runs API with the mock engine, through a real ASGI client."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from batchflow_service.api import pages
from batchflow_service.app import create_app
from batchflow_service.settings import Settings

from .clients import admin_client
from .serving import wait_until_final


@pytest.fixture
def client(database_url: str | None) -> Iterator[TestClient]:
    with admin_client(create_app(Settings(engines=["mock"], database_url=database_url))) as client:
        yield client


def submit(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.post(
        "/runs",
        json={"workflow": "demo", "engine": "mock", "params": params, **params.pop("_extra", {})},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_mock_run_goes_from_queued_to_complete_with_its_tasks(client) -> None:
    run = submit(client, steps=3, delay_seconds=0.01)

    done = wait_until_final(client, run["id"])
    tasks = client.get(f"/runs/{run['id']}/tasks").json()["tasks"]

    assert run["state"] == "QUEUED"
    assert done["state"] == "COMPLETE"
    assert done["started_at"] is not None
    assert done["ended_at"] is not None
    assert [(t["name"], t["state"], t["exit_code"]) for t in tasks] == [
        (f"step-{i}", "COMPLETE", 0) for i in range(3)
    ]
    assert client.get(f"/runs/{run['id']}/outputs").json()["outputs"]["steps"] == 3


def test_a_failing_mock_run_ends_executor_error_with_the_failing_task_logged(client) -> None:
    run = submit(client, steps=3, delay_seconds=0.01, failure_rate=1.0)

    done = wait_until_final(client, run["id"])
    [task] = client.get(f"/runs/{run['id']}/tasks").json()["tasks"]
    log = client.get(f"/runs/{run['id']}/logs").json()

    assert done["state"] == "EXECUTOR_ERROR"
    assert "step-0 failed" in done["reason"]
    assert (task["state"], task["exit_code"]) == ("EXECUTOR_ERROR", 1)
    assert log["lines"][-1] == "step-0: failed"
    assert log["complete"] is True


def test_cancel_ends_a_running_run_canceled(client) -> None:
    run = submit(client, steps=5, delay_seconds=5)
    time.sleep(0.1)

    response = client.post(f"/runs/{run['id']}/cancel")
    done = wait_until_final(client, run["id"])

    assert response.status_code == 202
    assert done["state"] == "CANCELED"
    assert client.get(f"/runs/{run['id']}/tasks").json()["tasks"][0]["state"] == "CANCELED"
    assert client.post(f"/runs/{run['id']}/cancel").status_code == 409


def test_logs_follow_streams_until_the_run_ends(client) -> None:
    run = submit(client, steps=2, delay_seconds=0.05)

    with client.stream("GET", f"/runs/{run['id']}/logs", params={"follow": True}) as stream:
        lines = [line for line in stream.iter_lines() if line]

    assert lines[0] == "mock run with 2 steps"
    assert lines[-1] == "step-1: done"


def test_runs_list_newest_first_in_pages(client) -> None:
    ids = [submit(client, steps=1, delay_seconds=0)["id"] for _ in range(5)]

    seen, token = [], ""
    for _ in range(5):
        page = client.get("/runs", params={"page_size": 2, "page_token": token or None}).json()
        seen += [run["id"] for run in page["runs"]]
        token = page["next_page_token"]
        if not token:
            break

    assert seen == list(reversed(ids))


def test_runs_filter_by_tag_and_state(client) -> None:
    tagged = client.post(
        "/runs",
        json={
            "workflow": "demo",
            "engine": "mock",
            "params": {"delay_seconds": 0},
            "tags": {"team": "x"},
        },
    ).json()
    submit(client, delay_seconds=0)
    wait_until_final(client, tagged["id"])

    by_tag = client.get("/runs", params={"tag": "team:x"}).json()["runs"]
    complete = client.get("/runs", params={"state": "COMPLETE", "tag": "team:x"}).json()["runs"]

    assert [run["id"] for run in by_tag] == [tagged["id"]]
    assert [run["id"] for run in complete] == [tagged["id"]]


@pytest.mark.parametrize(
    ("request_body", "status", "fragment"),
    [
        ({"workflow": "demo", "engine": "mock", "params": {"steps": 0}}, 400, "steps"),
        ({"workflow": "demo", "engine": "mock", "params": {"explode": 1}}, 400, "explode"),
        ({"workflow": "demo", "engine": "snakemake"}, 400, "not enabled"),
        ({"workflow": "demo", "engine": "cromwell"}, 422, "engine"),
        ({"workflow": "", "engine": "mock"}, 422, "workflow"),
        ({"workflow": "demo", "engine": "mock", "surprise": True}, 422, "surprise"),
        ({"workflow": "demo", "engine": "mock", "name": "../etc"}, 422, "name"),
    ],
)
def test_bad_run_requests_are_refused_with_a_reason(client, request_body, status, fragment) -> None:
    response = client.post("/runs", json=request_body)

    assert response.status_code == status
    assert fragment in response.text


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/runs/nope", {}, 404),
        ("/runs/nope/tasks", {}, 404),
        ("/runs/nope/logs", {}, 404),
        ("/runs/nope/outputs", {}, 404),
        ("/runs", {"page_token": "%%%"}, 400),
        ("/runs", {"page_token": "eyJ4IjogMX0="}, 400),
        ("/runs", {"tag": "no-colon"}, 400),
        ("/runs", {"page_size": 0}, 422),
        ("/runs", {"state": "DANCING"}, 422),
    ],
)
def test_bad_lookups_are_client_errors(client, path, params, status) -> None:
    response = client.get(path, params=params)

    assert response.status_code == status
    if status != 422:
        assert response.json()["status_code"] == status


def test_health_readiness_and_metrics(client) -> None:
    run = submit(client, delay_seconds=0)
    wait_until_final(client, run["id"])

    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}
    metrics = client.get("/metrics").text
    assert 'batchflow_runs{state="COMPLETE"} 1.0' in metrics


def test_runs_can_be_submitted_as_a_form_with_files(client) -> None:
    traversal = client.post(
        "/runs",
        data={"workflow": "Snakefile", "engine": "snakemake"},
        files=[("files", ("../Snakefile", b"rule all: input: []"))],
    )
    mock_with_files = client.post(
        "/runs",
        data={"workflow": "Snakefile", "engine": "mock"},
        files=[("files", ("Snakefile", b"rule all: input: []"))],
    )
    mock_form = client.post(
        "/runs",
        data={"workflow": "demo", "engine": "mock", "params": '{"delay_seconds": 0}'},
        files=[("nothing", ("", b""))],
    )

    assert traversal.status_code == 400
    assert "'..'" in traversal.json()["msg"]
    assert mock_with_files.status_code == 400
    assert "no uploaded workflow files" in mock_with_files.json()["msg"]
    assert mock_form.status_code == 201
    assert wait_until_final(client, mock_form.json()["id"])["state"] == "COMPLETE"


def test_a_body_that_is_not_json_is_refused(client) -> None:
    response = client.post("/runs", content=b"{nope", headers={"content-type": "application/json"})

    assert response.status_code == 422
    assert "not JSON" in response.json()["msg"]


def test_json_nested_too_deeply_is_refused_not_a_server_error(client) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000

    as_body = client.post("/runs", content=deep, headers={"content-type": "application/json"})
    as_form_field = client.post(
        "/runs",
        data={"workflow": "demo", "engine": "mock", "params": deep.decode()},
        files=[("nothing", ("", b""))],
    )

    assert as_body.status_code == 422
    assert "nests too deeply" in as_body.json()["msg"]
    assert as_form_field.status_code == 400
    assert as_form_field.json()["msg"] == "params nests too deeply"


@pytest.mark.parametrize(
    "body",
    [
        rb'{"workflow": "demo", "engine": "mock", "tags": {"team": "a\u0000b"}}',
        rb'{"workflow": "demo", "engine": "mock", "params": {"seed": 1, "x": "\ud800"}}',
    ],
    ids=["nul", "lone-surrogate"],
)
def test_text_no_store_can_keep_is_refused_by_every_store(client, body) -> None:
    response = client.post("/runs", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert "may not contain" in response.json()["msg"]


def test_malformed_ids_and_page_tokens_are_client_errors(client) -> None:
    naive = pages.encode({"created_at": "2026-01-01T00:00:00", "id": "r"})

    assert client.get("/runs/%00").status_code in (400, 404)
    assert client.get("/runs/%00/tasks", params={"page_token": "x"}).status_code in (400, 404)
    assert client.get("/runs", params={"page_token": naive}).status_code == 400
