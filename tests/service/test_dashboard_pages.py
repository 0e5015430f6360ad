"""The dashboard at /ui/: the built app's files, cached as their names allow, every page under
a Content-Security-Policy, nothing served from outside its folder, and a page that says how to
build it when it is not built."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from batchflow_service.app import create_app
from batchflow_service.settings import Settings

from .clients import client_of

INDEX = b'<!doctype html><html><head><script type="module" src="/ui/assets/app-abc123.js">'
INDEX += b"</script></head><body><div id=root></div></body></html>"
SCRIPT = b"console.log('the dashboard');\n"
SECRET = b"a file beside the dashboard's folder\n"
LONG_CACHE = "public, max-age=31536000, immutable"
ISSUER = "https://login.example.org/realms/lab"


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A built dashboard (index.html and a hashed asset), with a secret file beside it."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_bytes(INDEX)
    (dist / "assets" / "app-abc123.js").write_bytes(SCRIPT)
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (dist / "assets" / "linked.js").symlink_to(tmp_path / "secret.txt")
    return dist


def dashboard_client(dashboard_dir: Path, **settings: Any) -> Iterator[TestClient]:
    app = create_app(Settings(engines=["mock"], dashboard_dir=dashboard_dir, **settings))
    with client_of(app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def client(built: Path) -> Iterator[TestClient]:
    yield from dashboard_client(built)


def assert_secured(answer: httpx.Response) -> None:
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "connect-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/ui"])
def test_the_service_root_and_ui_lead_to_the_dashboard(client, path) -> None:
    answer = client.get(path)

    assert answer.status_code == 307
    assert answer.headers["location"] == "/ui/"


def test_the_dashboard_page_is_index_html_revalidated_on_every_visit(client) -> None:
    answer = client.get("/ui/")

    assert answer.status_code == 200
    assert answer.content == INDEX
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["cache-control"] == "no-cache"
    assert_secured(answer)


@pytest.mark.parametrize("path", ["runs/0123456789abcdef", "runs/abc/tasks", "settings", "login"])
def test_the_apps_own_pages_answer_index_html(client, path) -> None:
    answer = client.get(f"/ui/{path}")

    assert answer.status_code == 200
    assert answer.content == INDEX
    assert answer.headers["cache-control"] == "no-cache"
    assert_secured(answer)


def test_a_hashed_asset_is_cached_for_a_year(client) -> None:
    answer = client.get("/ui/assets/app-abc123.js")

    assert answer.status_code == 200
    assert answer.content == SCRIPT
    assert "javascript" in answer.headers["content-type"]
    assert answer.headers["cache-control"] == LONG_CACHE
    assert_secured(answer)


@pytest.mark.parametrize("path", ["assets/app-000000.js", "assets/", "assets/nested/x.css"])
def test_a_missing_asset_is_404_not_the_page(client, path) -> None:
    answer = client.get(f"/ui/{path}")

    assert answer.status_code == 404
    assert answer.content != INDEX
    assert_secured(answer)


@pytest.mark.parametrize(
    "path",
    [
        "..%2Fsecret.txt",
        "..%2F..%2Fpyproject.toml",
        "%2E%2E%2Fsecret.txt",
        "%2E%2E/secret.txt",
        "assets/..%2F..%2Fsecret.txt",
        "assets%2F..%2F..%2Fsecret.txt",
        "..%5Csecret.txt",
        "assets%5C..%5C..%5Csecret.txt",
        "assets/app-abc123.js%00",
        "assets/app-abc123.js%00.png",
        "%00",
        "assets/linked.js",
        "%2Fetc%2Fpasswd",
        "%2F%2Fetc%2Fpasswd",
        "assets/%2Fetc%2Fpasswd",
    ],
)
def test_no_path_reaches_a_file_outside_the_dashboard(client, path) -> None:
    answer = client.get(f"/ui/{path}")

    assert answer.status_code in (200, 404), answer.text
    assert SECRET not in answer.content
    assert b"root:" not in answer.content
    assert b"[project]" not in answer.content
    if answer.status_code == 200:
        assert answer.content == INDEX
    assert_secured(answer)


@pytest.mark.parametrize("path", ["a" * 300, "runs/" + "x/" * 3000, "%ff%fe"])
def test_a_path_no_file_could_have_answers_the_page(client, path) -> None:
    answer = client.get(f"/ui/{path}")

    assert answer.status_code == 200
    assert answer.content == INDEX


@pytest.mark.parametrize("path", ["assets/" + "a" * 300, "assets/app-abc123.js/x"])
def test_an_asset_path_no_file_could_have_is_404(client, path) -> None:
    answer = client.get(f"/ui/{path}")

    assert answer.status_code == 404
    assert_secured(answer)


def test_the_policy_lets_the_page_reach_the_openid_provider_it_signs_in_with(built) -> None:
    oidc = {"auth": "oidc", "oidc_issuer": ISSUER, "oidc_audience": "https://batchflow.test"}
    for client in dashboard_client(built, **oidc, oidc_client_id="batchflow-dashboard"):
        policy = client.get("/ui/").headers["content-security-policy"]
        assert "connect-src 'self' https://login.example.org;" in policy
        assert "script-src 'self';" in policy
    for client in dashboard_client(built, **oidc):
        assert_secured(client.get("/ui/"))


def test_the_policy_lets_the_page_reach_a_token_endpoint_on_another_host(built) -> None:
    cognito = "https://example.auth.eu-west-1.amazoncognito.com"
    settings = {
        "auth": "oidc",
        "oidc_issuer": ISSUER,
        "oidc_audience": "https://batchflow.test",
        "oidc_client_id": "batchflow-dashboard",
        "oidc_token_origins": [cognito],
    }
    for client in dashboard_client(built, **settings):
        policy = client.get("/ui/").headers["content-security-policy"]
        assert f"connect-src 'self' https://login.example.org {cognito};" in policy


def test_without_a_built_dashboard_the_page_says_how_to_build_it(tmp_path) -> None:
    for client in dashboard_client(tmp_path):
        for path in ("/ui/", "/ui/runs/abc", "/ui/assets/app-abc123.js"):
            answer = client.get(path)
            assert answer.status_code == 503, path
            assert answer.headers["content-type"].startswith("text/html")
            assert "npm ci" in answer.text
            assert "npm run build" in answer.text
            assert_secured(answer)
        # The API works without the dashboard.
        assert client.get("/healthz").status_code == 200
