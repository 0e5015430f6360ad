"""The `batchflow` command line."""

import asyncio
import json
import logging
import os
import shlex
import shutil
import signal
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from batchflow_local.config import (
    DEFAULT_PORT,
    LocalAwsConfig,
    machine_memory_mib,
    machine_vcpus,
)

if TYPE_CHECKING:
    from .client import ServiceClient

DEFAULT_URL = "http://127.0.0.1:8000"

app = typer.Typer(
    help="Run Snakemake workflows on AWS Batch, or on a local AWS on this machine.",
    no_args_is_help=True,
    add_completion=False,
)


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


@app.callback()
def main() -> None:
    """batchflow: Snakemake (and Nextflow) workflows on AWS Batch."""


@app.command()
def local(
    host: Annotated[str, typer.Option(help="Loopback address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port for all three APIs; 0 picks a free one.")
    ] = DEFAULT_PORT,
    workdir: Annotated[
        Path | None,
        typer.Option(
            help="Where job attempts get scratch directories (kept); default: a temp dir."
        ),
    ] = None,
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
) -> None:
    """Serve AWS Batch, CloudWatch Logs and S3 on loopback; run each job as a local process."""
    from batchflow_local import LocalAwsServer, NotLoopbackError
    from batchflow_local.faults import FaultSettings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
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
    )
    try:
        server = LocalAwsServer(config)
    except (NotLoopbackError, OSError) as error:
        typer.echo(f"batchflow local: {error}", err=True)
        raise typer.Exit(2) from None
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


