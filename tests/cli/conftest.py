"""What every CLI test shares: credentials kept away from the user's own, and a fake service
that knows one user."""

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from batchflow_cli.client import ServiceClient
from batchflow_cli.commands import login, runs, submit

FAKE_URL = "http://127.0.0.1:8765"
ALICE_PASSWORD = "correct horse"


@pytest.fixture(autouse=True)
def config_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> Path:
    """A config folder of the test's own (never ~/.config), and no BATCHFLOW_TOKEN."""
    folder = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    monkeypatch.delenv("BATCHFLOW_TOKEN", raising=False)
    return folder


@dataclass
class FakeService:
    """A service with one user, alice (maintainer), who may not submit: it answers
    /auth/token, /users/me and GET /runs, and 403 to POST /runs."""

    tokens: set[str] = field(default_factory=lambda: {"bfp_personal"})
    login_answer: httpx.Response | None = None
    """What POST /auth/token answers instead of checking the password."""
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if (request.method, path) == ("POST", "/auth/token"):
            return self.login_answer or self._log_in(request)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return httpx.Response(
                401,
                json={"msg": "not authenticated", "status_code": 401},
                headers={"WWW-Authenticate": "Bearer"},
            )
        if path == "/users/me":
            via = "personal" if token.startswith("bfp_") else "session"
            return httpx.Response(200, json={"name": "alice", "role": "viewer", "via": via})
        if (request.method, path) == ("GET", "/runs"):
            return httpx.Response(200, json={"runs": [], "next_page_token": ""})
        if (request.method, path) == ("POST", "/runs"):
            return httpx.Response(403, json={"msg": "a viewer may not submit runs"})
        return httpx.Response(404, json={"msg": f"no route {path}"})

    def _log_in(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        if form == {"username": ["alice"], "password": [ALICE_PASSWORD]}:
            self.tokens.add("session-token")
            body = {"access_token": "session-token", "token_type": "bearer", "expires_in": 3600}
            return httpx.Response(200, json=body)
        return httpx.Response(
            401, json={"msg": "incorrect username or password", "status_code": 401}
        )

    def sent(self, path: str) -> list[httpx.Request]:
        return [request for request in self.requests if request.url.path == path]


@pytest.fixture
def fake_service(monkeypatch) -> FakeService:
    """The fake service behind every ServiceClient the login, runs and submit commands make."""
    service = FakeService()
    client = partial(ServiceClient, transport=httpx.MockTransport(service))
    for module in (login, runs, submit):
        monkeypatch.setattr(module, "ServiceClient", client)
    return service
