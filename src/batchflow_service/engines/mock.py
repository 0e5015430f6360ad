"""The mock pipeline: in-process steps with a delay and a failure rate, for demos and tests."""

import asyncio
import contextlib
import random
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..attachments import Attachment
from ..models import Run, RunRequest, Task, utcnow
from ..states import InvalidTransitionError, RunState
from ..store import RunStore
from ..validation import describe_errors
from .base import EngineError, OutputFile, Stream
from .requests import check_not_url

MAX_LOG_LINES = 1_000_000


class MockParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: int = Field(3, ge=1, le=50, description="How many tasks the run has")
    delay_seconds: float = Field(0.5, ge=0, le=60, description="How long each task takes")
    failure_rate: float = Field(0.0, ge=0, le=1, description="Chance that a task fails")
    seed: int | None = Field(None, description="Seed for reproducible failures")


class MockEngine:
    name = "mock"

    def __init__(self, store: RunStore) -> None:
        self._store = store
        self._running: dict[str, asyncio.Task[None]] = {}
        self._cancel_requested: set[str] = set()
        self._started = utcnow()

    def check_request(self, request: RunRequest, attachments: list[Attachment]) -> dict[str, Any]:
        check_not_url(request.workflow)
        if attachments:
            raise EngineError("the mock engine runs no uploaded workflow files")
        try:
            return MockParams.model_validate(request.params).model_dump()
        except ValidationError as error:
            raise EngineError(
                f"invalid mock parameters: {describe_errors(error.errors())}"
            ) from None

    async def launch(self, run: Run, attachments: list[Attachment]) -> None:
        task = asyncio.create_task(self._run(run.id, MockParams.model_validate(run.params)))
        self._running[run.id] = task
        task.add_done_callback(lambda _: self._running.pop(run.id, None))

    async def _run(self, run_id: str, params: MockParams) -> None:
        chance = random.Random(params.seed)
        step: Task | None = None
        try:
            await self._store.set_state(run_id, RunState.INITIALIZING)
            await self._store.append_log(run_id, [f"mock run with {params.steps} steps"])
            await self._store.set_state(run_id, RunState.RUNNING)
            for index in range(params.steps):
                step = Task(
                    id=f"{run_id}-step-{index}",
                    run_id=run_id,
                    name=f"step-{index}",
                    state=RunState.RUNNING,
                    started_at=utcnow(),
                )
                await self._store.upsert_task(step)
                await self._store.append_log(run_id, [f"step-{index}: started"])
                await asyncio.sleep(params.delay_seconds)
                if chance.random() < params.failure_rate:
                    await self._finish(step, RunState.EXECUTOR_ERROR, 1)
                    reason = f"step-{index} failed (a mock failure, rate {params.failure_rate})"
                    await self._store.append_log(run_id, [f"step-{index}: failed"])
                    await self._store.set_state(run_id, RunState.EXECUTOR_ERROR, reason=reason)
                    return
                await self._finish(step, RunState.COMPLETE, 0)
                await self._store.append_log(run_id, [f"step-{index}: done"])
                step = None
            await self._store.update_run(
                run_id, outputs={"steps": params.steps, "result": f"mock://{run_id}/result.txt"}
            )
            await self._store.set_state(run_id, RunState.COMPLETE)
        except asyncio.CancelledError:
            if run_id not in self._cancel_requested:
                raise
            if step is not None:
                await self._finish(step, RunState.CANCELED, None)
            await self._store.append_log(run_id, ["canceled"])
            await self._store.set_state(run_id, RunState.CANCELED, reason="canceled by request")
            raise

    async def _finish(self, step: Task, state: RunState, exit_code: int | None) -> None:
        done = step.model_copy(
            update={"state": state, "exit_code": exit_code, "ended_at": utcnow()}
        )
        await self._store.upsert_task(done)

    async def cancel(self, run: Run) -> None:
        await self._store.set_state(run.id, RunState.CANCELING)
        task = self._running.get(run.id)
        if task is None:
            await self._store.set_state(run.id, RunState.CANCELED, reason="canceled by request")
            return
        self._cancel_requested.add(run.id)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._cancel_requested.discard(run.id)

    async def reconcile(self, runs: list[Run]) -> None:
        """A mock run lives in this process; one that is active but not running was lost."""
        for run in runs:
            if run.created_at >= self._started or run.id in self._running:
                continue
            with contextlib.suppress(InvalidTransitionError):  # it ended meanwhile
                await self._store.set_state(
                    run.id,
                    RunState.SYSTEM_ERROR,
                    reason="the service restarted during this mock run; mock runs live in memory",
                )

    async def recover(self) -> None:
        return None

    async def run_log(self, run: Run, token: str | None) -> tuple[list[str], str | None]:
        return [], token

    async def engine_stream(self, run: Run, stream: Stream) -> list[str]:
        """The mock pipeline writes its progress (the run's log) to stdout, nothing to stderr."""
        if stream == "stderr":
            return []
        lines, _ = await self._store.read_log(run.id, 0, MAX_LOG_LINES)
        return lines

    async def workflow_files(self, run: Run) -> list[Attachment]:
        return []

    async def task_log(self, task: Task) -> list[str]:
        return [f"{task.name}: {task.state}"]

    async def open_output(self, uri: str) -> OutputFile:
        raise EngineError(f"the mock engine keeps no output files ({uri[:100]})")

    async def close(self) -> None:
        """Stops in-process runs without recording an ending: the service is going away."""
        for task in list(self._running.values()):
            task.cancel()
        for task in list(self._running.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task
