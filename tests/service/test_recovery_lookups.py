"""Right after a start, a run the store lacks may still be on its way back from its record in
S3: a lookup waits for it rather than answer 404 (docs/api.md, *Restarts*)."""

import asyncio
import time

import pytest

from batchflow_service import runs as run_service
from batchflow_service.app import create_app
from batchflow_service.auth.identity import Identity
from batchflow_service.auth.roles import Role
from batchflow_service.engines.mock import MockEngine
from batchflow_service.models import Run
from batchflow_service.runs import RunService, RunsRecoveringError
from batchflow_service.settings import Settings
from batchflow_service.store import MemoryStore, RunNotFoundError

from .clients import ADMIN_PASSWORD, admin_client

ADMIN = Identity(name="admin", role=Role.ADMIN, via="session")
RUN_ID = "5" * 32


def recorded_run() -> Run:
    return Run(id=RUN_ID, workflow="hello", engine="snakemake", owner="admin")


@pytest.mark.anyio
async def test_a_run_put_back_while_it_is_asked_for_is_found() -> None:
    store, recovered = MemoryStore(), asyncio.Event()
    service = RunService(store, {}, recovered)

    async def recover() -> None:
        await asyncio.sleep(0.3)
        await store.create_run(recorded_run())
        recovered.set()

    recovery = asyncio.create_task(recover())
    found = await service.get(ADMIN, RUN_ID)
    await recovery

    assert found.id == RUN_ID


@pytest.mark.anyio
async def test_an_unknown_run_is_not_found_at_once_after_recovery() -> None:
    recovered = asyncio.Event()
    recovered.set()
    service = RunService(MemoryStore(), {}, recovered)

    started = time.monotonic()
    with pytest.raises(RunNotFoundError):
        await service.get(ADMIN, RUN_ID)
    assert time.monotonic() - started < 1


@pytest.mark.anyio
async def test_a_run_not_back_in_time_is_unavailable_not_missing(monkeypatch) -> None:
    monkeypatch.setattr(run_service, "RECOVERY_WAIT_SECONDS", 0.2)
    service = RunService(MemoryStore(), {}, asyncio.Event())

    with pytest.raises(RunsRecoveringError, match="still restoring runs"):
        await service.get(ADMIN, RUN_ID)


def test_the_api_answers_503_with_retry_after_while_runs_come_back(monkeypatch) -> None:
    async def recovering_for_ever(self: MockEngine) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(MockEngine, "recover", recovering_for_ever)
    monkeypatch.setattr(run_service, "RECOVERY_WAIT_SECONDS", 0.2)
    settings = Settings(engines=["mock"], admin_password=ADMIN_PASSWORD)

    with admin_client(create_app(settings)) as client:
        answer = client.get(f"/runs/{RUN_ID}")
        wes_answer = client.get(f"/ga4gh/wes/v1/runs/{RUN_ID}/status")

    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "5"
    assert "still restoring runs" in answer.json()["msg"]
    assert wes_answer.status_code == 503, wes_answer.text
