"""The `batchflow` app itself: its version, its help everywhere, every command registered."""

from importlib.metadata import version

import pytest
from typer.testing import CliRunner

from batchflow_cli.main import app

runner = CliRunner()


def test_version_names_the_installed_distribution() -> None:
    result = runner.invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.stdout == f"batchflow {version('snakemake-executor-plugin-batchflow')}\n"


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["local"],
        ["serve"],
        ["submit"],
        ["login"],
        ["logout"],
        ["whoami"],
        ["runs"],
        ["runs", "list"],
        ["runs", "show"],
        ["runs", "cancel"],
        ["runs", "logs"],
        ["runs", "download"],
        ["demo"],
        ["workflows"],
        ["profile"],
        ["head"],
    ],
    ids=lambda command: " ".join(command) or "batchflow",
)
def test_dash_h_is_help_everywhere(command) -> None:
    short = runner.invoke(app, [*command, "-h"], prog_name="batchflow")
    long = runner.invoke(app, [*command, "--help"], prog_name="batchflow")

    assert short.exit_code == 0, short.output
    assert f"Usage: {' '.join(['batchflow', *command])} " in short.stdout
    assert short.stdout == long.stdout


def test_every_command_is_on_the_one_app() -> None:
    listed = runner.invoke(app, ["-h"]).stdout

    commands = ("local", "serve", "submit", "login", "logout", "whoami", "runs", "demo")
    for command in (*commands, "workflows", "profile"):
        assert f" {command} " in listed
    assert " head " not in listed, "head is for the service's head jobs, not for people"


def test_a_bad_option_is_a_usage_error() -> None:
    result = runner.invoke(app, ["runs", "list", "--limit", "0"])

    assert result.exit_code == 2


def test_a_param_that_is_not_key_value_is_a_usage_error() -> None:
    result = runner.invoke(
        app, ["submit", "demo", "--param", "steps", "--url", "http://127.0.0.1:9"]
    )

    assert result.exit_code == 2
    assert "--param must be key=value, got 'steps'" in result.output


def test_the_demo_exits_3_for_a_workflow_not_in_the_catalog() -> None:
    result = runner.invoke(app, ["demo", "no-such-workflow"])

    assert result.exit_code == 3
    assert result.stderr.startswith(
        "batchflow demo: workflow 'no-such-workflow' is not in the catalog (available: "
    )
