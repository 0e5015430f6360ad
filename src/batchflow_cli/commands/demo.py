"""`batchflow demo`: a catalog workflow run through the service on the local AWS."""

from pathlib import Path
from typing import Annotated

import typer

from ..exits import ExitCode, fail, service_errors_reported
from ..options import Params, parse_params
from ..termination import sigterm_exits

SIGTERM_EXIT_CODE = 143
"""128 + SIGTERM, as a shell reports a command ended by it: the demo stopped everything it
started, but its run did not finish."""


def demo(
    workflow: Annotated[
        str, typer.Argument(help="The catalog workflow to run (`batchflow workflows` lists them).")
    ] = "quickstart",
    param: Params = [],  # noqa: B006 - typer reads the default, never mutates it
    results: Annotated[
        Path | None,
        typer.Option(
            help="Where to save the run's output files; default: batchflow-results/RUN_ID.",
            show_default=False,
        ),
    ] = None,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep",
            help="When the run ends, keep the service and its dashboard open (the URL and a "
            "password are printed) until Ctrl-C.",
        ),
    ] = False,
) -> None:
    """Run a catalog workflow through the service on the local AWS; print and save its results."""
    from rich.console import Console

    from ..demo import DemoError, UnknownWorkflowError, run_demo
    from ..download import DownloadError

    params = parse_params(param, None)
    try:
        with sigterm_exits(SIGTERM_EXIT_CODE), service_errors_reported():
            code = run_demo(workflow, params, Console(soft_wrap=True), results, keep)
    except UnknownWorkflowError as error:
        fail(f"batchflow demo: {error}", ExitCode.NOT_FOUND)
    except DemoError as error:
        fail(f"batchflow demo: {error}", ExitCode.USAGE)
    except DownloadError as error:
        fail(f"batchflow demo: {error}")
    raise typer.Exit(code)
