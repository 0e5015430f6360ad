"""Resuming a run (POST /runs/{id}/resume, WES tag batchflow:resume_from) with the mock engine,
and the rules a resume follows in both stores."""

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from batchflow_aws.calls import AwsCaller
from batchflow_service.app import build_store, create_app
from batchflow_service.engines.recovery import recorded_runs
from batchflow_service.engines.staging import RunStaging
from batchflow_service.models import Run, utcnow
from batchflow_service.resume import believable_resumes
from batchflow_service.settings import Settings
from batchflow_service.states import ACTIVE_STATES, RunState
from batchflow_service.store import WorkPrefixBusyError
from batchflow_service.store.schema import MIGRATIONS

from .clients import add_user, admin_client
from .serving import wait_until_final

WES = "/ga4gh/wes/v1"


@pytest.fixture
def client(database_url: str | None) -> Iterator[TestClient]:
    with admin_client(create_app(Settings(engines=["mock"], database_url=database_url))) as client:
        yield client


def failed_run(client: TestClient, headers: dict[str, str] | None = None) -> dict[str, Any]:
    params = {"steps": 2, "delay_seconds": 0, "failure_rate": 1.0}
    run = client.post(
        "/runs",
        json={"workflow": "demo", "engine": "mock", "params": params, "tags": {"team": "a"}},
        headers=headers,
    ).json()
    assert wait_until_final(client, run["id"])["state"] == "EXECUTOR_ERROR"
    return run


def test_a_failed_run_resumed_with_a_fixed_parameter_completes_as_a_linked_new_run(
    client,
) -> None:
    old = failed_run(client)

    response = client.post(
        f"/runs/{old['id']}/resume", json={"params": {"failure_rate": 0}, "tags": {"try": "2"}}
    )
    new = response.json()
    done = wait_until_final(client, new["id"])
    listed = {run["id"]: run for run in client.get("/runs").json()["runs"]}

    assert response.status_code == 201, new
    assert new["id"] != old["id"]
    assert done["state"] == "COMPLETE"
    assert done["params"] == {"steps": 2, "delay_seconds": 0, "failure_rate": 0, "seed": None}
    assert done["tags"] == {"team": "a", "try": "2"}
    assert (done["resumed_from"], done["reuses_work_of"]) == (old["id"], old["id"])
    assert listed[new["id"]]["resumed_from"] == old["id"]
    assert listed[old["id"]]["state"] == "EXECUTOR_ERROR", "the old run is left as it was"


def test_a_resume_of_a_resume_reuses_the_first_runs_work_prefix(client) -> None:
    first = failed_run(client)
    second = client.post(f"/runs/{first['id']}/resume").json()
    assert wait_until_final(client, second["id"])["state"] == "EXECUTOR_ERROR"

    third = client.post(f"/runs/{second['id']}/resume", json={"params": {"failure_rate": 0}})

    assert third.status_code == 201, third.text
    assert third.json()["resumed_from"] == second["id"]
    assert third.json()["reuses_work_of"] == first["id"]


def test_only_a_run_that_ended_without_completing_can_be_resumed(client) -> None:
    running = client.post(
        "/runs", json={"workflow": "demo", "engine": "mock", "params": {"delay_seconds": 30}}
    ).json()
    complete = client.post(
        "/runs", json={"workflow": "demo", "engine": "mock", "params": {"delay_seconds": 0}}
    ).json()
    wait_until_final(client, complete["id"])

    active_answer = client.post(f"/runs/{running['id']}/resume")
    complete_answer = client.post(f"/runs/{complete['id']}/resume")
    client.post(f"/runs/{running['id']}/cancel")
    wait_until_final(client, running["id"])
    canceled_answer = client.post(f"/runs/{running['id']}/resume")

    assert active_answer.status_code == 409
    assert "wait for it to end, or cancel it first" in active_answer.json()["msg"]
    assert complete_answer.status_code == 409
    assert "COMPLETE: it has nothing left to rerun" in complete_answer.json()["msg"]
    assert canceled_answer.status_code == 201, canceled_answer.text


