"""POST /runs/{id}/download-links and GET /downloads/{token}: a link a browser can navigate to,
good for one file of one run, for two minutes, for a user who may still see that run."""

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient

from batchflow_service.api.downloads import RedactDownloadLinks
from batchflow_service.app import create_app
from batchflow_service.auth.download_links import DownloadLinks
from batchflow_service.auth.identity import Identity
from batchflow_service.auth.roles import Role
from batchflow_service.models import Run
from batchflow_service.settings import Settings

from .clients import add_user, admin_client, bearer

RUN_ID = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"
PREFIX = f"runs/{RUN_ID}/outputs/"
SUMMARY = b'{"gc": 0.41}\n' * 500
PATH = "results/summary.json"
SECRET_KEY = "download-links-test-key-0123456789abcdef"


@pytest.fixture
def client(aws_environment, s3) -> Iterator[TestClient]:
    """A service with alice's completed run, whose one output is in the local S3."""
    s3.put_object(Bucket="batchflow-local", Key=f"{PREFIX}{PATH}", Body=SUMMARY)
    outputs = {
        "prefix": f"s3://batchflow-local/{PREFIX}",
        "files": [f"s3://batchflow-local/{PREFIX}{PATH}"],
    }
    settings = Settings(engines=["snakemake"], reconcile_seconds=3600, secret_key=SECRET_KEY)
    app = create_app(settings)
    with admin_client(app) as client:
        run = Run(id=RUN_ID, workflow="quickstart", engine="snakemake", outputs=outputs)
        client.portal.call(app.state.store.create_run, run.model_copy(update={"owner": "alice"}))
        yield client


@pytest.fixture
def alice(client: TestClient) -> dict[str, str]:
    return add_user(client, "alice", "maintainer")


def link_for(client: TestClient, headers: dict[str, str], path: str = PATH) -> httpx.Response:
    return client.post(f"/runs/{RUN_ID}/download-links", json={"path": path}, headers=headers)


def follow_link(client: TestClient, url: str) -> httpx.Response:
    """GET `url` as a browser navigating to it would: with no Authorization header."""
    request = client.build_request("GET", url)
    del request.headers["authorization"]
    return client.send(request)


def token_of(url: str) -> str:
    assert url.startswith("/downloads/"), url
    return url.removeprefix("/downloads/")


def test_a_link_downloads_the_file_without_a_bearer_token(client, alice) -> None:
    made = link_for(client, alice)
    assert made.status_code == 201, made.text

    answer = follow_link(client, made.json()["url"])

    assert answer.status_code == 200, answer.text
    assert answer.content == SUMMARY
    assert answer.headers["content-length"] == str(len(SUMMARY))
    assert "summary.json" in answer.headers["content-disposition"]
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["referrer-policy"] == "no-referrer"


