"""`batchflow serve | login | submit | runs` as a user types them, against a real service."""

import json
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from typer.testing import CliRunner

from batchflow_cli.credentials import credentials_file
from batchflow_cli.main import app

from .running_service import ADMIN_PASSWORD, logged_in_service, session_token

UNREACHABLE = "http://127.0.0.1:9"
runner = CliRunner()


@pytest.fixture(scope="module")
def service() -> Iterator[tuple[str, str]]:
    """The service's URL, and a token of its admin."""
    with logged_in_service(engines=["mock"]) as running:
        yield running


@pytest.fixture(scope="module")
def service_url(service) -> str:
    return service[0]


@pytest.fixture
def cli(service, monkeypatch):
    """`batchflow` pointed at the service, logged in as admin through BATCHFLOW_TOKEN."""
    url, token = service
    monkeypatch.setenv("BATCHFLOW_URL", url)
    monkeypatch.setenv("BATCHFLOW_TOKEN", token)

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke


@pytest.fixture
def finished_run(cli) -> str:
    done = cli("submit", "demo", "--engine", "mock", "--param", "delay_seconds=0", "--wait")
    assert done.exit_code == 0, done.output
    return done.stdout.split()[0]


def test_submit_wait_list_show_and_logs(cli) -> None:
    submitted = cli(
        "submit",
        "demo",
        "--engine",
        "mock",
        "--param",
        "steps=2",
        "--param",
        "delay_seconds=0",
        "--tag",
        "team=cli",
        "--wait",
    )
    run_id, state = submitted.stdout.split()

    listed = cli("runs", "list", "--tag", "team:cli")
    shown = cli("runs", "show", run_id)
    logs = cli("runs", "logs", run_id)

    assert submitted.exit_code == 0
    assert state == "COMPLETE"
    assert "COMPLETE" in submitted.stderr, "--wait draws the run's progress on stderr"
    assert run_id in listed.stdout
    assert shown.exit_code == 0
    assert f"run       {run_id}" in shown.stdout
    assert "demo (mock)" in shown.stdout
    assert "tags      team=cli" in shown.stdout
    assert [line.split()[1] for line in shown.stdout.splitlines() if "step-" in line] == [
        "step-0",
        "step-1",
    ]
    assert logs.stdout.splitlines()[-1] == "step-1: done"


def test_json_output_parses_and_carries_every_field(cli) -> None:
    submitted = cli(
        "submit", "demo", "--engine", "mock", "--param", "steps=2", "--tag", "team=json", "--wait"
    )
    run_id = submitted.stdout.split()[0]

    listed = json.loads(cli("runs", "list", "--tag", "team:json", "--json").stdout)
    shown = json.loads(cli("runs", "show", run_id, "--json").stdout)
    catalog = json.loads(cli("workflows", "--json").stdout)

    assert [run["id"] for run in listed] == [run_id]
    assert listed[0]["tags"] == {"team": "json"}
    assert shown["state"] == "COMPLETE"
    assert [task["name"] for task in shown["tasks"]] == ["step-0", "step-1"]
    by_name = {workflow["name"]: workflow for workflow in catalog}
    assert by_name["demo"]["engines"] == ["mock"]
    assert "samples" in by_name["quickstart"]["params_schema"]["properties"]


def test_a_failing_run_makes_submit_wait_exit_1(cli) -> None:
    result = cli("submit", "demo", "--engine", "mock", "--param", "failure_rate=1", "--wait")

    assert result.exit_code == 1
    assert result.stdout.split()[-1] == "EXECUTOR_ERROR"


def test_service_errors_are_one_line_messages(cli, finished_run) -> None:
    cancel = cli("runs", "cancel", finished_run)
    bad_param = cli("submit", "demo", "--engine", "mock", "--param", "steps=0")
    bad_state = cli("runs", "list", "--state", "SLEEPING")

    assert cancel.exit_code == 1
    assert cancel.stderr == f"batchflow: run {finished_run} has already ended (COMPLETE)\n"
    assert bad_param.exit_code == 1
    assert bad_param.stderr.startswith("batchflow: ")
    assert "steps" in bad_param.stderr
    assert len(bad_param.stderr.splitlines()) == 1
    assert bad_state.exit_code == 1
    assert bad_state.stderr.startswith("batchflow: query.state: Input should be 'UNKNOWN', ")
    assert len(bad_state.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    "command",
    [
        ["runs", "show"],
        ["runs", "cancel"],
        ["runs", "logs"],
        ["runs", "logs", "--follow"],
        ["runs", "download"],
    ],
    ids=" ".join,
)
def test_an_unknown_run_exits_3(cli, command, tmp_path) -> None:
    result = cli(*command, "no-such-run", *([str(tmp_path / "x")] if "download" in command else []))

    assert result.exit_code == 3
    assert result.stderr == "batchflow: no run 'no-such-run'\n"
    assert result.stdout == ""


