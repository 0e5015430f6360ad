"""`batchflow submit`: start a run of a catalog workflow, or of a workflow on this machine."""

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ..client import ServiceClient
from ..credentials import credential_for
from ..exits import ExitCode, fail, service_errors_reported
from ..options import DEFAULT_URL, Params, ServiceUrl, Tags, parse_pairs, parse_params
from ..progress import follow
from ..uploads import LocalWorkflowError, local_workflow


def submit(
    workflow: Annotated[
        str,
        typer.Argument(
            help="A catalog workflow's name, or, when the path exists, a workflow on this "
            "machine: a folder holding a Snakefile (or workflow/Snakefile), or the Snakefile.",
            show_default=False,
        ),
    ],
    engine: Annotated[str, typer.Option(help="snakemake, nextflow or mock.")] = "snakemake",
    param: Params = [],  # noqa: B006 - typer reads the default, never mutates it
    params_file: Annotated[
        Path | None, typer.Option(help="A JSON object of parameters.", exists=True)
    ] = None,
    tag: Tags = [],  # noqa: B006
    wait: Annotated[
        bool,
        typer.Option(
            help="Follow the run with a progress bar until it ends; exit 1 unless COMPLETE."
        ),
    ] = False,
    url: ServiceUrl = DEFAULT_URL,
) -> None:
    """Submit a run; print its id (and with --wait, the state it ended in)."""
    params, tags = parse_params(param, params_file), parse_pairs(tag, "--tag")
    with service_errors_reported(), ServiceClient(url, credential=credential_for(url)) as client:
        if Path(workflow).exists():
            run = _submit_local(client, Path(workflow), engine, params, tags)
        else:
            run = client.submit(workflow, engine, params, tags)
        typer.echo(run["id"])
        if wait:
            final = follow(client, run["id"], Console(stderr=True))
            typer.echo(final["state"])
            if final["state"] != "COMPLETE":
                raise typer.Exit(ExitCode.FAILED)


def _submit_local(
    client: ServiceClient,
    path: Path,
    engine: str,
    params: dict[str, Any],
    tags: dict[str, str],
) -> dict[str, Any]:
    try:
        workflow = local_workflow(path, engine)
    except LocalWorkflowError as error:
        fail(f"batchflow submit: {error}", ExitCode.USAGE)
    typer.echo(
        f"uploading {len(workflow.files)} files from {workflow.folder} ({workflow.entry} runs)",
        err=True,
    )
    return client.submit_files(workflow.entry, workflow.attachments(), engine, params, tags)