def test_a_link_works_for_two_minutes(client, alice) -> None:
    before = datetime.now(UTC)
    made = link_for(client, alice).json()

    expires_at = datetime.fromisoformat(made["expires_at"])
    assert before + timedelta(seconds=119) <= expires_at <= before + timedelta(seconds=122)
    claims = jwt.decode(token_of(made["url"]), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 120


def test_an_expired_link_is_refused(client) -> None:
    holder = Identity(name="admin", role=Role.ADMIN, via="session")
    good, _ = DownloadLinks(SECRET_KEY).issue(holder, RUN_ID, PATH)
    expired, _ = DownloadLinks(SECRET_KEY, timedelta(seconds=-1)).issue(holder, RUN_ID, PATH)

    assert follow_link(client, f"/downloads/{good}").status_code == 200
    answer = follow_link(client, f"/downloads/{expired}")
    assert answer.status_code == 401
    assert "invalid or has expired" in answer.json()["msg"]


def forged_links() -> list[str]:
    now = datetime.now(UTC)
    claims = {
        "sub": "admin",
        "role": "admin",
        "via": "session",
        "run": RUN_ID,
        "path": PATH,
        "iss": "batchflow",
        "aud": "batchflow-download",
        "iat": now,
        "exp": now + timedelta(minutes=2),
    }
    return [
        jwt.encode(claims, "another-key-" + "x" * 32, algorithm="HS256"),
        jwt.encode(claims, key="", algorithm="none"),
        jwt.encode({**claims, "aud": "batchflow"}, SECRET_KEY, algorithm="HS256"),
        jwt.encode({**claims, "role": "superuser"}, SECRET_KEY, algorithm="HS256"),
        jwt.encode({**claims, "path": ["results", "summary.json"]}, SECRET_KEY, algorithm="HS256"),
        "not-a-jwt",
        "a" * 20_000,
    ]


@pytest.mark.parametrize("token", forged_links())
def test_a_forged_link_is_refused(client, token) -> None:
    answer = follow_link(client, f"/downloads/{token}")

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_a_session_token_is_not_a_link_and_a_link_is_not_a_session_token(client, alice) -> None:
    session = alice["Authorization"].removeprefix("Bearer ")
    link = token_of(link_for(client, alice).json()["url"])

    assert follow_link(client, f"/downloads/{session}").status_code == 401
    assert client.get(f"/runs/{RUN_ID}", headers=bearer(link)).status_code == 401
    assert client.get(f"/runs/{RUN_ID}", headers=alice).status_code == 200


def test_a_disabled_users_links_stop_working(client, alice) -> None:
    url = link_for(client, alice).json()["url"]
    assert follow_link(client, url).status_code == 200

    client.patch("/users/alice", json={"disabled": True}).raise_for_status()

    assert follow_link(client, url).status_code == 401


def test_a_link_acts_with_its_holders_role_of_now(client) -> None:
    vera = add_user(client, "vera", "viewer")
    url = link_for(client, vera).json()["url"]
    assert follow_link(client, url).status_code == 200

    client.patch("/users/vera", json={"role": "launcher"}).raise_for_status()

    answer = follow_link(client, url)
    assert answer.status_code == 404
    assert answer.json()["msg"].startswith("no run")


def test_a_link_for_a_run_its_holder_cannot_see_is_404(client, alice) -> None:
    bob = add_user(client, "bob", "maintainer")
    asked = link_for(client, bob)
    assert asked.status_code == 404
    assert asked.json()["msg"].startswith("no run")

    # Signed by the service, but for a run bob may not see: still nothing.
    holder = Identity(name="bob", role=Role.MAINTAINER, via="session")
    token, _ = DownloadLinks(SECRET_KEY).issue(holder, RUN_ID, PATH)
    assert follow_link(client, f"/downloads/{token}").status_code == 404


@pytest.mark.parametrize(
    ("run_id", "body", "status"),
    [
        (RUN_ID, {"path": "results/other.json"}, 404),
        (RUN_ID, {"path": "%2E%2E/run.json"}, 404),
        (RUN_ID, {"path": "../run.json"}, 404),
        (RUN_ID, {"path": "results/"}, 404),
        ("0123456789abcdef0123456789abcdef", {"path": PATH}, 404),
        (RUN_ID, {"path": ""}, 422),
        (RUN_ID, {"path": PATH, "user": "admin"}, 422),
        (RUN_ID, {}, 422),
    ],
)
def test_no_link_is_made_for_a_file_the_run_does_not_list(client, run_id, body, status) -> None:
    answer = client.post(f"/runs/{run_id}/download-links", json=body)

    assert answer.status_code == status, answer.text


def test_making_a_link_needs_a_bearer_token(client) -> None:
    request = client.build_request("POST", f"/runs/{RUN_ID}/download-links", json={"path": PATH})
    del request.headers["authorization"]

    assert client.send(request).status_code == 401


def test_the_access_log_shows_no_usable_link() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/downloads/eyJhbGciOi.eyJzdWIi.c2ln?x=1", "1.1", 200),
        None,
    )

    RedactDownloadLinks().filter(record)

    assert record.getMessage() == '127.0.0.1:5000 - "GET /downloads/[link]?x=1 HTTP/1.1" 200'