def _pairs(values: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, separator, rest = value.partition("=")
        if not separator or not key:
            raise typer.BadParameter(f"{what} must be key=value, got {value!r}")
        pairs[key] = rest
    return pairs


def _params(values: list[str], params_file: Path | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if params_file is not None:
        loaded = json.loads(params_file.read_text())
        if not isinstance(loaded, dict):
            raise typer.BadParameter("--params-file must hold a JSON object")
        params.update(loaded)
    for key, raw in _pairs(values, "--param").items():
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


def _client() -> "ServiceClient":
    from .client import ServiceClient

    return ServiceClient(os.environ.get("BATCHFLOW_URL", DEFAULT_URL))


def _fail(error: Exception) -> NoReturn:
    typer.echo(f"batchflow: {error}", err=True)
    raise typer.Exit(1)


@app.command()
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

    from batchflow_local import NotLoopbackError, start_local_aws
    from batchflow_local.server import loopback_address
    from batchflow_service.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        loopback_address(host)
    except NotLoopbackError:
        if local_aws:
            typer.echo(
                f"batchflow serve: --host {host} is not loopback; with the local AWS embedded, "
                "anyone who reaches the service could run uploaded workflows on this machine. "
                "Listen on loopback, or use --no-local-aws.",
                err=True,
            )
            raise typer.Exit(2) from None
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
            _fail(error)
        uvicorn.run(service, host=host, port=port, log_level="info")
    finally:
        if local is not None:
            local.stop()


@app.command()
def submit(
    workflow: Annotated[str, typer.Argument(help="A catalog workflow's name.")],
    engine: Annotated[str, typer.Option(help="snakemake, nextflow or mock.")] = "snakemake",
    param: Annotated[
        list[str], typer.Option(help="key=value (a JSON value, else a string); repeatable.")
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    params_file: Annotated[
        Path | None, typer.Option(help="A JSON object of parameters.", exists=True)
    ] = None,
    tag: Annotated[list[str], typer.Option(help="key=value; repeatable.")] = [],  # noqa: B006
    wait: Annotated[
        bool, typer.Option(help="Wait for the run to end; exit 1 unless COMPLETE.")
    ] = False,
) -> None:
    """Submit a run to the service at BATCHFLOW_URL."""
    from .client import ServiceError

    client = _client()
    try:
        run = client.submit(workflow, engine, _params(param, params_file), _pairs(tag, "--tag"))
        typer.echo(run["id"])
        if wait:
            final = list(client.wait(run["id"]))[-1]
            typer.echo(final["state"])
            if final["state"] != "COMPLETE":
                raise typer.Exit(1)
    except ServiceError as error:
        _fail(error)


runs_app = typer.Typer(
    help="List, inspect, follow and cancel runs at BATCHFLOW_URL.", no_args_is_help=True
)
app.add_typer(runs_app, name="runs")


@runs_app.command("list")
def runs_list(
    state: Annotated[str | None, typer.Option(help="Only runs in this state.")] = None,
    tag: Annotated[list[str], typer.Option(help="key:value; repeatable.")] = [],  # noqa: B006
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    """Newest runs first."""
    from .client import ServiceError

    try:
        page = _client().runs(state, tag, limit)
    except ServiceError as error:
        _fail(error)
    for run in page["runs"]:
        state, engine = f"{run['state']:<14}", f"{run['engine']:<9}"
        typer.echo(f"{run['id']}  {state} {engine} {run['workflow']}  {run['created_at']}")


@runs_app.command("show")
def runs_show(run_id: str) -> None:
    """A run, with its tasks, as JSON."""
    from .client import ServiceError

    client = _client()
    try:
        typer.echo(json.dumps({**client.run(run_id), "tasks": client.tasks(run_id)}, indent=2))
    except ServiceError as error:
        _fail(error)


@runs_app.command("cancel")
def runs_cancel(run_id: str) -> None:
    """Cancel a run; its Batch jobs are terminated."""
    from .client import ServiceError

    try:
        typer.echo(_client().cancel(run_id)["state"])
    except ServiceError as error:
        _fail(error)


@runs_app.command("logs")
def runs_logs(
    run_id: str,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Stream until the run ends.")
    ] = False,
) -> None:
    """A run's log: the service's notes, then Snakemake's output."""
    from .client import ServiceError

    try:
        for line in _client().log_lines(run_id, follow):
            typer.echo(line)
    except ServiceError as error:
        _fail(error)


@app.command()
def demo(
    workflow: Annotated[
        str, typer.Argument(help="The catalog workflow to run (`batchflow workflows` lists them).")
    ] = "quickstart",
    param: Annotated[
        list[str], typer.Option(help="key=value (a JSON value, else a string); repeatable.")
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
) -> None:
    """Run a catalog workflow through the service on the local AWS; print its results."""
    from rich.console import Console

    from .demo import DemoError, run_demo

    try:
        raise typer.Exit(run_demo(workflow, _params(param, None), Console(soft_wrap=True)))
    except DemoError as error:
        typer.echo(f"batchflow demo: {error}", err=True)
        raise typer.Exit(2) from None


@app.command()
def workflows() -> None:
    """List the catalog's workflows: their engines, the tools their jobs need, their params."""
    from batchflow_service.catalog import Catalog
    from batchflow_service.settings import Settings

    for workflow in Catalog(Settings().catalog_dir).workflows():
        params = ", ".join((workflow.params_schema or {}).get("properties", {})) or "-"
        typer.echo(f"{workflow.name}  (engines: {', '.join(workflow.engines)})")
        typer.echo(f"    {workflow.description}")
        typer.echo(f"    params: {params}; tools: {', '.join(workflow.tools) or '-'}")


@app.command()
def profile(
    stack_outputs: Annotated[
        Path, typer.Option(help="`cdk deploy --outputs-file` output, or a JSON name: value object.")
    ],
    directory: Annotated[
        Path, typer.Option(help="Where to write config.yaml and nextflow.config.")
    ] = Path("profiles/aws"),
    stack: Annotated[str | None, typer.Option(help="The stack, if the file holds several.")] = None,
    image_tag: Annotated[
        str, typer.Option(help="Tag of the task image in ECR (the stack's imageTag).")
    ] = version("snakemake-executor-plugin-batchflow"),
    jobs: Annotated[int, typer.Option(min=1, help="Jobs Snakemake keeps in flight.")] = 200,
) -> None:
    """Write the Snakemake profile and nextflow.config for a deployed batchflow stack."""
    from .profiles import StackOutputsError, read_stack_outputs, write_profile

    try:
        outputs = read_stack_outputs(stack_outputs, stack)
    except StackOutputsError as error:
        _fail(error)
    for path in write_profile(outputs, directory, image_tag, jobs):
        typer.echo(f"wrote {path}")


@app.command(hidden=True)
def head(
    prefix: Annotated[str, typer.Option(help="The run's s3:// prefix.")],
    storage_prefix: Annotated[
        str, typer.Option(help="The s3:// prefix Snakemake keeps the run's files under.")
    ],
    run_id: Annotated[str, typer.Option(help="The run's id.")],
    task_queue: Annotated[str, typer.Option(help="Job queue for rule jobs.")],
    task_image: Annotated[str, typer.Option(help="Image for rule jobs.")],
    jobs: Annotated[int, typer.Option(min=1, help="Rule jobs in flight at once.")] = 20,
    snakefile: Annotated[str, typer.Option(help="The Snakefile, relative to the workflow.")] = (
        "Snakefile"
    ),
    task_role: Annotated[str | None, typer.Option(help="IAM role ARN for rule jobs.")] = None,
    execution_role: Annotated[str | None, typer.Option(help="ECS execution role ARN.")] = None,
) -> None:
    """Run one workflow run's Snakemake inside a Batch head job (used by the service)."""
    from batchflow_service.engines.snakemake.head import HeadJob, run_head

    job = HeadJob(
        prefix=prefix,
        storage_prefix=storage_prefix,
        run_id=run_id,
        task_queue=task_queue,
        task_image=task_image,
        jobs=jobs,
        snakefile=snakefile,
        task_role=task_role,
        execution_role=execution_role,
    )
    raise typer.Exit(run_head(job))


if __name__ == "__main__":
    app()