def test_a_second_resume_is_refused_while_the_first_is_active_and_allowed_after(client) -> None:
    old = failed_run(client)
    slow = {"params": {"failure_rate": 0, "delay_seconds": 30}}

    first = client.post(f"/runs/{old['id']}/resume", json=slow)
    second = client.post(f"/runs/{old['id']}/resume", json=slow)
    client.post(f"/runs/{first.json()['id']}/cancel")
    wait_until_final(client, first.json()["id"])
    third = client.post(f"/runs/{old['id']}/resume", json={"params": {"failure_rate": 0}})

    assert first.status_code == 201
    assert second.status_code == 409
    assert f"run {old['id']}'s work prefix is still active" in second.json()["msg"]
    assert third.status_code == 201


@pytest.mark.anyio
async def test_of_two_runs_stored_at_once_on_one_work_prefix_only_one_is_active(
    database_url,
) -> None:
    store = build_store(Settings(engines=["mock"], database_url=database_url))
    await store.open()
    try:
        runs = [
            Run(id=f"resume{index}", workflow="demo", engine="mock", reuses_work_of="first")
            for index in range(2)
        ]
        results = await asyncio.gather(
            *(store.create_run(run) for run in runs), return_exceptions=True
        )
        refused = [result for result in results if isinstance(result, WorkPrefixBusyError)]
        stored = [result for result in results if isinstance(result, Run)]
        await store.set_state(stored[0].id, RunState.EXECUTOR_ERROR)
        again = await store.create_run(runs[0].model_copy(update={"id": "resume2"}))
    finally:
        await store.close()

    assert (len(stored), len(refused)) == (1, 1)
    assert again.reuses_work_of == "first"


def test_the_migration_guards_exactly_the_service_s_active_states() -> None:
    sql = (MIGRATIONS / "0004_resumed_runs.sql").read_text()

    guarded = set(re.findall(r"'([A-Z]+)'", sql.split("state IN", 1)[1]))

    assert guarded == {state.value for state in ACTIVE_STATES}


def test_only_the_owner_or_an_admin_may_resume(client) -> None:
    alice = add_user(client, "alice", "launcher")
    bob = add_user(client, "bob", "launcher")
    viewer = add_user(client, "vera", "viewer")
    alices = failed_run(client, headers=alice)

    bobs_answer = client.post(f"/runs/{alices['id']}/resume", headers=bob)
    viewers_answer = client.post(f"/runs/{alices['id']}/resume", headers=viewer)
    alices_answer = client.post(f"/runs/{alices['id']}/resume", headers=alice)
    wait_until_final(client, alices_answer.json()["id"])
    admins_answer = client.post(f"/runs/{alices['id']}/resume")

    assert bobs_answer.status_code == 404, "another user's run is as unknown as a missing one"
    assert viewers_answer.status_code == 403
    assert "a viewer resumes no runs" in viewers_answer.json()["msg"]
    assert alices_answer.status_code == 201
    assert alices_answer.json()["owner"] == "alice"
    assert admins_answer.status_code == 201
    assert admins_answer.json()["owner"] == "alice", "an admin resumes a run for its owner"


def test_a_resume_with_a_parameter_the_engine_refuses_is_400_and_starts_nothing(client) -> None:
    old = failed_run(client)

    answer = client.post(f"/runs/{old['id']}/resume", json={"params": {"steps": 0}})

    assert answer.status_code == 400
    assert "steps" in answer.json()["msg"]
    assert len(client.get("/runs").json()["runs"]) == 1


def wes_run(client: TestClient, params: dict[str, Any], tags: dict[str, str]):
    data = {
        "workflow_type": "MOCK",
        "workflow_type_version": "1",
        "workflow_url": "demo",
        "workflow_params": json.dumps(params),
        "tags": json.dumps(tags),
    }
    return client.post(f"{WES}/runs", data=data, files=[("nothing", ("", b""))])


