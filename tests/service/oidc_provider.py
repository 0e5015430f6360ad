"""A real OpenID provider for the tests: oidc-provider (Node) on a loopback port.

`running_oidc_provider()` installs its node modules when they are missing (`npm ci`), starts
tests/service/oidc/provider.mjs and yields an `OidcProvider` that hands out tokens by driving
the authorization-code flow (+PKCE) through the provider's login and consent pages.
"""

import base64
import contextlib
import hashlib
import json
import re
import secrets
import selectors
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from ..prerequisites import missing

HERE = Path(__file__).parent / "oidc"
AUDIENCE = "https://batchflow.test/api"
CLIENT_ID = "batchflow-tests"
REDIRECT_URI = "http://127.0.0.1/callback"
CLIENTS = {"RS256": CLIENT_ID, "ES256": "batchflow-tests-es256"}
DASHBOARD_CLIENT_ID = "batchflow-dashboard"
SHORT_LIVED_CLIENT = "batchflow-tests-short"
"""Its tokens expire one second after they are issued."""


def install_node_modules() -> None:
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        missing("the OIDC tests need Node.js 20 and npm on PATH (they run oidc-provider)")
    installed = HERE / "node_modules" / ".package-lock.json"
    lock = HERE / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--silent"],
        cwd=HERE,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"npm ci in {HERE} failed:\n{done.stdout}{done.stderr}")


@dataclass
class OidcProvider:
    url: str
    """Where it listens; its issuer unless started with another."""
    issuer: str
    process: subprocess.Popen[str]

    def token(
        self,
        username: str,
        groups: str | list[str] | None = None,
        *,
        audience: str = AUDIENCE,
        alg: Literal["RS256", "ES256"] = "RS256",
        claims: dict[str, Any] | None = None,
        kind: Literal["access", "id"] = "access",
        client_id: str | None = None,
    ) -> str:
        """A JWT access token for `audience` (or the ID token, whose aud is the client id) of
        `username`, carrying `groups` and any other `claims`."""
        user_claims = dict(claims or {})
        if groups is not None:
            user_claims["groups"] = groups
        tokens = self._code_flow(username, user_claims, audience, client_id or CLIENTS[alg])
        return tokens["access_token"] if kind == "access" else tokens["id_token"]

    def rotate_keys(self) -> list[str]:
        """New signing keys go first; returns every published kid, newest first."""
        return httpx.post(f"{self.url}/_test/rotate").raise_for_status().json()["kids"]

    def jwks_requests(self) -> int:
        return httpx.get(f"{self.url}/_test/stats").raise_for_status().json()["jwks"]

    def _code_flow(
        self, username: str, claims: dict[str, Any], audience: str, client_id: str
    ) -> dict[str, Any]:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        state = secrets.token_urlsafe(16)
        with httpx.Client(base_url=self.url, timeout=10) as http:
            response = http.get(
                "/auth",
                params={
                    "client_id": client_id,
                    "response_type": "code",
                    "redirect_uri": REDIRECT_URI,
                    "scope": "openid profile batchflow",
                    "resource": audience,
                    "state": state,
                    "nonce": secrets.token_urlsafe(16),
                    "code_challenge": challenge.rstrip(b"=").decode(),
                    "code_challenge_method": "S256",
                },
            )
            for _ in range(10):
                location = response.headers.get("location")
                if location is None:
                    form = re.search(r'<form method="post" action="([^"]+)"', response.text)
                    if form is None:
                        raise RuntimeError(f"no redirect and no form: {response.text[:500]}")
                    fields = {"login": username, "claims": json.dumps(claims)}
                    response = http.post(form.group(1), data=fields)
                    continue
                if location.startswith(REDIRECT_URI):
                    break
                response = http.get(urljoin(str(response.url), location))
            else:
                raise RuntimeError("the code flow did not come back to the client")
            query = parse_qs(urlsplit(location).query)
            if "code" not in query:
                raise RuntimeError(f"the provider refused: {query}")
            assert query["state"] == [state]
            response = http.post(
                "/token",
                auth=(client_id, f"{client_id}-secret"),
                data={
                    "grant_type": "authorization_code",
                    "code": query["code"][0],
                    "redirect_uri": REDIRECT_URI,
                    "code_verifier": verifier,
                    "resource": audience,
                },
            )
            if response.is_error:
                raise RuntimeError(f"token request failed: {response.text}")
            return response.json()


@contextlib.contextmanager
def running_oidc_provider(
    *, issuer: str | None = None, keys: Path | None = None, dashboard_redirect: str | None = None
) -> Iterator[OidcProvider]:
    """`issuer` overrides what the provider calls itself (by default its own URL); `keys` is a
    file of private keys that another instance may share; `dashboard_redirect` adds the public
    client DASHBOARD_CLIENT_ID, which redirects there."""
    install_node_modules()
    command = ["node", str(HERE / "provider.mjs"), "--port", "0"]
    if issuer:
        command += ["--issuer", issuer]
    if keys:
        command += ["--keys", str(keys)]
    if dashboard_redirect:
        command += ["--dashboard-redirect", dashboard_redirect]
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            cwd=HERE,
        )
        try:
            url, issuer = _wait_until_ready(process, log)
            yield OidcProvider(url=url, issuer=issuer, process=process)
        finally:
            stop(process)


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(process: subprocess.Popen[str], log: IO[str]) -> tuple[str, str]:
    """The provider prints `ready <url> <issuer>` once it listens."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        line = process.stdout.readline() if selector.select(timeout=30) else ""
    if not line.startswith("ready "):
        stop(process)
        log.seek(0)
        raise RuntimeError(f"the OIDC provider did not start within 30 s: {line}{log.read()}")
    _, url, issuer = line.split()
    return url, issuer
