"""`batchflow serve`: the run service's REST and GA4GH WES APIs."""

import logging
import secrets
from typing import TYPE_CHECKING, Annotated

import typer

from ..exits import ExitCode, fail

if TYPE_CHECKING:
    from batchflow_service.settings import Settings


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
    from pydantic import SecretStr

    from batchflow_local.embedded import start_local_aws
    from batchflow_local.server import NotLoopbackError, loopback_address
    from batchflow_service.app import create_app
    from batchflow_service.settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        settings = Settings()
    except ValueError as error:
        fail(f"batchflow: {error}")
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
        if settings.auth == "none":
            fail(
                f"batchflow serve: --host {host} is not loopback, and BATCHFLOW_AUTH=none turns "
                "authentication off: anyone who reaches the service could submit and cancel "
                "runs. Listen on loopback, or unset BATCHFLOW_AUTH.",
                ExitCode.USAGE,
            )
        typer.echo(
            f"batchflow serve: listening on {host} with {settings.auth} authentication; put "
            "TLS in front of it, since tokens and passwords cross the network",
            err=True,
        )
    if local_aws and _admin_created_here(settings):
        password = secrets.token_urlsafe(18)
        settings = settings.model_copy(update={"admin_password": SecretStr(password)})
        where = f"[{host}]" if ":" in host else host
        typer.echo(
            f"admin password: {password} (shown once; set BATCHFLOW_ADMIN_PASSWORD to choose "
            f"it); log in with `batchflow login --url http://{where}:{port} --username admin`"
        )
    local = start_local_aws() if local_aws else None
    if local is not None:
        typer.echo(f"local AWS at {local.endpoint}")
    try:
        try:
            service = create_app(settings)
        except ValueError as error:
            fail(f"batchflow: {error}")
        uvicorn.run(service, host=host, port=port, log_level="info")
    finally:
        if local is not None:
            local.stop()


def _admin_created_here(settings: "Settings") -> bool:
    """Whether the service will create user admin with a password nobody chose: builtin
    authentication, no BATCHFLOW_ADMIN_PASSWORD, and runs kept in memory (a database may
    already hold admin, whose password this one would not be)."""
    return (
        settings.auth == "builtin"
        and settings.admin_password is None
        and settings.database_url is None
    )
