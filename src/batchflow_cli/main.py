"""The `batchflow` command line: one app, every command registered on it."""

from typing import Annotated

import typer

from batchflow_service.version import installed_version

from .commands import demo, head, local, login, profile, runs, serve, submit, workflows
from .options import HELP_OPTIONS

app = typer.Typer(
    help="Run Snakemake (and Nextflow) workflows on AWS Batch, or on a local AWS on this machine.",
    no_args_is_help=True,
    add_completion=False,
    context_settings=HELP_OPTIONS,
)


def _print_version(requested: bool) -> None:
    if requested:
        typer.echo(f"batchflow {installed_version()}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """batchflow: Snakemake (and Nextflow) workflows on AWS Batch."""


app.command()(local.local)
app.command()(serve.serve)
app.command()(submit.submit)
app.command()(login.login)
app.command()(login.logout)
app.command()(login.whoami)
app.add_typer(runs.app, name="runs")
app.command()(demo.demo)
app.command()(workflows.workflows)
app.command()(profile.profile)
app.command(hidden=True)(head.head)
