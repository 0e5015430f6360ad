"""`batchflow serve`: the run service's REST and GA4GH WES APIs."""

import logging
from typing import Annotated

import typer

from ..exits import ExitCode, fail


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    local_aws: Annotated[
        bool,
        typer.Option(
            help="Start the local AWS in this process (the default), or use the standard AWS "
            "configuration (--no-local-aws: a deployed stack, or a separate `batchflow local`)."
        ),
    ] = True,
) -> None:
    """Serve the run service's REST and GA4GH WES APIs."""
    import uvicorn

    from batchflow_local.embedded import start_local_aws
    from batchflow_local.server import NotLoopbackError, loopback_address
    from batchflow_service.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        loopback_address(host)
    except NotLoopbackError:
        if local_aws:
            fail(
                f"batchflow serve: --host {host} is not loopback; with the local AWS embedded, "
                "anyone who reaches the service could run uploaded workflows on this machine. "
                "Listen on loopback, or use --no-local-aws.",
                ExitCode.USAGE,
            )
        typer.echo(
            f"batchflow serve: listening on {host}; this service does not authenticate yet",
            err=True,
        )
    local = start_local_aws() if local_aws else None
    if local is not None:
        typer.echo(f"local AWS at {local.endpoint}")
    try:
        try:
            service = create_app()
        except ValueError as error:
            fail(f"batchflow: {error}")
        uvicorn.run(service, host=host, port=port, log_level="info")
    finally:
        if local is not None:
            local.stop()
