"""`batchflow demo`: the whole system on this machine, carrying one run of a catalog workflow."""

import shutil
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from batchflow_aws.s3paths import S3Prefix
from batchflow_local import start_local_aws
from batchflow_service.catalog import Catalog, CatalogError
from batchflow_service.settings import Settings

from .client import ServiceClient
from .serving import ServiceThread

SHOWN_RESULT_BYTES = 4096
SHOWN_RESULT_SUFFIXES = (".json", ".tsv", ".txt", ".csv")
LOCAL_ENGINES = ("snakemake", "mock")


class DemoError(Exception):
    """The demo cannot run this workflow here; the message says why and what to do."""


def choose_engine(workflow: str, settings: Settings) -> str:
    """The engine the demo runs `workflow` with, once its jobs' tools are known to be here."""
    try:
        entry = Catalog(settings.catalog_dir).get(workflow)
    except CatalogError as error:
        raise DemoError(str(error)) from None
    engine = next((e for e in LOCAL_ENGINES if e in entry.engines), None)
    if engine is None:
        raise DemoError(
            f"{workflow} runs only with {', '.join(entry.engines)}, which cannot run on the "
            "local AWS (see docs/nextflow.md)"
        )
    missing = [tool for tool in entry.tools if shutil.which(tool) is None]
    if missing:
        raise DemoError(
            f"{workflow}'s jobs run on this machine and call {', '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not on PATH; on Debian or Ubuntu: "
            f"sudo apt-get install {' '.join(missing)}"
        )
    return engine


def run_demo(workflow: str, params: dict[str, Any], console: Console) -> int:
    settings = Settings(reconcile_seconds=1.0)
    engine = choose_engine(workflow, settings)
    console.print("[bold]batchflow demo[/bold]: starting the local AWS (Batch, Logs, S3) ...")
    local = start_local_aws()
    service = ServiceThread(settings)
    try:
        url = service.start()
        console.print(f"Run service at {url}, local AWS at {local.endpoint}")
        client = ServiceClient(url)
        run = client.submit(workflow, engine, params, {"source": "demo"})
        console.print(f"Submitted run {run['id']} of workflow [bold]{workflow}[/bold] (POST /runs)")
        run = follow(client, run["id"], console)
        show_tasks(client, run["id"], console)
        if run["state"] == "COMPLETE":
            show_results(client.outputs(run["id"]), console)
        else:
            console.print(f"[red]Run ended {run['state']}[/red]: {run.get('reason')}")
            show_failed_task_logs(client, run["id"], console)
        console.print(
            f"The service answered at {url} while the demo ran (GET /runs/{run['id']}); "
            "`batchflow serve` keeps one running."
        )
        return 0 if run["state"] == "COMPLETE" else 1
    finally:
        service.stop()
        local.stop()


def follow(client: ServiceClient, run_id: str, console: Console) -> dict[str, Any]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("QUEUED", total=None)
        for run in client.wait(run_id):
            tasks = client.tasks(run_id)
            done = sum(task["state"] == "COMPLETE" for task in tasks)
            progress.update(
                bar,
                description=f"{run['state']:<14} tasks",
                total=len(tasks) or None,
                completed=done,
            )
    return run


def show_tasks(client: ServiceClient, run_id: str, console: Console) -> None:
    table = Table("rule", "wildcards", "state", "Batch job")
    for task in client.tasks(run_id):
        wildcards = ", ".join(f"{k}={v}" for k, v in task["wildcards"].items())
        table.add_row(task["name"], wildcards, task["state"], task["batch_job_id"] or "")
    console.print(table)


def show_results(outputs: dict[str, Any], console: Console) -> None:
    import boto3

    s3 = boto3.client("s3")
    console.print(f"[green]Run COMPLETE[/green]; outputs under {outputs.get('prefix')}:")
    for uri in outputs.get("files", []):
        console.print(f"  {uri}")
    results = f"{outputs.get('prefix', '')}results/"
    for uri in outputs.get("files", []):
        if not (uri.startswith(results) and uri.endswith(SHOWN_RESULT_SUFFIXES)):
            continue
        location = S3Prefix.parse(uri)
        body = s3.get_object(Bucket=location.bucket, Key=location.prefix)["Body"].read()
        console.print(f"\n[bold]{uri}[/bold]")
        console.print(body[:SHOWN_RESULT_BYTES].decode(errors="replace"), markup=False)


def show_failed_task_logs(client: ServiceClient, run_id: str, console: Console) -> None:
    for task in client.tasks(run_id):
        if task["state"] == "EXECUTOR_ERROR":
            lines = client.task_log(run_id, task["id"])
            console.print(f"Log of failed task {task['name']} ({task['id']}):")
            for line in lines[-20:]:
                console.print(f"  {line}", markup=False)
