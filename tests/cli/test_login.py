"""`batchflow login | logout | whoami` against a fake service: what is sent, what is stored,
what is said, and the exit codes."""

import getpass
import json
from urllib.parse import parse_qs

import httpx
from typer.testing import CliRunner

from batchflow_cli.credentials import credential_for, credentials_file, store_token
from batchflow_cli.main import app

from .conftest import ALICE_PASSWORD, FAKE_URL

runner = CliRunner()


def stored() -> dict[str, str]:
    path = credentials_file()
    return json.loads(path.read_text())["tokens"] if path.exists() else {}


def test_a_password_login_posts_the_form_and_stores_the_session_token(fake_service) -> None:
    result = runner.invoke(
        app,
        ["login", "--url", FAKE_URL, "--username", "alice", "--password-stdin"],
        input=f"{ALICE_PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    [posted] = fake_service.sent("/auth/token")
    assert posted.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "authorization" not in posted.headers
    assert parse_qs(posted.content.decode()) == {
        "username": ["alice"],
        "password": [ALICE_PASSWORD],
    }
    [asked] = fake_service.sent("/users/me")
    assert asked.headers["authorization"] == "Bearer session-token"
    assert stored() == {FAKE_URL: "session-token"}
    assert result.stdout == (
        f"Logged in to {FAKE_URL} as alice (viewer); token stored in {credentials_file()} "
        "(mode 0600); it expires in 1 h\n"
    )
    assert ALICE_PASSWORD not in result.output


def test_the_prompt_offers_the_local_user_name_and_hides_the_password(
    fake_service, monkeypatch
) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "alice")

    result = runner.invoke(app, ["login", "--url", FAKE_URL], input=f"\n{ALICE_PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "Username [alice]: " in result.stdout
    assert ALICE_PASSWORD not in result.stdout
    assert stored() == {FAKE_URL: "session-token"}


def test_a_wrong_password_exits_1_and_stores_nothing(fake_service) -> None:
    result = runner.invoke(
        app,
        ["login", "--url", FAKE_URL, "--username", "alice", "--password-stdin"],
        input="wrong\n",
    )

    assert result.exit_code == 1
    assert result.stderr == "batchflow login: login failed: incorrect username or password\n"
    assert stored() == {}


def test_too_many_failures_say_how_long_to_wait(fake_service) -> None:
    fake_service.login_answer = httpx.Response(
        429,
        json={"msg": "too many failed logins", "status_code": 429},
        headers={"Retry-After": "30"},
    )

    result = runner.invoke(
        app,
        ["login", "--url", FAKE_URL, "--username", "alice", "--password-stdin"],
        input=f"{ALICE_PASSWORD}\n",
    )

    assert result.exit_code == 1
    assert result.stderr == (
        "batchflow login: login failed: too many failed logins; wait 30 s before trying again\n"
    )


def test_a_token_is_checked_with_users_me_then_stored(fake_service) -> None:
    result = runner.invoke(app, ["login", "--url", f"{FAKE_URL}/", "--token", "bfp_personal"])

    assert result.exit_code == 0, result.output
    assert fake_service.sent("/auth/token") == []
    [asked] = fake_service.sent("/users/me")
    assert asked.headers["authorization"] == "Bearer bfp_personal"
    assert stored() == {FAKE_URL: "bfp_personal"}
    assert result.stdout.startswith(f"Logged in to {FAKE_URL}/ as alice (viewer); token stored")


def test_a_token_can_come_from_stdin(fake_service) -> None:
    result = runner.invoke(
        app, ["login", "--url", FAKE_URL, "--token", "-"], input="bfp_personal\n"
    )

    assert result.exit_code == 0, result.output
    assert stored() == {FAKE_URL: "bfp_personal"}


def test_a_refused_token_exits_1_and_is_not_stored(fake_service) -> None:
    result = runner.invoke(app, ["login", "--url", FAKE_URL, "--token", "bfp_revoked"])

    assert result.exit_code == 1
    assert result.stderr == (
        f"batchflow login: login failed: {FAKE_URL} refused the token (it expired, was revoked, "
        "or is not one of its tokens)\n"
    )
    assert stored() == {}


def test_a_service_without_authentication_is_named(fake_service) -> None:
    fake_service.login_answer = httpx.Response(404, json={"detail": "Not Found"})

    result = runner.invoke(
        app,
        ["login", "--url", FAKE_URL, "--username", "alice", "--password-stdin"],
        input="x\n",
    )

    assert result.exit_code == 1
    assert f"{FAKE_URL} has no /auth/token" in result.stderr


def test_misused_options_are_usage_errors(fake_service) -> None:
    no_username = runner.invoke(app, ["login", "--url", FAKE_URL, "--password-stdin"], input="x")
    both = runner.invoke(app, ["login", "--url", FAKE_URL, "--token", "t", "--username", "a"])
    empty = runner.invoke(app, ["login", "--url", FAKE_URL, "--token", "-"], input="\n")
    bad_url = runner.invoke(app, ["login", "--url", "127.0.0.1:8000", "--token", "t"])

    assert no_username.exit_code == 2
    assert "--password-stdin needs --username" in no_username.stderr
    assert both.exit_code == 2
    assert empty.exit_code == 2
    assert bad_url.exit_code == 2
    assert "is not an http:// or https:// URL with a host" in bad_url.stderr
    assert fake_service.requests == []


def test_plain_http_beyond_this_machine_is_warned_about(fake_service) -> None:
    result = runner.invoke(
        app, ["login", "--url", "http://batchflow.example.org:8000", "--token", "bfp_personal"]
    )

    assert result.exit_code == 0, result.output
    assert "is plain http; passwords and tokens cross the network unencrypted" in result.stderr


def test_an_unreachable_service_exits_4() -> None:
    result = runner.invoke(app, ["login", "--url", "http://127.0.0.1:9", "--token", "t"])

    assert result.exit_code == 4
    assert result.stderr.startswith("batchflow: cannot reach the batchflow service at ")
    assert stored() == {}


def test_batchflow_token_set_is_pointed_out_after_login(fake_service, monkeypatch) -> None:
    monkeypatch.setenv("BATCHFLOW_TOKEN", "bfp_other")

    result = runner.invoke(app, ["login", "--url", FAKE_URL, "--token", "bfp_personal"])

    assert result.exit_code == 0, result.output
    assert "BATCHFLOW_TOKEN is set, and is sent instead of the stored token" in result.stderr


def test_whoami_names_the_user_role_and_where_the_token_came_from(fake_service) -> None:
    store_token(FAKE_URL, "bfp_personal")

    human = runner.invoke(app, ["whoami", "--url", FAKE_URL])
    as_json = runner.invoke(app, ["whoami", "--url", FAKE_URL, "--json"])

    assert human.exit_code == 0, human.output
    assert human.stdout == (
        f"alice (viewer) at {FAKE_URL} (personal token, from {credentials_file()})\n"
    )
    assert json.loads(as_json.stdout) == {"name": "alice", "role": "viewer", "via": "personal"}


def test_whoami_without_a_token_exits_5_and_says_how_to_log_in(fake_service) -> None:
    result = runner.invoke(app, ["whoami", "--url", FAKE_URL])

    assert result.exit_code == 5
    assert result.stderr == (
        f"batchflow: not logged in to {FAKE_URL}: run `batchflow login --url {FAKE_URL}`, or set "
        "BATCHFLOW_TOKEN\n"
    )


def test_logout_removes_the_token_and_says_when_there_was_none() -> None:
    path = store_token(FAKE_URL, "bfp_personal")
    store_token("http://127.0.0.1:9000", "other")

    first = runner.invoke(app, ["logout", "--url", FAKE_URL])
    again = runner.invoke(app, ["logout", "--url", FAKE_URL])

    assert first.exit_code == 0
    assert first.stdout == f"Logged out of {FAKE_URL}: its token was removed from {path}\n"
    assert credential_for(FAKE_URL) is None
    assert stored() == {"http://127.0.0.1:9000": "other"}
    assert again.exit_code == 0
    assert again.stdout == f"No token is stored for {FAKE_URL}\n"
