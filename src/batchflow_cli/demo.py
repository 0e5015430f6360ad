"""`batchflow demo`: the whole system on this machine, carrying one run of a catalog workflow."""

import contextlib
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from rich.console import Console

from batchflow_local.embedded import EmbeddedLocalAws, start_local_aws
from batchflow_local.state_dir import StateDirError
from batchflow_local.supervisor import LocalAwsUnavailableError
from batchflow_service.catalog import Catalog, CatalogError
from batchflow_service.settings import Settings

from .client import ServiceClient, ServiceError
from .credentials import Credential
from .display import task_table
from .download import download_outputs
from .progress import follow
from .serving import ServiceThread

SHOWN_RESULT_BYTES = 4096
SHOWN_RESULT_SUFFIXES = (".json", ".tsv", ".txt", ".csv")
LOCAL_ENGINES = ("snakemake", "mock")
RESULTS_FOLDER = Path("batchflow-results")
LEASE_GRACE_SECONDS = 15.0
"""How long the demo's local AWS outlives a demo killed by SIGKILL (a crash, kill -9) before it
ends its jobs, exits, and removes its scratch state dir."""


class DemoError(Exception):
    """The demo cannot run this workflow here; the message says why and what to do."""


class UnknownWorkflowError(DemoError):
    """The workflow is not in the catalog."""


def choose_engine(workflow: str, settings: Settings) -> str:
    """The engine the demo runs `workflow` with, once its jobs' tools are known to be here."""
    catalog = Catalog(settings.catalog_dir)
    try:
        entry = catalog.get(workflow)
    except CatalogError as error:
        unknown = workflow not in catalog.names()
        raise (UnknownWorkflowError if unknown else DemoError)(str(error)) from None
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


def run_demo(
    workflow: str,
    params: dict[str, Any],
    console: Console,
    results: Path | None = None,
    keep: bool = False,
) -> int:
    """Runs the workflow; its output files are saved in `results` (default:
    batchflow-results/RUN_ID). 0 when the run is COMPLETE, else 1. With `keep`, the service
    stays up for its dashboard until Ctrl-C (or SIGTERM)."""
    # The demo's service is its own, on loopback: its users are its own too (never an OpenID
    # provider's), and admin's password is made here and shown only with `keep` (for the
    # dashboard); the token it buys is never stored.
    password = secrets.token_urlsafe(24)
    settings = Settings(reconcile_seconds=1.0, admin_password=SecretStr(password))
    if settings.auth == "oidc":
        settings = settings.model_copy(update={"auth": "builtin"})
    engine = choose_engine(workflow, settings)
    console.print("[bold]batchflow demo[/bold]: starting the local AWS (Batch, Logs, S3) ...")
    with scratch_local_aws() as local:
        service = ServiceThread(settings)
        try:
            url = service.start()
            console.print(f"Run service at {url}, local AWS at {local.endpoint}")
            credential = log_in_as_admin(url, password, settings)
            if credential is not None:
                console.print(
                    "Logged in as admin, with a password made for this demo (POST /auth/token)"
                )
            with ServiceClient(url, credential=credential) as client:
                run = client.submit(workflow, engine, params, {"source": "demo"})
                console.print(
                    f"Submitted run {run['id']} of workflow [bold]{workflow}[/bold] (POST /runs)"
                )
                run = follow(client, run["id"], console)
                console.print(task_table(client.tasks(run["id"])))
                saved_in = None
                if run["state"] == "COMPLETE":
                    folder = results or RESULTS_FOLDER / run["id"]
                    outputs = client.outputs(run["id"])
                    saved_in = show_results(client, run["id"], outputs, folder, console)
                else:
                    console.print(f"[red]Run ended {run['state']}[/red]: {run.get('reason')}")
                    show_failed_task_logs(client, run["id"], console)
            if saved_in is not None:
                console.print(f"\nResults saved in {saved_in}", markup=False)
            code = 0 if run["state"] == "COMPLETE" else 1
            if keep:
                keep_serving(f"{url}/ui/runs/{run['id']}", password, settings, console)
                return code
            console.print(
                f"The service answered at {url} while the demo ran (GET /runs/{run['id']}); "
                "`batchflow demo --keep` keeps it and its dashboard open, `batchflow serve` "
                "keeps one running (`batchflow login` to it), and `batchflow runs download` "
                "fetches a run's results from it."
            )
            return code
        finally:
            service.stop()


def keep_serving(run_page: str, password: str, settings: Settings, console: Console) -> None:
    """Blocks until Ctrl-C, while the dashboard shows the run."""
    console.print(f"\nDashboard: {run_page}", markup=False)
    if settings.auth == "builtin":
        console.print(
            f"Sign in as admin with the password {password} (made for this demo; it ends with it).",
            markup=False,
        )
    console.print("Serving until Ctrl-C ...")
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()
    console.print("Stopping the service and the local AWS.")


@contextmanager
def scratch_local_aws() -> Iterator[EmbeddedLocalAws]:
    """A local AWS in a new scratch state dir, with a short lease; stopped (its jobs ended, its
    state dir removed) when the block ends."""
    state_dir = Path(tempfile.mkdtemp(prefix="batchflow-demo-"))
    try:
        local = start_local_aws(state_dir, LEASE_GRACE_SECONDS, scratch=True)
    except (StateDirError, LocalAwsUnavailableError) as error:
        shutil.rmtree(state_dir, ignore_errors=True)
        raise DemoError(str(error)) from None
    try:
        yield local
    finally:
        local.stop()


def log_in_as_admin(url: str, password: str, settings: Settings) -> Credential | None:
    """A token for user admin of the demo's own service (None when its authentication is off)."""
    if settings.auth == "none":
        return None
    with ServiceClient(url) as client:
        try:
            session = client.log_in("admin", password)
        except ServiceError as error:
            if error.status_code != 401:
                raise
            raise DemoError(
                f"the demo's service refused its own admin login ({error}): "
                "BATCHFLOW_DATABASE_URL names a database whose admin has another password; "
                "unset it for the demo"
            ) from None
    return Credential(session["access_token"], "the demo's admin login")


def show_results(
    client: ServiceClient, run_id: str, outputs: dict[str, Any], folder: Path, console: Console
) -> Path | None:
    """Lists the run's output files, saves them in `folder`, and shows the small results;
    the folder, or None when the run has no output files."""
    files = outputs.get("files") or []
    if not files:
        console.print("[green]Run COMPLETE[/green]; it has no output files.")
        return None
    console.print(f"[green]Run COMPLETE[/green]; outputs under {outputs.get('prefix')}:")
    for uri in files:
        console.print(f"  {uri}")
    saved = download_outputs(client, run_id, outputs, folder, console)
    results = f"{outputs['prefix']}results/"
    for uri, path in zip(files, saved, strict=True):
        if not (uri.startswith(results) and uri.endswith(SHOWN_RESULT_SUFFIXES)):
            continue
        with path.open("rb") as result:
            head = result.read(SHOWN_RESULT_BYTES)
        console.print(f"\n[bold]{uri}[/bold]")
        console.print(head.decode(errors="replace"), markup=False)
    return folder


def show_failed_task_logs(client: ServiceClient, run_id: str, console: Console) -> None:
    for task in client.tasks(run_id):
        if task["state"] == "EXECUTOR_ERROR":
            lines = client.task_log(run_id, task["id"])
            console.print(f"Log of failed task {task['name']} ({task['id']}):")
            for line in lines[-20:]:
                console.print(f"  {line}", markup=False)
