"""`batchflow runs`: list, inspect, follow, cancel, resume and download runs at the service."""

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.filesize import decimal

from ..client import ServiceClient
from ..credentials import credential_for
from ..display import run_summary, task_table
from ..download import DownloadError, download_run
from ..exits import ExitCode, fail, service_errors_reported
from ..options import (
    DEFAULT_URL,
    HELP_OPTIONS,
    JsonOutput,
    Params,
    ServiceUrl,
    Tags,
    parse_pairs,
    parse_params,
)
from ..progress import follow

app = typer.Typer(
    help="List, inspect, follow, cancel, resume and download runs at the service.",
    no_args_is_help=True,
    context_settings=HELP_OPTIONS,
)


@app.command("list")
def list_runs(
    state: Annotated[str | None, typer.Option(help="Only runs in this state.")] = None,
    tag: Annotated[list[str], typer.Option(help="key:value; repeatable.")] = [],  # noqa: B006
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many runs.")] = 50,
    json_output: JsonOutput = False,
    url: ServiceUrl = DEFAULT_URL,
) -> None:
    """Newest runs first: id, state, engine, workflow, when it was submitted."""
    with service_errors_reported(), ServiceClient(url, credential=credential_for(url)) as client:
        runs = client.runs(state, tag, limit)["runs"]
    if json_output:
        typer.echo(json.dumps(runs, indent=2))
        return
    for run in runs:
        state, engine = f"{run['state']:<14}", f"{run['engine']:<9}"
        typer.echo(f"{run['id']}  {state} {engine} {run['workflow']}  {run['created_at']}")


@app.command()
def show(run_id: str, json_output: JsonOutput = False, url: ServiceUrl = DEFAULT_URL) -> None:
    """A run and a table of its tasks (with --json: the run, with its tasks, as JSON)."""
    with service_errors_reported(), ServiceClient(url, credential=credential_for(url)) as client:
        run, tasks = client.run(run_id), client.tasks(run_id)
    if json_output:
        typer.echo(json.dumps({**run, "tasks": tasks}, indent=2))
        return
    console = Console()
    console.print(run_summary(run))
    console.print(task_table(tasks) if tasks else "no tasks yet")


@app.command()
def cancel(run_id: str, url: ServiceUrl = DEFAULT_URL) -> None:
    """Cancel a run; its Batch jobs are terminated. Prints its state."""
    with service_errors_reported(), ServiceClient(url, credential=credential_for(url)) as client:
        typer.echo(client.cancel(run_id)["state"])


@app.command()
def resume(
    run_id: str,
    param: Params = [],  # noqa: B006 - typer reads the default, never mutates it
    params_file: Annotated[
        Path | None, typer.Option(help="A JSON object of parameters to change.", exists=True)
    ] = None,
    tag: Tags = [],  # noqa: B006
    wait: Annotated[
        bool,
        typer.Option(
            help="Follow the new run with a progress bar until it ends; exit 1 unless COMPLETE."
        ),
    ] = False,
    url: ServiceUrl = DEFAULT_URL,
) -> None:
    """Resume a run that failed or was canceled: a new run reuses its finished work and reruns
    only what failed or is missing; each --param replaces the old run's value. Prints the new
    run's id (and with --wait, the state it ended in)."""
    params, tags = parse_params(param, params_file), parse_pairs(tag, "--tag")
    with service_errors_reported(), ServiceClient(url, credential=credential_for(url)) as client:
        run = client.resume(run_id, params, tags)
        typer.echo(run["id"])
        if wait:
            final = follow(client, run["id"], Console(stderr=True))
            typer.echo(final["state"])
            if final["state"] != "COMPLETE":
                raise typer.Exit(ExitCode.FAILED)


@app.command()
def logs(
    run_id: str,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Stream until the run ends.")
    ] = False,
    url: ServiceUrl = DEFAULT_URL,
) -> None:
    """A run's log: the service's notes, then Snakemake's output."""
    with service_errors_reported(), ServiceClient(url, credential=credential_for(url)) as client:
        for line in client.log_lines(run_id, follow):
            typer.echo(line)


@app.command()
def download(
    run_id: str,
    destination: Annotated[
        Path | None,
        typer.Argument(help="The folder to save them in; default: ./RUN_ID", show_default=False),
    ] = None,
    url: ServiceUrl = DEFAULT_URL,
) -> None:
    """Save every output file of a completed run under DESTINATION, keeping their paths."""
    folder = Path(run_id) if destination is None else destination
    with service_errors_reported(), ServiceClient(url, credential=credential_for(url)) as client:
        try:
            saved = download_run(client, run_id, folder, Console(stderr=True))
        except DownloadError as error:
            fail(f"batchflow: {error}")
    if not saved:
        typer.echo(f"run {run_id} is COMPLETE and has no output files")
        return
    size = decimal(sum(path.stat().st_size for path in saved))
    typer.echo(f"saved {len(saved)} files ({size}) of run {run_id} in {folder}")
