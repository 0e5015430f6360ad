"""The store contract: every backend must pass these."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from batchflow_service.auth.models import PersonalToken, User
from batchflow_service.auth.roles import Role
from batchflow_service.models import Run, Task
from batchflow_service.states import InvalidTransitionError, RunState
from batchflow_service.store import (
    MemoryStore,
    PostgresStore,
    RunNotFoundError,
    RunStore,
    StoreUnavailableError,
    UserExistsError,
    UserNotFoundError,
)
from batchflow_service.store.schema import migration_files

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", "postgres"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[RunStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    url = request.getfixturevalue("postgres_url")
    store = PostgresStore(url)
    await store.open()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("TRUNCATE runs, users, service_secrets CASCADE")
    try:
        yield store
    finally:
        await store.close()


def a_run(run_id: str, minutes_ago: int = 0, **fields) -> Run:
    created = datetime(2026, 1, 1, tzinfo=UTC) - timedelta(minutes=minutes_ago)
    return Run(id=run_id, workflow="demo", engine="mock", created_at=created, **fields)


async def test_a_created_run_reads_back_equal(store) -> None:
    run = await store.create_run(a_run("r1", tags={"team": "x"}, params={"steps": 2}))

    assert await store.get_run("r1") == run


async def test_a_run_read_from_the_store_is_the_callers_own(store) -> None:
    params = {"samples": ["a", "b"], "options": {"depth": [1, 2]}}
    await store.create_run(a_run("r1", params=params, tags={"team": "x"}))

    read = await store.get_run("r1")
    read.params["samples"].append("changed")
    read.params["options"]["depth"][0] = 99
    read.tags["team"] = "changed"

    kept = await store.get_run("r1")
    assert kept.params == {"samples": ["a", "b"], "options": {"depth": [1, 2]}}
    assert kept.tags == {"team": "x"}
    assert [run.params for run in await store.active_runs()] == [kept.params]


async def test_listed_runs_stay_as_they_were_read(store) -> None:
    await store.create_run(a_run("r1", tags={"team": "x"}))
    listed, active = (await store.list_runs())[0], (await store.active_runs())[0]

    await store.set_state("r1", RunState.RUNNING)
    await store.update_run("r1", outputs={"report": "s3://b/report.html"})

    for snapshot in (listed, active):
        assert (snapshot.state, snapshot.started_at, snapshot.outputs) == (
            RunState.QUEUED,
            None,
            {},
        )
    now = (await store.list_runs())[0]
    assert (now.state, now.outputs) == (RunState.RUNNING, {"report": "s3://b/report.html"})
    assert now.started_at is not None


async def test_an_unknown_run_is_not_found(store) -> None:
    with pytest.raises(RunNotFoundError):
        await store.get_run("nope")


async def test_runs_list_newest_first_and_page_by_cursor(store) -> None:
    for index in range(5):
        await store.create_run(a_run(f"r{index}", minutes_ago=index))

    first = await store.list_runs(limit=2)
    rest = await store.list_runs(before=(first[-1].created_at, first[-1].id), limit=10)

    assert [r.id for r in first] == ["r0", "r1"]
    assert [r.id for r in rest] == ["r2", "r3", "r4"]


async def test_runs_filter_by_state_and_tags(store) -> None:
    await store.create_run(a_run("a", tags={"team": "x", "env": "prod"}))
    await store.create_run(a_run("b", tags={"team": "x"}))
    await store.create_run(a_run("c", tags={"team": "y"}))
    await store.set_state("b", RunState.CANCELED)

    team_x = await store.list_runs(tags={"team": "x"})
    prod = await store.list_runs(tags={"team": "x", "env": "prod"})
    canceled = await store.list_runs(state=RunState.CANCELED)

    assert {r.id for r in team_x} == {"a", "b"}
    assert [r.id for r in prod] == ["a"]
    assert [r.id for r in canceled] == ["b"]


async def test_runs_filter_by_owner_and_keep_it(store) -> None:
    await store.create_run(a_run("a1", owner="alice"))
    await store.create_run(a_run("b1", minutes_ago=1, owner="bob"))
    await store.create_run(a_run("a2", minutes_ago=2, owner="alice"))

    assert [r.id for r in await store.list_runs(owner="alice")] == ["a1", "a2"]
    assert [r.id for r in await store.list_runs(owner="carol")] == []
    assert len(await store.list_runs()) == 3
    assert (await store.get_run("b1")).owner == "bob"


async def test_users_are_created_once_listed_by_name_and_updated(store) -> None:
    created = await store.create_user(User(name="zoe", role=Role.VIEWER, password_hash="h1"))
    await store.create_user(User(name="al", role=Role.MAINTAINER, password_hash="h2"))
    with pytest.raises(UserExistsError):
        await store.create_user(User(name="zoe", role=Role.ADMIN))

    assert await store.get_user("zoe") == created
    assert (await store.get_user("zoe")).password_hash == "h1"
    assert await store.get_user("nobody") is None
    assert [u.name for u in await store.list_users()] == ["al", "zoe"]

    changed = await store.update_user("zoe", role="admin", disabled=True)
    assert (changed.role, changed.disabled, changed.password_hash) == (Role.ADMIN, True, "h1")
    changed = await store.update_user("zoe", password_hash="h3")
    assert (changed.role, changed.disabled, changed.password_hash) == (Role.ADMIN, True, "h3")
    with pytest.raises(UserNotFoundError):
        await store.update_user("nobody", disabled=True)


def a_token(token_id: str, owner: str, minutes_ago: int = 0) -> PersonalToken:
    created = datetime(2026, 1, 1, tzinfo=UTC) - timedelta(minutes=minutes_ago)
    return PersonalToken(
        id=token_id,
        owner=owner,
        name=f"token {token_id}",
        secret_sha256="d" * 64,
        created_at=created,
        expires_at=created + timedelta(days=30),
    )


async def test_personal_tokens_belong_to_their_owner(store) -> None:
    await store.create_user(User(name="alice", role=Role.MAINTAINER))
    await store.create_user(User(name="bob", role=Role.MAINTAINER))
    await store.create_token(a_token("t2", "alice"))
    await store.create_token(a_token("t1", "alice", minutes_ago=5))
    await store.create_token(a_token("t3", "bob"))
    with pytest.raises(UserNotFoundError):
        await store.create_token(a_token("t4", "nobody"))

    assert (await store.get_token("t1")).secret_sha256 == "d" * 64
    assert [t.id for t in await store.list_tokens("alice")] == ["t1", "t2"]
    assert await store.delete_token("bob", "t1") is False
    assert await store.delete_token("alice", "t1") is True
    assert await store.get_token("t1") is None
    assert [t.id for t in await store.list_tokens("alice")] == ["t2"]


async def test_a_kept_secret_is_the_first_one_stored(store) -> None:
    assert await store.keep_secret("key", "first") == "first"
    assert await store.keep_secret("key", "second") == "first"
    assert await store.keep_secret("other", "x") == "x"


async def test_state_changes_are_checked_and_stamped(store) -> None:
    await store.create_run(a_run("r"))

    running = await store.set_state("r", RunState.RUNNING)
    done = await store.set_state("r", RunState.EXECUTOR_ERROR, reason="step-2 failed")

    assert running.started_at is not None
    assert done.ended_at is not None
    assert done.reason == "step-2 failed"
    with pytest.raises(InvalidTransitionError):
        await store.set_state("r", RunState.RUNNING)


async def test_concurrent_transitions_let_exactly_one_final_state_win(store) -> None:
    await store.create_run(a_run("r", state=RunState.RUNNING))

    results = await asyncio.gather(
        store.set_state("r", RunState.COMPLETE),
        store.set_state("r", RunState.CANCELED),
        return_exceptions=True,
    )

    assert sum(isinstance(result, InvalidTransitionError) for result in results) == 1
    assert (await store.get_run("r")).state in (RunState.COMPLETE, RunState.CANCELED)


async def test_tasks_upsert_in_place_and_page_in_creation_order(store) -> None:
    await store.create_run(a_run("r"))
    for index in range(3):
        await store.upsert_task(
            Task(id=f"t{index}", run_id="r", name="align", state=RunState.RUNNING)
        )
    await store.upsert_task(
        Task(id="t0", run_id="r", name="align", state=RunState.COMPLETE, exit_code=0)
    )

    first = await store.list_tasks("r", limit=2)
    rest = await store.list_tasks("r", after=first[-1].id, limit=2)

    assert [(t.id, t.state) for t in first] == [("t0", RunState.COMPLETE), ("t1", RunState.RUNNING)]
    assert [t.id for t in rest] == ["t2"]


async def test_tasks_of_an_unknown_run_are_not_found(store) -> None:
    with pytest.raises(RunNotFoundError):
        await store.upsert_task(Task(id="t", run_id="nope", name="x", state=RunState.QUEUED))


async def test_logs_append_and_read_from_an_offset(store) -> None:
    await store.create_run(a_run("r"))
    await store.append_log("r", ["one", "two"])
    await store.append_log("r", ["three"])

    lines, offset = await store.read_log("r", 1, 10)
    none, same = await store.read_log("r", offset, 10)

    assert (lines, offset) == (["two", "three"], 3)
    assert (none, same) == ([], 3)


async def test_state_counts_and_active_runs(store) -> None:
    await store.create_run(a_run("queued"))
    await store.create_run(a_run("done", state=RunState.RUNNING))
    await store.set_state("done", RunState.COMPLETE)

    counts = await store.state_counts()
    active = await store.active_runs()

    assert (counts[RunState.QUEUED], counts[RunState.COMPLETE]) == (1, 1)
    assert [r.id for r in active] == ["queued"]


async def test_postgres_keeps_runs_tasks_and_logs_across_a_restart(postgres_url) -> None:
    first = PostgresStore(postgres_url)
    await first.open()
    await first.create_run(a_run("kept", tags={"team": "x"}))
    await first.set_state("kept", RunState.RUNNING)
    await first.upsert_task(Task(id="t", run_id="kept", name="align", state=RunState.RUNNING))
    await first.append_log("kept", ["line one"])
    await first.close()

    second = PostgresStore(postgres_url)
    await second.open()
    try:
        run = await second.get_run("kept")
        tasks = await second.list_tasks("kept")
        lines, _ = await second.read_log("kept", 0, 10)
    finally:
        await second.close()

    assert (run.state, run.tags, run.started_at is not None) == (
        RunState.RUNNING,
        {"team": "x"},
        True,
    )
    assert [t.id for t in tasks] == ["t"]
    assert lines == ["line one"]


async def test_postgres_migrations_apply_once_when_services_start_together(postgres_url) -> None:
    stores = [PostgresStore(postgres_url) for _ in range(3)]

    await asyncio.gather(*(store.open() for store in stores))
    for store in stores:
        await store.close()

    async with await psycopg.AsyncConnection.connect(postgres_url) as conn:
        cursor = await conn.execute("SELECT version FROM batchflow_migrations ORDER BY version")
        applied = [version for (version,) in await cursor.fetchall()]
    assert applied == [version for version, _ in migration_files()]


async def test_an_unreachable_database_is_named_in_the_error(free_tcp_port: int) -> None:
    url = f"postgresql://batchflow@127.0.0.1:{free_tcp_port}/runs"
    store = PostgresStore(url, connect_timeout=1)

    with pytest.raises(StoreUnavailableError, match=f"127.0.0.1:{free_tcp_port}/runs within 1 s"):
        await store.open()