def test_the_wes_tag_resume_from_resumes_the_run_it_names_and_the_list_shows_the_link(
    client,
) -> None:
    old = failed_run(client)

    answer = wes_run(client, {"failure_rate": 0}, {"batchflow:resume_from": old["id"]})
    new_id = answer.json()["run_id"]
    wait_until_final(client, new_id)
    summaries = {run["run_id"]: run for run in client.get(f"{WES}/runs").json()["runs"]}
    native = client.get(f"/runs/{new_id}").json()
    run_log = client.get(f"{WES}/runs/{new_id}").json()
    [task] = client.get(run_log["task_logs_url"]).json()["task_logs"][:1]

    assert answer.status_code == 200, answer.text
    assert native["state"] == "COMPLETE"
    assert native["resumed_from"] == old["id"]
    assert native["tags"] == {"team": "a"}, "the link is a field, not a stored tag"
    assert summaries[new_id]["tags"] == {"team": "a", "batchflow:resume_from": old["id"]}
    assert summaries[old["id"]]["tags"] == {"team": "a"}
    assert run_log["request"]["tags"] == {"batchflow:resume_from": old["id"]}
    stdout, stderr = run_log["run_log"]["stdout"], run_log["run_log"]["stderr"]
    assert stdout.endswith(f"/runs/{new_id}/logs/stdout?format=text")
    assert stderr.endswith(f"/runs/{new_id}/logs/stderr?format=text")
    assert "step-1: done" in client.get(stdout).text
    assert client.get(stderr).text == "", "the mock pipeline writes nothing to stderr"
    assert "stderr" not in task, "a task's stdout and stderr are one CloudWatch stream"
    assert task["stdout"].endswith(f"/tasks/{task['id']}/logs?format=text")


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"workflow_url": "other"}, "a resume reruns the old run's own workflow"),
        ({"tags": json.dumps({"batchflow:resume_from": "nope"})}, "not one you may see"),
    ],
)
def test_a_wes_resume_naming_another_workflow_or_no_run_is_400(client, fields, fragment) -> None:
    old = failed_run(client)
    data = {
        "workflow_type": "MOCK",
        "workflow_type_version": "1",
        "workflow_url": "demo",
        "tags": json.dumps({"batchflow:resume_from": old["id"]}),
    } | fields

    answer = client.post(f"{WES}/runs", data=data, files=[("nothing", ("", b""))])

    assert answer.status_code == 400
    assert fragment in answer.json()["msg"]


def recorded(run_id: str, **fields: Any) -> Run:
    created = utcnow() + timedelta(seconds=len(run_id))
    return Run(id=run_id, workflow="w", engine="snakemake", created_at=created, **fields)


def test_a_recorded_resume_link_is_believed_only_where_the_records_agree() -> None:
    first = recorded("a", owner="alice")
    resumed = recorded("bb", owner="alice", resumed_from="a", reuses_work_of="a")
    chained = recorded("ccc", owner="alice", resumed_from="bb", reuses_work_of="a")
    other_owner = recorded("dddd", owner="mallory", resumed_from="a", reuses_work_of="a")
    wrong_prefix = recorded("eeeee", owner="alice", resumed_from="a", reuses_work_of="victim")
    on_unbelieved = recorded("ffffff", owner="mallory", resumed_from="dddd", reuses_work_of="a")

    believed = believable_resumes(
        [on_unbelieved, wrong_prefix, other_owner, chained, resumed, first]
    )

    assert [(run.id, run.resumed_from, run.work_id) for run in believed] == [
        ("ffffff", None, "ffffff"),
        ("eeeee", None, "eeeee"),
        ("dddd", None, "dddd"),
        ("ccc", "bb", "a"),
        ("bb", "a", "a"),
        ("a", None, "a"),
    ]


def test_a_resumed_runs_record_brings_its_link_back_after_a_restart(s3) -> None:
    bucket = f"resume-records-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    staging = RunStaging(s3, bucket, AwsCaller(max_attempts=1))
    first, second, forged = (uuid.uuid4().hex for _ in range(3))
    runs = [
        recorded(first, owner="alice"),
        recorded(second, owner="alice", resumed_from=first, reuses_work_of=first),
        recorded(forged, owner="mallory", resumed_from=first, reuses_work_of=first),
    ]
    for run in runs:
        staging.write_record(run)

    restored = {run.id: run for run in recorded_runs(staging)}

    assert (restored[second].resumed_from, restored[second].work_id) == (first, first)
    assert (restored[forged].resumed_from, restored[forged].work_id) == (None, forged)
