"""`batchflow serve | submit | runs` as a user types them."""

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from batchflow_cli.main import app
from batchflow_cli.serving import ServiceThread
from batchflow_service.settings import Settings

runner = CliRunner()


@pytest.fixture(scope="module")
def service_url() -> Iterator[str]:
    service = ServiceThread(Settings(engines=["mock"]))
    yield service.start()
    service.stop()


@pytest.fixture
def cli(service_url, monkeypatch):
    monkeypatch.setenv("BATCHFLOW_URL", service_url)

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke


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
    shown = json.loads(cli("runs", "show", run_id).stdout)
    logs = cli("runs", "logs", run_id)

    assert submitted.exit_code == 0
    assert state == "COMPLETE"
    assert run_id in listed.stdout
    assert [task["name"] for task in shown["tasks"]] == ["step-0", "step-1"]
    assert logs.stdout.splitlines()[-1] == "step-1: done"


def test_a_failing_run_makes_submit_wait_exit_1(cli) -> None:
    result = cli("submit", "demo", "--engine", "mock", "--param", "failure_rate=1", "--wait")

    assert result.exit_code == 1
    assert result.stdout.split()[-1] == "EXECUTOR_ERROR"


def test_service_errors_are_one_line_messages(cli) -> None:
    done = cli("submit", "demo", "--engine", "mock", "--param", "delay_seconds=0", "--wait")
    run_id = done.stdout.split()[0]

    cancel = cli("runs", "cancel", run_id)
    unknown = cli("runs", "show", "no-such-run")
    bad_param = cli("submit", "demo", "--engine", "mock", "--param", "steps=0")

    assert cancel.exit_code == 1
    assert "HTTP 409" in cancel.stderr
    assert "HTTP 404" in unknown.stderr
    assert "steps" in bad_param.stderr


def test_an_unreachable_service_is_named(monkeypatch) -> None:
    monkeypatch.setenv("BATCHFLOW_URL", "http://127.0.0.1:9")

    result = runner.invoke(app, ["runs", "list"])

    assert result.exit_code == 1
    assert "cannot reach the batchflow service at http://127.0.0.1:9" in result.stderr


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
