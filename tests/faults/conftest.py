"""The fault campaign's fixtures: the run service on the session's local AWS, and fan-out
runs through it whose results are checked to the last file."""

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from batchflow_service.app import create_app
from batchflow_service.settings import Settings

from ..service.clients import admin_client
from ..service.conftest import (  # noqa: F401 (fixtures: the first admin, the stores)
    admin_password,
    database_url,
    migrated_postgres_url,
)
from ..service.serving import FINAL, wait_for

WORKFLOWS = Path(__file__).parent / "workflows"


@pytest.fixture
def start_service(aws_environment: dict[str, str]) -> Iterator[Callable[..., TestClient]]:
    """Starts the run service (snakemake engine, this package's workflows) with these settings;
    a client signed in as its first admin."""
    with ExitStack() as services:

        def start(**settings: Any) -> TestClient:
            app = create_app(
                Settings(
                    engines=["snakemake"],
                    reconcile_seconds=0.5,
                    catalog_dir=WORKFLOWS,
                    **settings,
                )
            )
            return services.enter_context(admin_client(app))

        yield start


def run_fanout(client: TestClient, shards: int) -> dict[str, Any]:
    """Submits a fan-out run of `shards` jobs and a job adding up what they wrote; the run once
    it has ended."""
    answer = client.post("/runs", json={"workflow": "fanout", "params": {"shards": shards}})
    assert answer.status_code == 201, answer.text
    return wait_for(
        lambda: client.get(f"/runs/{answer.json()['id']}").json(),
        lambda run: run["state"] in FINAL,
        timeout=280,
        interval=1,
    )


def seconds(run: dict[str, Any]) -> float:
    """From submission to the run's end."""
    created, ended = (datetime.fromisoformat(run[key]) for key in ("created_at", "ended_at"))
    return (ended - created).total_seconds()


def check_fanout(client: TestClient, s3: Any, run: dict[str, Any], shards: int) -> None:
    """The run is COMPLETE with every task, and its total is the sum of its shards."""
    assert run["state"] == "COMPLETE", run["reason"]
    tasks = client.get(f"/runs/{run['id']}/tasks").json()["tasks"]
    assert sorted(task["name"] for task in tasks) == ["part"] * shards + ["total"]
    assert {task["state"] for task in tasks} == {"COMPLETE"}
    key = f"runs/{run['id']}/outputs/total.txt"
    assert f"s3://batchflow-local/{key}" in run["outputs"]["files"]
    total = s3.get_object(Bucket="batchflow-local", Key=key)["Body"].read()
    assert int(total) == sum(range(shards))
