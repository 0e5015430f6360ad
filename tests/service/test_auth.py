"""Built-in authentication: who may call what, and every way a token is refused."""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi.testclient import TestClient

from batchflow_service.app import create_app
from batchflow_service.settings import Settings

from .clients import ADMIN_PASSWORD, add_user, admin_client, bearer, login

SECRET_KEY = "a-signing-key-for-tests-only-" + "0123456789abcdef" * 3
OPEN_ROUTES = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/ga4gh/wes/v1/service-info"),
    ("POST", "/auth/token"),
    # How to sign in, asked before signing in.
    ("GET", "/auth/config"),
    # Authenticated by the run's own weblog secret, not by a user's token.
    ("POST", "/nextflow/events/{run_id}"),
}


@pytest.fixture
def client(database_url: str | None) -> Iterator[TestClient]:
    settings = Settings(engines=["mock"], database_url=database_url, secret_key=SECRET_KEY)
    with admin_client(create_app(settings)) as client:
        yield client


def protected_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every route the service's OpenAPI document lists, but the open ones."""
    paths = client.get("/openapi.json").json()["paths"]
    routes = [(method.upper(), path) for path, item in paths.items() for method in item]
    return sorted(route for route in routes if route not in OPEN_ROUTES)


def concrete(path: str) -> str:
    return path.replace("{path}", "a/b.txt").replace("{", "").replace("}", "")


def test_every_route_but_health_service_info_and_login_needs_a_token(client: TestClient) -> None:
    routes = protected_routes(client)
    assert ("GET", "/metrics") in routes
    assert ("POST", "/ga4gh/wes/v1/runs") in routes
    assert len(routes) >= 20
    for method, path in routes:
        answer = client.request(method, concrete(path), headers={"Authorization": ""})
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.headers["www-authenticate"].startswith("Bearer"), (method, path)
    for method, path in OPEN_ROUTES - {
        ("POST", "/auth/token"),
        ("POST", "/nextflow/events/{run_id}"),
    }:
        assert client.request(method, path, headers={"Authorization": ""}).status_code == 200


