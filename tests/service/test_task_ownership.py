"""A task's log is its Batch job's only when the job is the run's own: a job id named by a
weblog event or by a Snakemake head job (both run code the service does not control) that
points at another run's job gets that job's log refused, and the job is never terminated."""

import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

from batchflow_executor.events import TaskEvent
from batchflow_service.app import create_app
from batchflow_service.engines.nextflow.tokens import new_token
from batchflow_service.models import Run
from batchflow_service.settings import Settings

from .clients import ADMIN_PASSWORD, admin_client
from .tagged_jobs import submit_job

BUCKET = "batchflow-local"
FINAL_JOB = ("SUCCEEDED", "FAILED")
NOT_OURS = "is not one of run"


@pytest.fixture(scope="module")
def service(local_aws) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            patch.delenv(name)
        for name, value in local_aws.client_environment().items():
            patch.setenv(name, value)
        settings = Settings(
            engines=["snakemake", "nextflow"],
            public_url="http://127.0.0.1",
            admin_password=ADMIN_PASSWORD,
            reconcile_seconds=0.2,
        )
        with admin_client(create_app(settings)) as client:
            yield client


def printing(text: str) -> list[str]:
    return [sys.executable, "-c", f"print({text!r})"]


def finished(batch, *job_ids: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    while True:
        jobs = batch.describe_jobs(jobs=list(job_ids))["jobs"]
        if all(job["status"] in FINAL_JOB for job in jobs):
            return jobs
        assert time.monotonic() < deadline, [job["status"] for job in jobs]
        time.sleep(0.1)


def new_run(client: TestClient, engine: str) -> tuple[Run, str]:
    token, digest = new_token()
    run = Run(
        id=uuid.uuid4().hex,
        workflow="variant-calling" if engine == "nextflow" else "quickstart",
        engine=engine,
        weblog_token_sha256=digest if engine == "nextflow" else None,
    )
    client.portal.call(client.app.state.store.create_run, run)
    return run, token


def task_log(client: TestClient, run_id: str, task_id: str) -> list[str]:
    answer = client.get(f"/runs/{run_id}/tasks/{task_id}/logs")
    assert answer.status_code == 200, answer.text
    return answer.json()["lines"]


def nextflow_event(run_id: str, task_id: int, native_id: Any) -> dict[str, Any]:
    return {
        "runName": f"batchflow-{run_id}",
        "runId": "8a3c5e1f-2b7d-4c9e-a1f0-6d2b8e4c7a15",
        "event": "process_submitted",
        "utcTime": "2025-11-22T10:00:00Z",
        "trace": {
            "task_id": task_id,
            "status": "SUBMITTED",
            "process": "ALIGN",
            "name": f"ALIGN ({task_id})",
            "native_id": native_id,
            "executorName": "awsbatch",
        },
    }


def test_a_weblog_event_naming_another_runs_job_gets_no_log_of_it(service, batch) -> None:
    run, token = new_run(service, "nextflow")
    own = submit_job(batch, printing("own task output"), run.id)
    foreign = submit_job(batch, printing("another run's secret"), uuid.uuid4().hex)
    untagged = submit_job(batch, printing("an untagged job's output"), None)
    finished(batch, own, foreign, untagged)

    for task_id, job_id in ((1, own), (2, foreign), (3, untagged)):
        answer = service.post(
            f"/nextflow/events/{run.id}",
            params={"token": token},
            json=nextflow_event(run.id, task_id, job_id),
        )
        assert answer.status_code == 200, answer.text

    assert "own task output" in task_log(service, run.id, "1")
    for task_id, job_id in (("2", foreign), ("3", untagged)):
        [line] = task_log(service, run.id, task_id)
        assert f"Batch job {job_id} {NOT_OURS} {run.id}'s jobs" in line


@pytest.mark.parametrize("native_id", ["../../logs", "job-1", "0" * 36, "arn:aws:batch:x"])
def test_a_native_id_that_is_no_batch_job_id_is_refused_at_once(service, native_id) -> None:
    run, token = new_run(service, "nextflow")

    answer = service.post(
        f"/nextflow/events/{run.id}",
        params={"token": token},
        json=nextflow_event(run.id, 1, native_id),
    )

    assert answer.status_code == 422
    assert "is not an AWS Batch job id" in answer.json()["msg"]
    assert service.get(f"/runs/{run.id}/tasks").json()["tasks"] == []


def test_cancel_leaves_another_runs_job_that_an_event_named_alone(service, batch) -> None:
    sleep = [sys.executable, "-c", "import time; time.sleep(600)"]
    run, token = new_run(service, "nextflow")
    head = submit_job(batch, sleep, run.id)
    own = submit_job(batch, sleep, run.id)
    foreign = submit_job(batch, sleep, uuid.uuid4().hex)
    store = service.app.state.store
    service.portal.call(partial(store.update_run, run.id, head_job_id=head))
    for task_id, job_id in ((1, own), (2, foreign)):
        service.post(
            f"/nextflow/events/{run.id}",
            params={"token": token},
            json=nextflow_event(run.id, task_id, job_id),
        )

    try:
        service.post(f"/runs/{run.id}/cancel")
        deadline = time.monotonic() + 30
        while service.get(f"/runs/{run.id}").json()["state"] != "CANCELED":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        statuses = {
            job["jobId"]: job["status"] for job in batch.describe_jobs(jobs=[own, foreign])["jobs"]
        }
        assert statuses[own] in FINAL_JOB
        assert statuses[foreign] not in FINAL_JOB
    finally:
        batch.terminate_job(jobId=foreign, reason="test over")


def publish_events(s3, run_id: str, events: list[TaskEvent]) -> None:
    body = "".join(event.to_json() + "\n" for event in events).encode()
    s3.put_object(Bucket=BUCKET, Key=f"runs/{run_id}/events.jsonl", Body=body)


def test_a_snakemake_head_naming_another_runs_job_or_stream_gets_no_log_of_it(
    service, batch, s3
) -> None:
    run, _ = new_run(service, "snakemake")
    own = submit_job(batch, printing("own rule output"), run.id)
    foreign = submit_job(batch, printing("another run's secret"), uuid.uuid4().hex)
    jobs = {job["jobId"]: job for job in finished(batch, own, foreign)}
    foreign_stream = jobs[foreign]["container"]["logStreamName"]
    common = {"run_id": run.id, "rule": "align", "jobid": 1}
    publish_events(
        s3,
        run.id,
        [
            TaskEvent(event="succeeded", batch_job_id=own, log_stream=foreign_stream, **common),
            TaskEvent(event="succeeded", batch_job_id=foreign, **common),
            TaskEvent(event="succeeded", batch_job_id="../not-a-job", **common),
        ],
    )
    engine = service.app.state.engines["snakemake"]

    service.portal.call(engine._collect_tasks, run)
    tasks = service.get(f"/runs/{run.id}/tasks").json()["tasks"]
    own_log = task_log(service, run.id, own)

    assert sorted(task["id"] for task in tasks) == sorted([own, foreign])
    assert "own rule output" in own_log
    assert "another run's secret" not in json.dumps(own_log)
    [line] = task_log(service, run.id, foreign)
    assert f"Batch job {foreign} {NOT_OURS} {run.id}'s jobs" in line