@pytest.mark.parametrize(
    "command",
    [
        ["submit", "demo", "--engine", "mock"],
        ["runs", "list"],
        ["runs", "show", "some-run"],
        ["runs", "cancel", "some-run"],
        ["runs", "logs", "some-run", "--follow"],
        ["runs", "download", "some-run"],
    ],
    ids=" ".join,
)
def test_an_unreachable_service_exits_4_and_is_named(command, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)

    from_option = runner.invoke(app, [*command, "--url", UNREACHABLE])
    monkeypatch.setenv("BATCHFLOW_URL", UNREACHABLE)
    from_environment = runner.invoke(app, command)

    for result in (from_option, from_environment):
        assert result.exit_code == 4
        assert result.stderr.startswith(
            f"batchflow: cannot reach the batchflow service at {UNREACHABLE} "
        )
        assert len(result.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == [], "nothing is written when nothing was fetched"


def test_the_url_option_wins_over_the_environment(service, monkeypatch) -> None:
    service_url, token = service
    monkeypatch.setenv("BATCHFLOW_URL", UNREACHABLE)
    monkeypatch.setenv("BATCHFLOW_TOKEN", token)

    result = runner.invoke(app, ["runs", "list", "--url", service_url, "--json"])

    assert result.exit_code == 0, result.output
    assert isinstance(json.loads(result.stdout), list)


def test_downloading_a_run_without_outputs_says_so(cli, finished_run, tmp_path) -> None:
    running = cli("submit", "demo", "--engine", "mock", "--param", "delay_seconds=60")
    running_id = running.stdout.strip()

    empty = cli("runs", "download", finished_run, str(tmp_path / "empty"))
    not_yet = cli("runs", "download", running_id, str(tmp_path / "not-yet"))
    cli("runs", "cancel", running_id)

    assert empty.exit_code == 0
    assert empty.stdout == f"run {finished_run} is COMPLETE and has no output files\n"
    assert not_yet.exit_code == 1
    assert "its output files are listed once it is COMPLETE" in not_yet.stderr
    assert not (tmp_path / "not-yet").exists()


def test_serve_refuses_to_expose_the_embedded_local_aws() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "batchflow_cli", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert "not loopback" in result.stderr


def test_serve_refuses_a_database_url_that_is_not_postgresql() -> None:
    result = runner.invoke(
        app, ["serve", "--no-local-aws"], env={"BATCHFLOW_DATABASE_URL": "mysql://db/runs"}
    )

    assert result.exit_code == 1
    assert "must be a postgresql:// URL" in result.stderr


def test_login_stores_a_token_every_command_sends_until_logout(service_url) -> None:
    logged_in = runner.invoke(
        app,
        ["login", "--url", service_url, "--username", "admin", "--password-stdin"],
        input=ADMIN_PASSWORD,
    )
    whoami = runner.invoke(app, ["whoami", "--url", service_url])
    listed = runner.invoke(app, ["runs", "list", "--url", service_url, "--json"])
    logged_out = runner.invoke(app, ["logout", "--url", service_url])
    refused = runner.invoke(app, ["runs", "list", "--url", service_url])

    assert logged_in.exit_code == 0, logged_in.output
    assert logged_in.stdout.startswith(f"Logged in to {service_url} as admin (admin); token ")
    assert whoami.stdout == (
        f"admin (admin) at {service_url} (session token, from {credentials_file()})\n"
    )
    assert listed.exit_code == 0, listed.output
    assert logged_out.exit_code == 0
    assert refused.exit_code == 5
    assert refused.stderr == (
        f"batchflow: not logged in to {service_url}: run `batchflow login --url {service_url}`, "
        "or set BATCHFLOW_TOKEN\n"
    )


def test_a_wrong_password_exits_1(service_url) -> None:
    result = runner.invoke(
        app,
        ["login", "--url", service_url, "--username", "admin", "--password-stdin"],
        input="not-the-password",
    )

    assert result.exit_code == 1
    assert result.stderr == "batchflow login: login failed: incorrect username or password\n"


def test_a_personal_access_token_logs_in(service) -> None:
    service_url, token = service
    created = httpx.post(
        f"{service_url}/users/me/tokens",
        json={"name": "ci", "expires_in_days": 1},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.text

    logged_in = runner.invoke(
        app, ["login", "--url", service_url, "--token", "-"], input=created.json()["token"]
    )
    whoami = runner.invoke(app, ["whoami", "--url", service_url, "--json"])

    assert logged_in.exit_code == 0, logged_in.output
    assert json.loads(whoami.stdout) == {"name": "admin", "role": "admin", "via": "personal"}


def test_what_a_role_may_not_do_is_the_services_one_line_message(service, tmp_path) -> None:
    service_url, token = service
    for name, role in (("lee", "launcher"), ("vera", "viewer")):
        created = httpx.post(
            f"{service_url}/users",
            json={"name": name, "role": role, "password": f"{name}-{ADMIN_PASSWORD}"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code in (200, 201), created.text
    as_lee = {"BATCHFLOW_TOKEN": session_token(service_url, "lee", f"lee-{ADMIN_PASSWORD}")}
    as_vera = {"BATCHFLOW_TOKEN": session_token(service_url, "vera", f"vera-{ADMIN_PASSWORD}")}
    (tmp_path / "Snakefile").write_text('rule all:\n    shell: "true"\n')
    admins = runner.invoke(
        app,
        ["submit", "demo", "--engine", "mock", "--url", service_url],
        env={"BATCHFLOW_TOKEN": token},
    ).stdout.strip()

    upload = runner.invoke(app, ["submit", str(tmp_path), "--url", service_url], env=as_lee)
    others = runner.invoke(app, ["runs", "show", admins, "--url", service_url], env=as_lee)
    submit = runner.invoke(
        app, ["submit", "demo", "--engine", "mock", "--url", service_url], env=as_vera
    )
    seen = runner.invoke(app, ["runs", "show", admins, "--url", service_url], env=as_vera)

    assert upload.exit_code == 1, "403: a launcher uploads no files"
    assert others.exit_code == 3, "another user's run is not found"
    assert submit.exit_code == 1, "403: a viewer submits nothing"
    assert upload.stderr.splitlines()[-1].startswith("batchflow: "), "after `uploading ...`"
    assert "launcher" in upload.stderr
    assert submit.stderr.startswith("batchflow: ")
    assert "viewer" in submit.stderr
    assert len(submit.stderr.splitlines()) == 1
    assert seen.exit_code == 0, "a viewer reads every run"
