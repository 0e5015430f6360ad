"""Options several commands share, and how their repeated key=value values are read."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer

DEFAULT_URL = "http://127.0.0.1:8000"
HELP_OPTIONS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}
ServiceUrl = Annotated[
    str,
    typer.Option(
        "--url", envvar="BATCHFLOW_URL", help="The batchflow service to talk to.", show_envvar=True
    ),
]
JsonOutput = Annotated[
    bool, typer.Option("--json", help="Print JSON on stdout instead of a human-readable view.")
]
Params = Annotated[
    list[str], typer.Option("--param", help="key=value (a JSON value, else a string); repeatable.")
]
Tags = Annotated[list[str], typer.Option("--tag", help="key=value; repeatable.")]


def parse_pairs(values: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, separator, rest = value.partition("=")
        if not separator or not key:
            raise typer.BadParameter(f"{what} must be key=value, got {value!r}")
        pairs[key] = rest
    return pairs


def parse_params(values: list[str], params_file: Path | None) -> dict[str, Any]:
    """The --params-file object, then each --param over it; values are JSON when they parse."""
    params: dict[str, Any] = {}
    if params_file is not None:
        try:
            loaded = json.loads(params_file.read_text())
        except ValueError as error:
            raise typer.BadParameter(f"--params-file {params_file} is not JSON: {error}") from None
        if not isinstance(loaded, dict):
            raise typer.BadParameter("--params-file must hold a JSON object")
        params.update(loaded)
    for key, raw in parse_pairs(values, "--param").items():
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params
