"""`batchflow local`: the local AWS on one loopback port."""

import asyncio
import logging
import shlex
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from batchflow_aws.quotas import SUBMIT_JOBS_PER_SECOND
from batchflow_local.config import (
    DEFAULT_PORT,
    LocalAwsConfig,
    machine_memory_mib,
    machine_vcpus,
)

from ..exits import ExitCode


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def local(
    host: Annotated[str, typer.Option(help="Loopback address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port for every API; 0 picks a free one.")
    ] = DEFAULT_PORT,
    workdir: Annotated[
        Path | None,
        typer.Option(
            help="Where job attempts get scratch directories and the state is kept, found "
            "again by the next start on it; default: a temp dir, removed at exit."
        ),
    ] = None,
    persist: Annotated[
        bool,
        typer.Option(
            help="Keep S3, Batch and Logs state in --workdir (under state/) and load it at "
            "start; --no-persist keeps it in memory only."
        ),
    ] = True,
    region: Annotated[str, typer.Option(help="Region reported in ARNs.")] = "us-east-1",
    vcpus: Annotated[
        int, typer.Option(min=1, help="vCPUs of the `local` compute environment.")
    ] = machine_vcpus(),
    memory_mib: Annotated[
        int, typer.Option(min=4, help="Memory (MiB) jobs may reserve in total.")
    ] = machine_memory_mib(),
    stop_timeout: Annotated[
        float, typer.Option(min=0, help="Seconds between SIGTERM and SIGKILL when a job stops.")
    ] = 30.0,
    timeout_scale: Annotated[
        float,
        typer.Option(min=0.001, help="Multiplies every attemptDurationSeconds (for tests)."),
    ] = 1.0,
    throttle_rate: Annotated[
        float, typer.Option(min=0, max=1, help="Fraction of Batch and Logs calls throttled.")
    ] = 0.0,
    spot_reclaim_rate: Annotated[
        float, typer.Option(min=0, max=1, help="Fraction of job attempts reclaimed as Spot.")
    ] = 0.0,
    spot_reclaim_after: Annotated[
        float, typer.Option(min=0, help="Seconds a reclaimed attempt runs before it is ended.")
    ] = 1.0,
    seed: Annotated[int | None, typer.Option(help="Seed for the fault injection.")] = None,
    submit_rate: Annotated[
        int,
        typer.Option(
            min=0,
            help="SubmitJob calls accepted per second, as AWS's quota; more are throttled "
            "(TooManyRequestsException). 0: no limit.",
        ),
    ] = SUBMIT_JOBS_PER_SECOND,
    events_queue: Annotated[
        str | None,
        typer.Option(
            help='SQS queue (created if absent) that gets a "Batch Job State Change" event, '
            "in EventBridge's shape, at every job status change; its URL is exported as "
            "SNAKEMAKE_BATCHFLOW_EVENTS_QUEUE."
        ),
    ] = None,
) -> None:
    """Serve AWS Batch, CloudWatch Logs, S3 and SQS on loopback; run each job as a local process.

    Clients must sign with the credentials it prints, which are new at every start."""
    from batchflow_local.faults import FaultSettings
    from batchflow_local.persistence.database import StateError
    from batchflow_local.server import LocalAwsServer, NotLoopbackError
    from batchflow_local.sqs import check_queue_name

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if events_queue is not None:
        try:
            check_queue_name(events_queue)
        except ValueError as error:
            typer.echo(f"batchflow local: --events-queue: {error}", err=True)
            raise typer.Exit(ExitCode.USAGE) from None
    scratch = Path(tempfile.mkdtemp(prefix="batchflow-local-")) if workdir is None else workdir
    config = LocalAwsConfig(
        workdir=scratch,
        host=host,
        port=port,
        region=region,
        vcpus=vcpus,
        memory_mib=memory_mib,
        stop_timeout_seconds=stop_timeout,
        timeout_scale=timeout_scale,
        persist=persist and workdir is not None,
        submit_jobs_per_second=submit_rate or None,
        events_queue=events_queue,
    )
    try:
        server = LocalAwsServer(config)
    except (NotLoopbackError, OSError, StateError) as error:
        typer.echo(f"batchflow local: {error}", err=True)
        raise typer.Exit(ExitCode.USAGE) from None
    server.local.faults.configure(
        FaultSettings(
            throttle_rate=throttle_rate,
            spot_reclaim_rate=spot_reclaim_rate,
            spot_reclaim_after_seconds=spot_reclaim_after,
            seed=seed,
        )
    )

    def announce() -> None:
        for name, value in server.client_environment().items():
            typer.echo(f"export {name}={shlex.quote(value)}")
        typer.echo(f"batchflow local ready on {server.endpoint} (work directory {scratch})")

    # uvicorn re-raises SIGTERM once it has shut down; exit cleanly instead of dying by it.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        asyncio.run(server.serve(announce))
    except KeyboardInterrupt:
        pass
    finally:
        if workdir is None:
            shutil.rmtree(scratch, ignore_errors=True)
