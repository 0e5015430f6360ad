"""The service answers only its own Host names, takes no changes from foreign pages, and with
authentication off answers loopback clients only."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from batchflow_service.api.guard import RequestGuard
from batchflow_service.app import create_app
from batchflow_service.settings import Settings

from .clients import admin_client

PUBLIC_URL = "https://batchflow.example.org"


@pytest.fixture
def client() -> Iterator[TestClient]:
    settings = Settings(engines=["mock"], public_url=PUBLIC_URL, allowed_hosts=["10.0.0.7"])
    with admin_client(create_app(settings)) as client:
        yield client


def test_the_reported_rebinding_request_is_refused_and_runs_nothing(client: TestClient) -> None:
    answer = client.post(
        "/runs",
        content=b'{"workflow": "demo", "engine": "mock"}',
        headers={
            "content-type": "text/plain",
            "Origin": "http://evil.example",
            "Host": "rebind.evil.example",
        },
    )
    assert answer.status_code == 421
    assert "rebind.evil.example" in answer.json()["msg"]
    assert client.get("/runs").json()["runs"] == []


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1", 200),
        ("127.0.0.1:8000", 200),
        ("localhost:8000", 200),
        ("[::1]:8000", 200),
        ("batchflow.example.org", 200),
        ("BATCHFLOW.example.org:443", 200),
        ("10.0.0.7:8000", 200),
        ("rebind.evil.example", 421),
        ("127.0.0.1.evil.example", 421),
        ("batchflow.example.org.evil.example", 421),
        ("", 421),
    ],
)
def test_only_the_services_own_host_names_are_answered(
    client: TestClient, host: str, status: int
) -> None:
    assert client.get("/runs", headers={"Host": host}).status_code == status


def test_health_checks_answer_whatever_the_host(client: TestClient) -> None:
    # A load balancer checks a task by its IP address, which no setting names.
    assert client.get("/healthz", headers={"Host": "10.1.2.3:8000"}).status_code == 200


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("http://evil.example", 403),
        ("null", 403),
        ("http://127.0.0.1:9999", 403),
        ("http://127.0.0.1", 201),
        (PUBLIC_URL, 201),
    ],
)
def test_changes_from_foreign_origins_are_refused(
    client: TestClient, origin: str, status: int
) -> None:
    body = {"workflow": "demo", "engine": "mock", "params": {"delay_seconds": 0}}
    answer = client.post("/runs", json=body, headers={"Origin": origin})
    assert answer.status_code == status, answer.text
    assert len(client.get("/runs").json()["runs"]) == (1 if status == 201 else 0)


def test_reads_from_any_origin_are_still_answered(client: TestClient) -> None:
    assert client.get("/runs", headers={"Origin": "http://evil.example"}).status_code == 200


def test_a_run_request_must_say_it_is_json(client: TestClient) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", ""):
        answer = client.post(
            "/runs",
            content=b'{"workflow": "demo", "engine": "mock"}',
            headers={"content-type": content_type},
        )
        assert answer.status_code == 415, content_type
    assert client.get("/runs").json()["runs"] == []


def test_urls_in_answers_come_from_the_public_url(client: TestClient) -> None:
    body = {"workflow": "demo", "engine": "mock", "params": {"delay_seconds": 0}}
    run_id = client.post("/runs", json=body).json()["id"]
    run_log = client.get(f"/ga4gh/wes/v1/runs/{run_id}").json()
    assert run_log["run_log"]["stdout"] == f"{PUBLIC_URL}/runs/{run_id}/logs/stdout?format=text"
    assert run_log["task_logs_url"].startswith(f"{PUBLIC_URL}/ga4gh/wes/v1/runs/")
    info = client.get("/ga4gh/wes/v1/service-info").json()
    assert info["auth_instructions_url"].startswith(PUBLIC_URL)
    assert info["tags"]["auth"] == "builtin"


def test_without_authentication_only_loopback_clients_are_answered() -> None:
    app = create_app(Settings(engines=["mock"], auth="none"))
    with TestClient(app, base_url="http://127.0.0.1", client=("192.0.2.10", 5000)) as remote:
        assert remote.get("/runs").status_code == 403
    with TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 5000)) as local:
        assert local.get("/runs").status_code == 200
        assert local.get("/users/me").json() == {
            "name": "anonymous",
            "role": "admin",
            "via": "none",
        }


def test_user_and_token_bodies_must_be_json(client: TestClient) -> None:
    body = b'{"name": "eve", "role": "admin", "password": "pppppppppppppp"}'
    answer = client.post("/users", content=body, headers={"content-type": "text/plain"})
    assert answer.status_code == 422
    assert [u["name"] for u in client.get("/users").json()] == ["admin"]


@pytest.mark.parametrize(
    "host", ["localhost:evil", "[::1]evil.example", "a@localhost", "localhost."]
)
def test_a_malformed_host_is_refused(client: TestClient, host: str) -> None:
    assert client.get("/runs", headers={"Host": host}).status_code == 421


@pytest.mark.anyio
async def test_two_host_headers_are_refused() -> None:
    reached: list[bool] = []

    async def app(scope, receive, send) -> None:
        reached.append(True)

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    guard = RequestGuard(app, hosts=set(), origins=set(), public_url=None)
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/ga4gh/wes/v1/service-info",
        "headers": [(b"host", b"evil.example"), (b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 5000),
    }
    await guard(scope, None, send)  # type: ignore[arg-type]
    assert reached == []
    assert sent[0]["status"] == 421
