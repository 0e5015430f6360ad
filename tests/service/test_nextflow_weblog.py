"""nf-weblog events posted to the service: recorded runs replayed through the real ASGI app,
in order, shuffled and repeated; authentication; malformed bodies; the head job deciding."""

import json
import os
import random
import sys
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchflow_service.app import create_app
from batchflow_service.engines.nextflow.tokens import new_token
from batchflow_service.models import Run
from batchflow_service.settings import Settings
from batchflow_service.states import RunState

from .clients import ADMIN_PASSWORD, admin_client
from .serving import wait_until_final
from .tagged_jobs import submit_job

DATA = Path(__file__).with_name("data")
ACTIVE_JOB = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING")


def recorded(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / f"weblog-{name}.jsonl").read_text().splitlines()]


def serve(database_url: str | None) -> FastAPI:
    settings = Settings(
        engines=["nextflow", "mock"],
        public_url="http://testserver",
        reconcile_seconds=0.2,
        max_event_bytes=64 * 1024,
        database_url=database_url,
        admin_password=ADMIN_PASSWORD,
    )
    return create_app(settings)


@pytest.fixture
def service(aws_environment, database_url: str | None) -> Iterator[TestClient]:
    """The service with either store."""
    with admin_client(serve(database_url)) as client:
        yield client