def session_claims(**changes: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": "admin",
        "iss": "batchflow",
        "aud": "batchflow",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    return claims | changes


def test_a_token_signed_with_the_services_key_works_and_every_forgery_is_refused(
    client: TestClient,
) -> None:
    good = jwt.encode(session_claims(), SECRET_KEY, algorithm="HS256")
    assert client.get("/users/me", headers=bearer(good)).json()["name"] == "admin"
    forged = {
        "garbage": "not-a-token",
        "empty segments": "..",
        "alg none": jwt.encode(session_claims(), None, algorithm="none"),
        "wrong key": jwt.encode(session_claims(), "another-key-" * 4, algorithm="HS256"),
        "expired": jwt.encode(
            session_claims(exp=datetime.now(UTC) - timedelta(seconds=5)), SECRET_KEY, "HS256"
        ),
        "other audience": jwt.encode(session_claims(aud="elsewhere"), SECRET_KEY, "HS256"),
        "other issuer": jwt.encode(session_claims(iss="elsewhere"), SECRET_KEY, "HS256"),
        "no expiry": jwt.encode(
            {k: v for k, v in session_claims().items() if k != "exp"}, SECRET_KEY, "HS256"
        ),
        "unknown user": jwt.encode(session_claims(sub="mallory"), SECRET_KEY, "HS256"),
        "HS512": jwt.encode(session_claims(), SECRET_KEY, algorithm="HS512"),
        "malformed personal token": "bfp_nothex_x",
        "unknown personal token": "bfp_0123456789abcdef_" + "A" * 43,
        "too long": "x" * 20_000,
    }
    for what, token in forged.items():
        answer = client.get("/runs", headers=bearer(token))
        assert answer.status_code == 401, what
        assert answer.json()["msg"] == "the token is invalid, expired or revoked; log in again"
        assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_a_personal_token_works_until_revoked(client: TestClient) -> None:
    alice = add_user(client, "alice", "maintainer")
    issued = client.post("/users/me/tokens", json={"name": "ci"}, headers=alice).json()
    assert issued["token"].startswith("bfp_")
    as_token = bearer(issued["token"])
    me = client.get("/users/me", headers=as_token).json()
    assert me == {"name": "alice", "role": "maintainer", "via": "personal"}
    listed = client.get("/users/me/tokens", headers=alice).json()
    assert [t["id"] for t in listed] == [issued["id"]]
    assert "token" not in listed[0]
    assert "secret_sha256" not in listed[0]

    assert client.delete(f"/users/me/tokens/{issued['id']}", headers=alice).status_code == 204
    assert client.get("/users/me", headers=as_token).status_code == 401
    assert client.delete(f"/users/me/tokens/{issued['id']}", headers=alice).status_code == 404


def test_a_personal_token_with_a_wrong_secret_is_refused(client: TestClient) -> None:
    issued = client.post("/users/me/tokens", json={"name": "ci"}).json()
    token_id = issued["id"]
    assert client.get("/users/me", headers=bearer(issued["token"])).status_code == 200
    forged = f"bfp_{token_id}_" + "B" * 43
    assert client.get("/users/me", headers=bearer(forged)).status_code == 401


def test_a_disabled_users_tokens_stop_working_at_once(client: TestClient) -> None:
    bob = add_user(client, "bob", "maintainer")
    personal = bearer(
        client.post("/users/me/tokens", json={"name": "x"}, headers=bob).json()["token"]
    )
    assert client.get("/runs", headers=bob).status_code == 200
    assert client.patch("/users/bob", json={"disabled": True}).status_code == 200
    assert client.get("/runs", headers=bob).status_code == 401
    assert client.get("/runs", headers=personal).status_code == 401
    answer = client.post("/auth/token", data={"username": "bob", "password": "bob-password-123"})
    assert answer.status_code == 401

    assert client.patch("/users/bob", json={"disabled": False}).status_code == 200
    assert client.get("/runs", headers=personal).status_code == 200


def test_an_unknown_user_and_a_wrong_password_get_identical_answers(client: TestClient) -> None:
    add_user(client, "carol", "viewer")
    wrong = client.post("/auth/token", data={"username": "carol", "password": "wrong-password"})
    unknown = client.post("/auth/token", data={"username": "nobody", "password": "wrong-password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content == unknown.content
    assert dict(wrong.headers) == dict(unknown.headers)


def test_password_guessing_is_throttled_per_name(client: TestClient) -> None:
    add_user(client, "dave", "viewer")
    for _ in range(5):
        answer = client.post("/auth/token", data={"username": "dave", "password": "guess-guess"})
        assert answer.status_code == 401
    throttled = client.post(
        "/auth/token", data={"username": "dave", "password": "dave-password-123"}
    )
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["retry-after"]) <= 15 * 60
    assert "too many failed logins" in throttled.json()["msg"]
    # Unknown names are throttled alike, and other names are not affected.
    for _ in range(5):
        client.post("/auth/token", data={"username": "ghost", "password": "guess-guess"})
    assert (
        client.post("/auth/token", data={"username": "ghost", "password": "x"}).status_code == 429
    )
    assert login(client, "admin", ADMIN_PASSWORD)


def test_login_answers_an_expiring_bearer_token(client: TestClient) -> None:
    answer = client.post("/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD})
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    claims = jwt.decode(body["access_token"], SECRET_KEY, ["HS256"], audience="batchflow")
    assert claims["sub"] == "admin"
    assert claims["exp"] - claims["iat"] == 3600


def test_metrics_need_an_admin_or_the_scrape_token(database_url: str | None) -> None:
    settings = Settings(engines=["mock"], database_url=database_url, metrics_token="scrape-me-0123")
    with admin_client(create_app(settings)) as client:
        assert client.get("/metrics").status_code == 200
        assert client.get("/metrics", headers=bearer("scrape-me-0123")).status_code == 200
        viewer = add_user(client, "erin", "viewer")
        assert client.get("/metrics", headers=viewer).status_code == 403
        assert client.get("/metrics", headers=bearer("scrape-me-0124")).status_code == 401


def test_the_first_admin_is_created_once_with_the_configured_password(
    database_url: str | None,
) -> None:
    settings = Settings(engines=["mock"], database_url=database_url, secret_key=SECRET_KEY)
    with admin_client(create_app(settings)) as client:
        client.patch("/users/admin", json={"password": "a-new-admin-password"})
    # A restart with the same store keeps the changed password: bootstrap runs only when no
    # user exists.
    if database_url is None:
        return
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        old = client.post("/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD})
        assert old.status_code == 401
        assert login(client, "admin", "a-new-admin-password")


def test_without_a_configured_password_the_admin_gets_a_random_one_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("BATCHFLOW_ADMIN_PASSWORD")
    with TestClient(create_app(Settings(engines=["mock"])), base_url="http://127.0.0.1") as client:
        logged = [
            r.getMessage() for r in caplog.records if "created user 'admin'" in r.getMessage()
        ]
        assert len(logged) == 1
        password = logged[0].split("with password ")[1].split(" ")[0]
        assert len(password) >= 20
        assert login(client, "admin", password)


def test_guesses_sent_together_are_throttled_too(client: TestClient) -> None:
    add_user(client, "fred", "viewer")
    answers: list[int] = []

    def guess(number: int) -> None:
        form = {"username": "fred", "password": f"guess-number-{number}"}
        answers.append(client.post("/auth/token", data=form).status_code)

    guessers = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
    for guesser in guessers:
        guesser.start()
    for guesser in guessers:
        guesser.join(timeout=60)

    assert sorted(set(answers)) == [401, 429]
    assert answers.count(401) == 5


def test_personal_tokens_do_not_work_once_the_service_uses_oidc(database_url: str | None) -> None:
    if database_url is None:
        pytest.skip("a store that outlives the service is needed: PostgreSQL")
    builtin = Settings(engines=["mock"], database_url=database_url, secret_key=SECRET_KEY)
    with admin_client(create_app(builtin)) as client:
        token = client.post("/users/me/tokens", json={"name": "old"}).json()["token"]
        assert client.get("/users/me", headers=bearer(token)).status_code == 200
    oidc = builtin.model_copy(
        update={"auth": "oidc", "oidc_issuer": "http://127.0.0.1:9", "oidc_audience": "x"}
    )
    with TestClient(create_app(oidc), base_url="http://127.0.0.1") as client:
        answer = client.get("/users/me", headers=bearer(token))
    # The token is handed to the OpenID provider's checks, which refuse it (401), or cannot
    # reach the provider (503): either way it is not the old user.
    assert answer.status_code in (401, 503)
    assert "personal" not in answer.text
