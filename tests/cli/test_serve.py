"""`batchflow serve`: where it may listen with and without authentication, and the admin
password it makes for the embedded case."""

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

import batchflow_local.embedded
import batchflow_service.app
from batchflow_cli.http_protocol import NoDelayHTTPProtocol
from batchflow_cli.main import app
from batchflow_local.state_dir import StateDir

runner = CliRunner()


class FakeLocalAws:
    endpoint = "http://127.0.0.1:4566"

    def __init__(self, state_dir: Path, lease_grace_seconds: float, seen: dict[str, Any]):
        seen.update(state_dir=state_dir, lease_grace_seconds=lease_grace_seconds)
        self.state = StateDir(state_dir)
        self.process = SimpleNamespace(pid=4321, adopted=False)

    def stop(self) -> None:
        pass


@pytest.fixture
def served(monkeypatch, tmp_path) -> dict[str, Any]:
    """What `serve` would have served, and where, without serving it."""
    for name in ("BATCHFLOW_AUTH", "BATCHFLOW_ADMIN_PASSWORD", "BATCHFLOW_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    seen: dict[str, Any] = {}

    class FakeServer:
        started = True

        def __init__(self, config: uvicorn.Config) -> None:
            seen.update(settings=config.app, host=config.host, port=config.port)

        def run(self) -> None:
            pass

    monkeypatch.setattr(
        batchflow_local.embedded,
        "start_local_aws",
        lambda state_dir, grace: FakeLocalAws(state_dir, grace, seen),
    )
    monkeypatch.setattr(batchflow_service.app, "create_app", lambda settings: settings)
    monkeypatch.setattr(uvicorn, "Server", FakeServer)
    return seen


def test_beyond_loopback_without_authentication_is_refused_and_nothing_listens(
    served, monkeypatch
) -> None:
    monkeypatch.setenv("BATCHFLOW_AUTH", "none")

    result = runner.invoke(app, ["serve", "--no-local-aws", "--host", "0.0.0.0"])

    assert result.exit_code == 2
    assert result.stderr.startswith(
        "batchflow serve: --host 0.0.0.0 is not loopback, and BATCHFLOW_AUTH=none turns "
        "authentication off"
    )
    assert served == {}, "no app was built and nothing listens"


def test_loopback_without_authentication_serves(served, monkeypatch) -> None:
    monkeypatch.setenv("BATCHFLOW_AUTH", "none")

    result = runner.invoke(app, ["serve", "--no-local-aws"])

    assert result.exit_code == 0, result.output
    assert served["host"] == "127.0.0.1"
    assert served["settings"].auth == "none"


def test_beyond_loopback_with_authentication_serves_and_says_so(served) -> None:
    result = runner.invoke(app, ["serve", "--no-local-aws", "--host", "0.0.0.0"])

    assert result.exit_code == 0, result.output
    assert served["host"] == "0.0.0.0"
    assert "listening on 0.0.0.0 with builtin authentication; put TLS in front" in result.stderr
    assert "admin password" not in result.stdout, "a deployed service logs its own, once"


def test_the_embedded_service_prints_the_admin_password_it_made_once(served) -> None:
    result = runner.invoke(app, ["serve"])

    assert result.exit_code == 0, result.output
    password = served["settings"].admin_password.get_secret_value()
    assert len(password) >= 16
    assert result.stdout.count(password) == 1
    assert result.stdout.startswith(
        f"admin password: {password} (shown once; set BATCHFLOW_ADMIN_PASSWORD to choose it); "
        "log in with `batchflow login --url http://127.0.0.1:8000 --username admin`\n"
    )


@pytest.mark.parametrize(
    "environment",
    [
        {"BATCHFLOW_ADMIN_PASSWORD": "chosen-password"},
        {"BATCHFLOW_DATABASE_URL": "postgresql://db/runs"},
        {"BATCHFLOW_AUTH": "oidc"},
    ],
    ids=["password chosen", "users in a database", "oidc"],
)
def test_no_password_is_made_when_one_is_chosen_or_may_exist(served, environment) -> None:
    result = runner.invoke(app, ["serve"], env=environment)

    assert result.exit_code == 0, result.output
    assert "admin password" not in result.stdout
    made = served["settings"].admin_password
    assert made is None or made.get_secret_value() == "chosen-password"


def test_the_local_aws_lives_in_the_user_data_directory_unless_told_otherwise(
    served, tmp_path
) -> None:
    default = runner.invoke(app, ["serve"])
    default_dir = served["state_dir"]
    chosen = runner.invoke(app, ["serve", "--state-dir", str(tmp_path / "s"), "--lease-grace", "7"])

    assert default.exit_code == 0, default.output
    assert default_dir == tmp_path / "data" / "batchflow" / "local"
    assert f"state dir {default_dir}, log {default_dir / 'local-aws.log'}" in default.stdout
    assert chosen.exit_code == 0, chosen.output
    assert served["state_dir"] == tmp_path / "s"
    assert served["lease_grace_seconds"] == 7


@pytest.mark.parametrize("option", [["--state-dir", "somewhere"], ["--lease-grace", "5"]])
def test_local_aws_options_without_the_local_aws_are_refused(served, option) -> None:
    result = runner.invoke(app, ["serve", "--no-local-aws", *option])

    assert result.exit_code == 2
    assert "are for the local AWS that serve runs; with --no-local-aws there is none" in (
        result.stderr
    )
    assert served == {}


def test_workers_without_a_database_are_refused(served) -> None:
    result = runner.invoke(app, ["serve", "--no-local-aws", "--workers", "2"])

    assert result.exit_code == 2
    assert result.stderr.startswith(
        "batchflow serve: --workers 2 needs BATCHFLOW_DATABASE_URL: runs kept in memory live "
        "in one process"
    )
    assert served == {}


def test_workers_with_a_database_each_build_the_app_from_the_environment(
    served, monkeypatch
) -> None:
    monkeypatch.setenv("BATCHFLOW_DATABASE_URL", "postgresql://batchflow@127.0.0.1/batchflow")
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))

    result = runner.invoke(app, ["serve", "--no-local-aws", "--workers", "3", "--port", "8123"])

    assert result.exit_code == 0, result.output
    assert served["app"] == "batchflow_cli.serve_workers:create_worker_app"
    assert (served["factory"], served["workers"], served["port"]) == (True, 3, 8123)
    assert served["http"] is NoDelayHTTPProtocol