@pytest.fixture(scope="module")
def memory_service(local_aws) -> Iterator[TestClient]:
    """One service with the in-memory store for the module: every test makes its own runs."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            patch.delenv(name)
        for name, value in local_aws.client_environment().items():
            patch.setenv(name, value)
        with admin_client(serve(None)) as client:
            yield client


def new_run(
    client: TestClient, head_job_id: str | None = None, run_id: str | None = None
) -> tuple[str, str]:
    """A Nextflow run in the store as a launch leaves it (its head job given, or none)."""
    token, digest = new_token()
    run = Run(
        id=run_id or uuid.uuid4().hex,
        workflow="variant-calling",
        engine="nextflow",
        head_job_id=head_job_id,
        weblog_token_sha256=digest,
    )
    client.portal.call(client.app.state.store.create_run, run)
    return run.id, token


def post(client: TestClient, run_id: str, token: str | None, body: Any):
    params = {"token": token} if token is not None else {}
    if isinstance(body, bytes):
        return client.post(f"/nextflow/events/{run_id}", params=params, content=body)
    return client.post(f"/nextflow/events/{run_id}", params=params, json=body)


def replay(client: TestClient, run_id: str, token: str, events: list[dict[str, Any]]) -> None:
    for body in events:
        response = post(client, run_id, token, {**body, "runName": f"batchflow-{run_id}"})
        assert response.status_code == 200, response.text


def tasks_of(client: TestClient, run_id: str) -> list[dict[str, Any]]:
    return client.get(f"/runs/{run_id}/tasks", params={"page_size": 500}).json()["tasks"]


def test_a_recorded_run_gives_every_task_its_final_state(service) -> None:
    events = recorded("variant-calling")
    run_id, token = new_run(service)

    replay(service, run_id, token, events)
    tasks = tasks_of(service, run_id)
    run = service.get(f"/runs/{run_id}").json()
    log = service.get(f"/runs/{run_id}/logs").json()["lines"]

    assert sorted((int(t["id"]), t["name"], t["wildcards"].get("tag")) for t in tasks) == [
        (1, "REFERENCE", None),
        (2, "READS", "sample1"),
        (3, "READS", "sample2"),
        (4, "INDEX_REFERENCE", None),
        (5, "FASTQC", "sample1"),
        (6, "ALIGN", "sample1"),
        (7, "FASTQC", "sample2"),
        (8, "ALIGN", "sample2"),
        (9, "CALL", "sample1"),
        (10, "CALL", "sample2"),
        (11, "SUMMARY", None),
    ]
    assert {(t["state"], t["exit_code"]) for t in tasks} == {("COMPLETE", 0)}
    job_ids = {str(e["trace"]["task_id"]): e["trace"]["native_id"] for e in events if "trace" in e}
    assert {t["id"]: t["batch_job_id"] for t in tasks} == job_ids
    assert all(t["started_at"] and t["ended_at"] for t in tasks)
    assert run["state"] == "RUNNING", "a completed event does not end the run; its head job does"
    assert run["started_at"] is not None
    assert log == [
        f"Nextflow started batchflow-{run_id} (session {events[0]['runId']})",
        "Nextflow finished: success",
    ]


def final_tasks(client: TestClient, run_id: str) -> set[tuple]:
    return {
        tuple(t[field] for field in ("id", "name", "state", "exit_code", "batch_job_id"))
        + tuple(t[field] for field in ("reason", "started_at", "ended_at"))
        for t in tasks_of(client, run_id)
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_shuffled_and_repeated_events_end_in_the_same_tasks(service, seed) -> None:
    events = recorded("variant-calling-failing")
    in_order, token = new_run(service)
    replay(service, in_order, token, events)
    shuffled, other_token = new_run(service)
    chance = random.Random(seed)
    jumbled = events + chance.sample(events, k=10)
    chance.shuffle(jumbled)

    replay(service, shuffled, other_token, jumbled)

    assert final_tasks(service, shuffled) == final_tasks(service, in_order)
    failed = [t for t in tasks_of(service, shuffled) if t["state"] == "EXECUTOR_ERROR"]
    assert [(t["name"], t["wildcards"], t["exit_code"]) for t in failed] == [
        ("CALL", {"tag": "sample2"}, 1)
    ]
    assert failed[0]["reason"] == (
        "CALL (sample2) failed, exit status 1; Nextflow's error strategy: TERMINATE"
    )


def test_a_late_or_repeated_event_is_accepted_and_changes_nothing(memory_service) -> None:
    events = [e for e in recorded("variant-calling") if e.get("trace", {}).get("task_id") == 1]
    run_id, token = new_run(memory_service)
    name = f"batchflow-{run_id}"

    outcomes = [
        post(memory_service, run_id, token, {**events[i], "runName": name}).json()
        for i in (2, 0, 2, 1)
    ]

    assert [o["applied"] for o in outcomes] == [True, False, False, False]
    assert {o["task_id"] for o in outcomes} == {"1"}
    [task] = tasks_of(memory_service, run_id)
    assert (task["state"], task["exit_code"]) == ("COMPLETE", 0)


def test_the_head_jobs_exit_ends_the_run_not_the_completed_event(service, batch) -> None:
    head = submit_job(batch, [sys.executable, "-c", "import sys; sys.exit(3)"])
    run_id, token = new_run(service, head_job_id=head)

    replay(service, run_id, token, recorded("variant-calling"))
    done = wait_until_final(service, run_id)

    assert done["state"] == "EXECUTOR_ERROR"
    assert done["reason"].startswith("Nextflow failed (")
    assert "exit code 3" in done["reason"]


def test_a_succeeded_head_job_completes_the_run_with_its_published_results(
    memory_service, batch, s3
) -> None:
    head = submit_job(batch, ["true"])
    run_id, token = new_run(memory_service, head_job_id=head)
    key = f"runs/{run_id}/outputs/variants.json"
    s3.put_object(Bucket="batchflow-local", Key=key, Body=b"{}")

    replay(memory_service, run_id, token, recorded("variant-calling"))
    done = wait_until_final(memory_service, run_id)

    assert done["state"] == "COMPLETE"
    assert done["outputs"] == {
        "prefix": f"s3://batchflow-local/runs/{run_id}/outputs/",
        "files": [f"s3://batchflow-local/{key}"],
    }


def test_cancel_terminates_the_head_and_the_jobs_the_events_named(memory_service, batch) -> None:
    sleep = [sys.executable, "-c", "import time; time.sleep(600)"]
    run_id = uuid.uuid4().hex
    head, first, second = (submit_job(batch, sleep, run_id) for _ in range(3))
    run_id, token = new_run(memory_service, head_job_id=head, run_id=run_id)
    submitted = next(e for e in recorded("variant-calling") if e["event"] == "process_submitted")
    for task_id, job_id in ((1, first), (2, second)):
        trace = {**submitted["trace"], "task_id": task_id, "native_id": job_id}
        body = {**submitted, "runName": f"batchflow-{run_id}", "trace": trace}
        assert post(memory_service, run_id, token, body).status_code == 200

    response = memory_service.post(f"/runs/{run_id}/cancel")
    done = wait_until_final(memory_service, run_id)

    assert response.status_code == 202
    assert done["state"] == "CANCELED"
    statuses = [job["status"] for job in batch.describe_jobs(jobs=[head, first, second])["jobs"]]
    assert [status for status in statuses if status in ACTIVE_JOB] == []


def test_events_for_a_run_that_has_ended_are_ignored(memory_service) -> None:
    events = recorded("variant-calling")
    run_id, token = new_run(memory_service)
    name = f"batchflow-{run_id}"
    started = next(e for e in events if e["event"] == "process_started")
    post(memory_service, run_id, token, {**started, "runName": name})
    store = memory_service.app.state.store
    memory_service.portal.call(partial(store.set_state, run_id, RunState.RUNNING))
    memory_service.portal.call(
        partial(store.set_state, run_id, RunState.EXECUTOR_ERROR, reason="head job failed")
    )
    before = tasks_of(memory_service, run_id), memory_service.get(f"/runs/{run_id}/logs").json()
    task_id = started["trace"]["task_id"]
    late = [
        {**started, "trace": {**started["trace"], "task_id": task_id + 100}},
        next(
            e
            for e in events
            if e["event"] == "process_completed" and e["trace"]["task_id"] == task_id
        ),
        next(e for e in events if e["event"] == "started"),
        events[-1],
    ]

    answers = [post(memory_service, run_id, token, {**body, "runName": name}) for body in late]

    assert [answer.status_code for answer in answers] == [200] * 4
    assert {(a.json()["applied"], a.json()["ignored"]) for a in answers} == {
        (False, f"run {run_id} has ended (EXECUTOR_ERROR); its tasks no longer change")
    }
    assert memory_service.get(f"/runs/{run_id}").json()["state"] == "EXECUTOR_ERROR"
    assert (
        tasks_of(memory_service, run_id),
        memory_service.get(f"/runs/{run_id}/logs").json(),
    ) == before
    assert [t["state"] for t in before[0]] == ["RUNNING"]


def test_the_tokens_digest_is_stored_but_never_shown(service) -> None:
    store = service.app.state.store
    run_id, _ = new_run(service)
    service.portal.call(partial(store.update_run, run_id, weblog_token_sha256="d" * 64))
    service.portal.call(partial(store.update_run, run_id, head_job_id="job-1"))

    stored = service.portal.call(store.get_run, run_id)
    shown = service.get(f"/runs/{run_id}").json()
    listed = service.get("/runs").json()["runs"]

    assert (stored.weblog_token_sha256, stored.head_job_id) == ("d" * 64, "job-1")
    assert shown["head_job_id"] == "job-1"
    assert "weblog_token_sha256" not in shown
    assert all("weblog_token_sha256" not in run for run in listed)


@pytest.mark.parametrize(
    ("who", "status", "fragment"),
    [
        ("no token", 401, "no token"),
        ("wrong token", 403, "the token is not run"),
        ("another run's token", 403, "the token is not run"),
        ("an endless token", 403, "the token is not run"),
        ("an unknown run", 404, "no run"),
        ("a mock run", 404, "takes no Nextflow events"),
    ],
)
def test_events_without_the_runs_token_are_refused(memory_service, who, status, fragment) -> None:
    run_id, token = new_run(memory_service)
    _, other_token = new_run(memory_service)
    mock_run = memory_service.post(
        "/runs", json={"workflow": "demo", "engine": "mock", "params": {"delay_seconds": 0}}
    ).json()["id"]
    target, presented = {
        "no token": (run_id, None),
        "wrong token": (run_id, token[:-4] + "AAAA"),
        "another run's token": (run_id, other_token),
        "an endless token": (run_id, token * 100),
        "an unknown run": ("f" * 32, token),
        "a mock run": (mock_run, token),
    }[who]
    body = {**recorded("variant-calling")[1], "runName": f"batchflow-{target}"}

    response = post(memory_service, target, presented, body)

    assert response.status_code == status
    assert fragment in response.json()["msg"]
    assert tasks_of(memory_service, run_id) == []


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b"", 422, "not an nf-weblog event"),
        (b"{nope", 422, "not an nf-weblog event"),
        (b"[" * 20_000 + b"]" * 20_000, 422, "not an nf-weblog event"),
        (b'{"runName": "x"}', 422, "event: Field required"),
        ({"event": "process_started", "trace": None}, 422, "must carry the task's trace"),
        ({"runName": "batchflow-someone-else"}, 400, "is not run"),
        ({"trace": {"task_id": 1, "status": "NEW", "process": "P", "name": "P"}}, 200, ""),
        (
            {"trace": {"task_id": 1, "status": "NEW", "process": "P", "name": "P\x00"}},
            400,
            "trace.name: text may not contain NUL",
        ),
    ],
)
def test_malformed_events_are_client_errors(memory_service, body, status, fragment) -> None:
    run_id, token = new_run(memory_service)
    if isinstance(body, dict):
        body = {**recorded("variant-calling")[1], "runName": f"batchflow-{run_id}", **body}

    response = post(memory_service, run_id, token, body)

    assert response.status_code == status, response.text
    assert fragment in response.text


def test_an_oversized_event_is_413_whether_or_not_it_declares_its_length(memory_service) -> None:
    run_id, token = new_run(memory_service)
    big = json.dumps({"padding": "x" * 100_000}).encode()

    declared = post(memory_service, run_id, token, big)
    streamed = memory_service.post(
        f"/nextflow/events/{run_id}",
        params={"token": token},
        content=iter([big[:50_000], big[50_000:]]),
    )

    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert "larger than 65536 bytes" in streamed.json()["msg"]


def test_a_service_without_the_nextflow_engine_takes_no_events() -> None:
    with admin_client(create_app(Settings(engines=["mock"]))) as client:
        response = client.post("/nextflow/events/abc", params={"token": "t"}, json={})

    assert response.status_code == 404
    assert "engine not enabled" in response.json()["msg"]
