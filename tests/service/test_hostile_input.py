"""Values the service could not store or show (NUL, unpaired surrogates, NaN and Infinity, nesting
too deep) are refused with a 400 naming the field, in every field of both APIs, the users and
tokens endpoints, the login form and the query string; the runs already there stay listable."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from batchflow_service.api import pages
from batchflow_service.app import create_app
from batchflow_service.settings import Settings
from batchflow_service.storable import MAX_DEPTH

from .clients import ADMIN_PASSWORD, admin_client
from .hostile import JSON, json_body, multipart

WES = "/ga4gh/wes/v1"
NAN, INFINITY = float("nan"), float("inf")
NATIVE = {"workflow": "demo", "engine": "mock", "params": {"delay_seconds": 0, "steps": 1}}
WES_FIELDS = {
    "workflow_type": "MOCK",
    "workflow_type_version": "1",
    "workflow_url": "demo",
    "workflow_params": '{"delay_seconds": 0, "steps": 1}',
}


def deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def native(**changes: Any) -> dict[str, Any]:
    return {
        "method": "POST",
        "url": "/runs",
        "content": json_body(NATIVE | changes),
        "headers": JSON,
    }


def native_form(files: list[tuple[str, str, bytes]] = (), **fields: str) -> dict[str, Any]:  # type: ignore[assignment]
    body, headers = multipart(
        list(({"workflow": "demo", "engine": "mock"} | fields).items()), files, "utf-7"
    )
    return {"method": "POST", "url": "/runs", "content": body, "headers": headers}


def wes(files: list[tuple[str, str, bytes]] = (), **fields: str) -> dict[str, Any]:  # type: ignore[assignment]
    body, headers = multipart(list((WES_FIELDS | fields).items()), files, "utf-7")
    return {"method": "POST", "url": f"{WES}/runs", "content": body, "headers": headers}


def posted(url: str, value: Any, method: str = "POST") -> dict[str, Any]:
    return {"method": method, "url": url, "content": json_body(value), "headers": JSON}


def login_form(username: str, password: str) -> dict[str, Any]:
    body, headers = multipart([("username", username), ("password", password)], [], "utf-7")
    return {"method": "POST", "url": "/auth/token", "content": body, "headers": headers}


def query(url: str, **params: str) -> dict[str, Any]:
    return {"method": "GET", "url": url, "params": params}


A_SURROGATE_CURSOR = pages.encode({"created_at": "2026-01-01T00:00:00+00:00", "id": "\ud800"})
HUGE_NUMBER = (
    b'{"workflow": "demo", "engine": "mock", "params": {"delay_seconds": 0, "seed": 1e400}}'
)
USER = {"name": "eve", "role": "viewer", "password": "a-long-enough-password"}
REFUSED = [
    # The native API's JSON body
    ("native workflow", native(workflow="demo\x00"), "workflow: text may not contain NUL"),
    ("native name", native(name="\ud800"), "name: text may not contain an unpaired surrogate"),
    ("native params NaN", native(params={"x": NAN}), "params.x: NaN is not a number"),
    ("native params Infinity", native(params={"seed": -INFINITY}), "params.seed: -Infinity"),
    (
        "native params too large a number",
        {"method": "POST", "url": "/runs", "content": HUGE_NUMBER, "headers": JSON},
        "params.seed: Infinity",
    ),
    ("native params too deep", native(params={"x": deep(MAX_DEPTH)}), "nests deeper than 64"),
    ("native tag value", native(tags={"team": "a\x00"}), "tags.team: text may not contain NUL"),
    ("native tag key", native(tags={"\udc00": "x"}), "tags.\\udc00: the key may not contain"),
    ("native unknown field", native(surprise=NAN), "surprise: NaN"),
    # The native API's multipart form
    ("native form workflow", native_form(workflow="demo\x00"), "workflow: text may not contain"),
    ("native form name", native_form(name="run\ud800"), "name: text may not contain an unpaired"),
    ("native form params", native_form(params='{"x": "\\ud800"}'), "params.x: text may not"),
    ("native form tags", native_form(tags='{"t": NaN}'), "tags.t: NaN"),
    (
        "native form file name",
        native_form([("files", "\ud800.smk", b"rule all:\n")], workflow="Snakefile"),
        "files (a file's name): text may not contain an unpaired surrogate",
    ),
    # WES RunWorkflow
    (
        "WES engine parameters",
        wes(workflow_engine_parameters='{"x": "\\ud800"}'),
        "workflow_engine_parameters.x: text may not contain an unpaired surrogate",
    ),
    ("WES params NaN", wes(workflow_params='{"x": NaN}'), "workflow_params.x: NaN"),
    ("WES params huge", wes(workflow_params='{"x": 1e400}'), "workflow_params.x: Infinity"),
    ("WES params NUL", wes(workflow_params='{"x": "\\u0000"}'), "workflow_params.x: text may"),
    ("WES tag key", wes(tags='{"\\u0000": "x"}'), "tags.\\x00: the key may not contain NUL"),
    ("WES type", wes(workflow_type="MOCK\x00"), "workflow_type: text may not contain NUL"),
    ("WES type version", wes(workflow_type_version="\ud800"), "workflow_type_version: text"),
    ("WES engine", wes(workflow_engine="mock\x00"), "workflow_engine: text may not contain"),
    ("WES engine version", wes(workflow_engine_version="\udfff"), "workflow_engine_version:"),
    ("WES url", wes(workflow_url="demo\x00"), "workflow_url: text may not contain NUL"),
    (
        "WES attachment name",
        wes([("workflow_attachment", "a\x00b", b"")]),
        "workflow_attachment (a file's name): text may not contain NUL",
    ),
    # Users, tokens, logging in
    ("user name", posted("/users", USER | {"name": "eve\x00"}), "name: text may not contain NUL"),
    ("user password", posted("/users", USER | {"password": "\ud800" * 12}), "password: text"),
    (
        "changed password",
        posted("/users/admin", {"password": "\udc00" * 12}, method="PATCH"),
        "password: text may not contain an unpaired surrogate",
    ),
    ("token name", posted("/users/me/tokens", {"name": "ci \ud800"}), "name: text may not"),
    (
        "token lifetime",
        posted("/users/me/tokens", {"name": "ci", "expires_in_days": NAN}),
        "expires_in_days: NaN",
    ),
    ("login name", login_form("admin\x00", ADMIN_PASSWORD), "username: text may not contain NUL"),
    ("login password", login_form("admin", "\ud800" * 12), "password: text may not contain"),
    # The query string, and page tokens
    ("tag filter", query("/runs", tag="team:\x00"), "query parameter tag: text may not contain"),
    ("page token", query("/runs", page_token="\x00"), "query parameter page_token: text"),
    ("WES page token", query(f"{WES}/runs", page_token="\x00"), "query parameter page_token:"),
    ("page token cursor", query("/runs", page_token=A_SURROGATE_CURSOR), "not a token this"),
]


@pytest.fixture(scope="module")
def service() -> Iterator[TestClient]:
    settings = Settings(engines=["mock"], admin_password=ADMIN_PASSWORD)
    with admin_client(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def good_runs(service: TestClient) -> list[str]:
    native_run = service.post("/runs", json=NATIVE)
    wes_run = service.post(f"{WES}/runs", data=WES_FIELDS, files=[("nothing", ("", b""))])
    assert native_run.status_code == 201, native_run.text
    assert wes_run.status_code == 200, wes_run.text
    return [native_run.json()["id"], wes_run.json()["run_id"]]


@pytest.mark.parametrize(
    ("request_options", "fragment"),
    [pytest.param(options, fragment, id=name) for name, options, fragment in REFUSED],
)
def test_an_unstorable_value_is_a_400_naming_the_field_and_other_runs_stay_listable(
    service: TestClient, good_runs: list[str], request_options: dict[str, Any], fragment: str
) -> None:
    response = service.request(**request_options)

    assert response.status_code == 400, response.text
    assert fragment in response.json()["msg"]
    listed = service.get("/runs", params={"page_size": 500})
    assert listed.status_code == 200, listed.text
    assert set(good_runs) <= {run["id"] for run in listed.json()["runs"]}
    assert len(listed.json()["runs"]) == len(good_runs)
    assert service.get(f"{WES}/runs").status_code == 200
    for run_id in good_runs:
        assert service.get(f"/runs/{run_id}").status_code == 200
        assert service.get(f"{WES}/runs/{run_id}").status_code == 200
    assert service.get("/users").status_code == 200
    assert service.get("/users/me/tokens").status_code == 200


def test_a_wes_route_that_declares_no_400_answers_an_unstorable_query_with_404(
    service: TestClient, good_runs: list[str]
) -> None:
    response = service.get(f"{WES}/runs/{good_runs[1]}/tasks", params={"page_token": "\x00"})

    assert response.status_code == 404
    assert response.json()["msg"].startswith("query parameter page_token: text may not contain")


@pytest.mark.parametrize("content_type", [None, "text/plain"])
@pytest.mark.parametrize(("method", "url"), [("POST", "/users/me/tokens"), ("PATCH", "/users/eve")])
def test_a_body_that_is_not_utf8_nor_declared_json_is_a_422_not_a_500(
    service: TestClient, method: str, url: str, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}

    response = service.request(method, url, content=b"\xff\xfe", headers=headers)

    assert response.status_code == 422, response.text
    assert response.json()["msg"].startswith("body: ")
