"""Fault: the service dies between submitting a run's head job and recording it (SIGKILL at
the worst moment, simulated by a record without the head job). Guarantee: the next service
finds the head job by its name and tag and follows the run to its end; a run whose launch
never reached Batch ends SYSTEM_ERROR, saying so, instead of staying QUEUED forever."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from batchflow_service.app import create_app
from batchflow_service.settings import Settings

from ..service.clients import admin_client
from ..service.serving import FINAL, wait_for
from .conftest import WORKFLOWS

pytestmark = pytest.mark.slow

BUCKET = "batchflow-local"


def stopped_service_run(aws_environment: dict[str, str], params: dict[str, int]) -> str:
    """A run submitted to a service that is stopped (lifespan ended) once it has submitted
    the run's head job; the run's id."""
    settings = Settings(engines=["snakemake"], reconcile_seconds=0.5, catalog_dir=WORKFLOWS)
    with admin_client(create_app(settings)) as first:
        answer = first.post("/runs", json={"workflow": "naps", "params": params})
        assert answer.status_code == 201, answer.text
        run_id = answer.json()["id"]
        wait_for(lambda: first.get(f"/runs/{run_id}").json(), lambda run: run["head_job_id"])
    return run_id


def record_key(run_id: str) -> str:
    return f"runs/{run_id}/run.json"


def test_a_head_job_the_service_never_recorded_is_found_and_followed(
    aws_environment, start_service, s3
) -> None:
    run_id = stopped_service_run(aws_environment, {"shards": 1, "seconds": 3})
    record = json.loads(s3.get_object(Bucket=BUCKET, Key=record_key(run_id))["Body"].read())
    head_job_id = record["head_job_id"]
    record.update(head_job_id=None, state="QUEUED")
    s3.put_object(Bucket=BUCKET, Key=record_key(run_id), Body=json.dumps(record).encode())

    second = start_service()
    run = wait_for(
        lambda: second.get(f"/runs/{run_id}").json(),
        lambda run: run.get("state") in FINAL,
        timeout=120,
        interval=1,
    )

    assert run["head_job_id"] == head_job_id
    assert run["state"] == "COMPLETE", run["reason"]


def test_a_run_whose_launch_never_reached_batch_ends_system_error(
    aws_environment, start_service, s3
) -> None:
    template = stopped_service_run(aws_environment, {"shards": 1, "seconds": 0})
    record = json.loads(s3.get_object(Bucket=BUCKET, Key=record_key(template))["Body"].read())
    run_id = uuid.uuid4().hex
    created = datetime.now(UTC) - timedelta(minutes=3)
    record.update(
        id=run_id, head_job_id=None, state="QUEUED", outputs={}, created_at=created.isoformat()
    )
    for ended in ("ended_at", "reason"):
        record.pop(ended, None)
    s3.put_object(Bucket=BUCKET, Key=record_key(run_id), Body=json.dumps(record).encode())

    second = start_service()
    run = wait_for(
        lambda: second.get(f"/runs/{run_id}").json(),
        lambda run: run.get("state") in FINAL,
        timeout=60,
    )

    assert run["state"] == "SYSTEM_ERROR"
    assert run["reason"] == "the service stopped before this run's head job was submitted"
