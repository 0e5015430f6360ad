"""`batchflow demo`: the whole system on this machine, carrying one real Snakemake run."""

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .client import ServiceClient
from .s3paths import S3Prefix
from .serve import ServiceThread, start_local_aws
from .settings import Settings

SHOWN_RESULT_BYTES = 4096


def run_demo(workflow: str, params: dict[str, Any], console: Console) -> int:
    console.print("[bold]batchflow demo[/bold]: starting the local AWS (Batch, Logs, S3) ...")
    local = start_local_aws()
    service = ServiceThread(Settings(reconcile_seconds=1.0))
    try:
        url = service.start()
        console.print(f"Run service at {url}, local AWS at {local.endpoint}")
        client = ServiceClient(url)
        run = client.submit(workflow, "snakemake", params, {"source": "demo"})
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
    for uri in outputs.get("files", []):
        if "/results/" not in uri:
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
