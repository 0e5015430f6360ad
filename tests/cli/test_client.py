"""Every command that talks to the service sends the token, and a 401 or 403 becomes a message
that says what to do."""

import httpx
import pytest
from typer.testing import CliRunner

from batchflow_cli.client import ServiceClient
from batchflow_cli.credentials import Credential, credentials_file, store_token
from batchflow_cli.main import app

from .conftest import FAKE_URL

runner = CliRunner()


def test_the_stored_token_goes_with_every_request(fake_service) -> None:
    store_token(FAKE_URL, "bfp_personal")

    listed = runner.invoke(app, ["runs", "list", "--url", FAKE_URL])
    submitted = runner.invoke(app, ["submit", "demo", "--engine", "mock", "--url", FAKE_URL])

    assert listed.exit_code == 0, listed.output
    assert [request.headers["authorization"] for request in fake_service.requests] == [
        "Bearer bfp_personal",
        "Bearer bfp_personal",
    ]
    assert submitted.exit_code == 1
    assert submitted.stderr == "batchflow: a viewer may not submit runs\n", "403: the service says"


def test_batchflow_token_overrides_the_stored_token(fake_service, monkeypatch) -> None:
    store_token(FAKE_URL, "stale")
    monkeypatch.setenv("BATCHFLOW_TOKEN", "bfp_personal")

    result = runner.invoke(app, ["runs", "list", "--url", FAKE_URL])

    assert result.exit_code == 0, result.output
    assert fake_service.requests[0].headers["authorization"] == "Bearer bfp_personal"


def test_a_token_is_sent_only_to_the_service_it_was_stored_for(fake_service) -> None:
    store_token("http://127.0.0.1:9000", "bfp_personal")

    result = runner.invoke(app, ["runs", "list", "--url", FAKE_URL])

    assert result.exit_code == 5
    assert "authorization" not in fake_service.requests[0].headers


@pytest.mark.parametrize(
    ("token_from", "message"),
    [
        ("nowhere", f"not logged in to {FAKE_URL}: run `batchflow login --url {FAKE_URL}`"),
        ("file", f"{FAKE_URL} refused the token stored in {{file}} (it expired or was revoked): "),
        ("environment", f"{FAKE_URL} refused the token in BATCHFLOW_TOKEN (it expired, "),
    ],
)
def test_a_401_exits_5_and_says_how_to_log_in(
    fake_service, monkeypatch, token_from, message
) -> None:
    if token_from == "file":
        store_token(FAKE_URL, "revoked")
    if token_from == "environment":
        monkeypatch.setenv("BATCHFLOW_TOKEN", "revoked")

    result = runner.invoke(app, ["runs", "show", "r1", "--url", FAKE_URL])

    assert result.exit_code == 5
    assert result.stderr.startswith(f"batchflow: {message.format(file=credentials_file())}")
    assert len(result.stderr.splitlines()) == 1


def test_a_credentials_file_others_may_read_exits_5_before_any_request(fake_service) -> None:
    store_token(FAKE_URL, "bfp_personal").chmod(0o640)

    result = runner.invoke(app, ["runs", "list", "--url", FAKE_URL])

    assert result.exit_code == 5
    assert "lets others read it" in result.stderr
    assert fake_service.requests == []


def test_the_token_does_not_follow_a_redirect_to_another_host() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.host == "s3.example":
            return httpx.Response(200, content=b"data")
        return httpx.Response(307, headers={"location": "https://s3.example/bucket/a.txt"})

    client = ServiceClient(
        FAKE_URL, transport=httpx.MockTransport(answer), credential=Credential("t", "test")
    )
    with client, client.open_output("r1", "a.txt") as output:
        content = b"".join(output.chunks)

    assert content == b"data"
    assert [request.headers.get("authorization") for request in sent] == ["Bearer t", None]
