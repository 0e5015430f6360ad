"""`batchflow serve`: the run service's REST and GA4GH WES APIs."""

import contextlib
import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..exits import ExitCode, fail
from ..termination import sigterm_exits

if TYPE_CHECKING:
    from batchflow_local.embedded import EmbeddedLocalAws
    from batchflow_service.settings import Settings


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    local_aws: Annotated[
        bool,
        typer.Option(
            help="Run the local AWS for this service (the default): take over the one in "
            "--state-dir, or start one there. --no-local-aws: use the standard AWS "
            "configuration (a deployed stack, or a separate `batchflow local`)."
        ),
    ] = True,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where the local AWS keeps what outlives a restart of `serve` (its work "
            "directory, endpoint file and log); default: the user data directory's "
            "batchflow/local (~/.local/share/batchflow/local on Linux).",
            show_default=False,
        ),
    ] = None,
    lease_grace: Annotated[
        float | None,
        typer.Option(
            min=1,
            help="Seconds the local AWS keeps its jobs running after `serve` died without "
            "stopping it (SIGKILL, a crash), for a restarted `serve` to take them over; then "
            "it ends them and exits. Default: 300.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Service processes sharing the port, each with its own connection pool. Only "
            "with BATCHFLOW_DATABASE_URL: runs kept in memory live in one process.",
        ),
    ] = 1,
) -> None:
    """Serve the run service's REST and GA4GH WES APIs."""
    import uvicorn
    from pydantic import SecretStr

    from batchflow_local.server import NotLoopbackError, loopback_address
    from batchflow_service.app import create_app
    from batchflow_service.settings import Settings

    from ..http_protocol import NoDelayHTTPProtocol

    if not local_aws and (state_dir is not None or lease_grace is not None):
        fail(
            "batchflow serve: --state-dir and --lease-grace are for the local AWS that serve "
            "runs; with --no-local-aws there is none. Drop them, or drop --no-local-aws.",
            ExitCode.USAGE,
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        settings = Settings()
    except ValueError as error:
        fail(f"batchflow: {error}")
    if workers > 1 and settings.database_url is None:
        fail(
            f"batchflow serve: --workers {workers} needs BATCHFLOW_DATABASE_URL: runs kept in "
            "memory live in one process, which other processes would not see. Set "
            "BATCHFLOW_DATABASE_URL, or drop --workers.",
            ExitCode.USAGE,
        )
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
        typer.echo(
            f"admin password: {password} (shown once; set BATCHFLOW_ADMIN_PASSWORD to choose "
            f"it); log in with `batchflow login --url {_url(host, port)} --username admin`"
        )
    with sigterm_exits(0):
        local = _start_local_aws(state_dir, lease_grace) if local_aws else None
        server: uvicorn.Server | None = None
        served_by_workers = False
        try:
            try:
                service = create_app(settings)
            except ValueError as error:
                fail(f"batchflow: {error}")
            typer.echo(f"dashboard at {_url(host, port)}/ui/, API docs at {_url(host, port)}/docs")
            if workers > 1:
                _serve_in_workers(host, port, workers)
                served_by_workers = True
                return
            config = uvicorn.Config(
                service, host=host, port=port, http=NoDelayHTTPProtocol, log_level="info"
            )
            server = uvicorn.Server(config)
            with contextlib.suppress(KeyboardInterrupt):
                server.run()
        finally:
            if local is not None:
                served = served_by_workers or (server is not None and server.started)
                _stop_or_release(local, served=served)
    if server is None or not server.started:
        raise typer.Exit(ExitCode.FAILED)


def _serve_in_workers(host: str, port: int, workers: int) -> None:
    """uvicorn's worker processes, each building the app from the same environment (so the
    same settings); every one is a replica of the service on one shared database."""
    import uvicorn

    from ..http_protocol import NoDelayHTTPProtocol
    from ..serve_workers import SERVE_PID_VARIABLE

    os.environ[SERVE_PID_VARIABLE] = str(os.getpid())
    uvicorn.run(
        "batchflow_cli.serve_workers:create_worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=NoDelayHTTPProtocol,
        log_level="info",
    )


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _start_local_aws(state_dir: Path | None, lease_grace: float | None) -> "EmbeddedLocalAws":
    from batchflow_local.embedded import DEFAULT_LEASE_GRACE_SECONDS, start_local_aws
    from batchflow_local.state_dir import StateDirError, default_state_dir
    from batchflow_local.supervisor import LocalAwsUnavailableError

    try:
        local = start_local_aws(
            state_dir or default_state_dir(), lease_grace or DEFAULT_LEASE_GRACE_SECONDS
        )
    except (StateDirError, LocalAwsUnavailableError) as error:
        fail(f"batchflow serve: {error}")
    found = "already running, taken over" if local.process.adopted else "started"
    typer.echo(
        f"local AWS at {local.endpoint} (pid {local.process.pid}, {found}); state dir "
        f"{local.state.path}, log {local.state.log_file}"
    )
    return local


def _stop_or_release(local: "EmbeddedLocalAws", served: bool) -> None:
    """Stops the local AWS and its jobs; but one this serve took over and never served (it
    failed to start) is left to its lease, so a mistake in a restart loses no run."""
    if served or not local.process.adopted:
        local.stop()
    else:
        local.release()
        typer.echo(
            f"batchflow serve: left the local AWS (pid {local.process.pid}) running; it ends "
            "its jobs and exits unless a `batchflow serve` takes it over within its lease",
            err=True,
        )


def _admin_created_here(settings: "Settings") -> bool:
    """Whether the service will create user admin with a password nobody chose: builtin
    authentication, no BATCHFLOW_ADMIN_PASSWORD, and runs kept in memory (a database may
    already hold admin, whose password this one would not be)."""
    return (
        settings.auth == "builtin"
        and settings.admin_password is None
        and settings.database_url is None
    )
