"""`batchflow runs resume` as a user types it, against a real service with the mock engine."""

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from batchflow_cli.main import app

from .running_service import logged_in_service

runner = CliRunner()


@pytest.fixture(scope="module")
def service() -> Iterator[tuple[str, str]]:
    with logged_in_service(engines=["mock"]) as running:
        yield running


@pytest.fixture
def cli(service, monkeypatch):
    url, token = service
    monkeypatch.setenv("BATCHFLOW_URL", url)
    monkeypatch.setenv("BATCHFLOW_TOKEN", token)
    return lambda *args: runner.invoke(app, list(args))


def test_a_failed_run_resumed_with_a_parameter_fixed_completes_linked_to_it(cli) -> None:
    failed = cli(
        "submit", "demo", "--engine", "mock", "--param", "steps=2", "--param", "failure_rate=1"
    )
    old_id = failed.stdout.split()[0]
    cli("runs", "logs", old_id, "--follow")

    resumed = cli("runs", "resume", old_id, "--param", "failure_rate=0", "--tag", "try=2", "--wait")
    new_id, state = resumed.stdout.split()
    shown = json.loads(cli("runs", "show", new_id, "--json").stdout)

    assert resumed.exit_code == 0, resumed.output
    assert state == "COMPLETE"
    assert shown["resumed_from"] == old_id
    assert (shown["params"]["steps"], shown["params"]["failure_rate"]) == (2, 0)
    assert shown["tags"] == {"try": "2"}


def test_resuming_a_complete_run_exits_1_with_the_services_reason(cli) -> None:
    done = cli("submit", "demo", "--engine", "mock", "--param", "delay_seconds=0", "--wait")
    run_id = done.stdout.split()[0]

    result = cli("runs", "resume", run_id)

    assert result.exit_code == 1
    assert result.stderr.startswith(f"batchflow: run {run_id} is COMPLETE: it has nothing left")
