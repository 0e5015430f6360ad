"""When AWS cannot be reached, or refuses a call, every route answers 502 or 503 with a
message, never 500; a cancel that AWS refused is finished by the reconciler later."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from fastapi.testclient import TestClient

from batchflow_service.app import create_app
from batchflow_service.models import Run, Task
from batchflow_service.settings import Settings
from batchflow_service.states import RunState

from .clients import admin_client

RUN_ID = "0123456789abcdef0123456789abcdef"
OUTPUTS = {
    "prefix": f"s3://batchflow-local/runs/{RUN_ID}/outputs/",
    "files": [f"s3://batchflow-local/runs/{RUN_ID}/outputs/results/summary.json"],
}
ROUTES: list[tuple[str, str]] = [
    ("GET", "/runs"),
    ("GET", f"/runs/{RUN_ID}"),
    ("GET", f"/runs/{RUN_ID}/tasks"),
    ("GET", f"/runs/{RUN_ID}/logs"),
    ("GET", f"/runs/{RUN_ID}/logs?format=text"),
    ("GET", f"/runs/{RUN_ID}/logs?follow=true"),
    ("GET", f"/runs/{RUN_ID}/tasks/job-1/logs"),
    ("GET", f"/runs/{RUN_ID}/outputs"),
    ("GET", f"/runs/{RUN_ID}/outputs/results/summary.json"),
    ("GET", "/ga4gh/wes/v1/service-info"),
    ("GET", "/ga4gh/wes/v1/runs"),
    ("GET", f"/ga4gh/wes/v1/runs/{RUN_ID}"),
    ("GET", f"/ga4gh/wes/v1/runs/{RUN_ID}/status"),
    ("GET", f"/ga4gh/wes/v1/runs/{RUN_ID}/tasks"),
    ("GET", f"/ga4gh/wes/v1/runs/{RUN_ID}/tasks/job-1"),
    ("POST", "/runs"),
    ("POST", f"/runs/{RUN_ID}/cancel"),
    ("POST", f"/ga4gh/wes/v1/runs/{RUN_ID}/cancel"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
]


def refuse(**kwargs: Any) -> AWSResponse:
    """What AWS sends a caller its policy does not allow."""
    body = json.dumps({"__type": "AccessDeniedException", "message": "not allowed"}).encode()
    return AWSResponse("https://aws.example", 403, {"x-amzn-errortype": "AccessDenied"}, _Raw(body))


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._body


@pytest.fixture(params=["unreachable", "refusing"])
def failing_aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    # Nothing listens there; a refusing AWS answers before any connection is made (refuse).
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    return request.param


@pytest.fixture
def client(failing_aws: str) -> Iterator[TestClient]:
    settings = Settings(
        engines=["mock", "snakemake"], reconcile_seconds=3600, aws_max_wait_seconds=0.01
    )
    app = create_app(settings)
    if failing_aws == "refusing":
        engine = app.state.engines["snakemake"]
        for aws_client in (engine._s3, engine._batch, engine._logs):
            aws_client.meta.events.register("before-send", refuse)
    with admin_client(app, raise_server_exceptions=False) as client:
        store = app.state.store
        run = Run(
            id=RUN_ID,
            workflow="quickstart",
            engine="snakemake",
            head_job_id="head-1",
            outputs=OUTPUTS,
        )
        client.portal.call(store.create_run, run)
        client.portal.call(store.set_state, RUN_ID, RunState.RUNNING)
        task = Task(
            id="job-1", run_id=RUN_ID, name="count", state=RunState.RUNNING, log_stream="s/1"
        )
        client.portal.call(store.upsert_task, task)
        yield client


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_no_route_answers_500_when_aws_fails(client, failing_aws, method, path) -> None:
    body = {"workflow": "quickstart", "params": {"samples": ["a"]}} if method == "POST" else None

    response = client.request(method, path, json=body)

    assert response.status_code < 500 or response.status_code in (502, 503), response.text
    if response.status_code in (502, 503):
        expected = 503 if failing_aws == "unreachable" else 502
        assert response.status_code == expected
        assert response.json()["msg"].startswith(
            "AWS cannot be reached" if expected == 503 else "AWS refused a call"
        )


@pytest.mark.parametrize(
    "path",
    [
        f"/runs/{RUN_ID}/logs",
        f"/runs/{RUN_ID}/tasks/job-1/logs",
        f"/runs/{RUN_ID}/outputs/results/summary.json",
        f"/runs/{RUN_ID}/cancel",
    ],
)
def test_routes_that_need_aws_name_the_failed_call(client, failing_aws, path) -> None:
    method = "POST" if path.endswith("/cancel") else "GET"

    response = client.request(method, path)

    assert response.status_code == (503 if failing_aws == "unreachable" else 502)
    assert "failed" in response.json()["msg"]


def test_a_followed_log_ends_with_a_line_saying_aws_failed(client) -> None:
    response = client.get(f"/runs/{RUN_ID}/logs", params={"follow": True})

    assert response.status_code == 200
    assert response.text.splitlines()[-1].startswith("batchflow: the log cannot be read on:")


def test_a_cancel_aws_refused_leaves_the_run_canceling_for_the_reconciler(client) -> None:
    client.post(f"/runs/{RUN_ID}/cancel")

    assert client.get(f"/runs/{RUN_ID}").json()["state"] == "CANCELING"
