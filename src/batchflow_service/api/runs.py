"""The native runs API: submit, list, inspect, follow and cancel runs."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import StreamingResponse

from .. import pages
from ..models import ErrorResponse, LogPage, Run, RunPage, RunRequest, TaskPage
from ..states import FINAL_STATES, RunState
from .deps import EnginesDep, StoreDep

NOT_FOUND = {404: {"model": ErrorResponse, "description": "No run with this id"}}
BAD_REQUEST = {400: {"model": ErrorResponse, "description": "The request cannot be accepted"}}
router = APIRouter(prefix="/runs", tags=["runs"])

FOLLOW_POLL_SECONDS = 0.5
FOLLOW_LIMIT_SECONDS = 3600
PageSize = Annotated[int, Query(ge=1, le=500, description="Items per page")]
PageToken = Annotated[
    str | None, Query(max_length=1024, description="next_page_token of the previous page")
]


def parse_tag_filters(tags: list[str]) -> dict[str, str]:
    parsed = {}
    for tag in tags:
        key, separator, value = tag.partition(":")
        if not separator or not key:
            raise HTTPException(400, f"tag filter {tag[:80]!r} must be key:value")
        parsed[key] = value
    return parsed


@router.post("", status_code=status.HTTP_201_CREATED, responses=BAD_REQUEST)
async def submit_run(request: RunRequest, store: StoreDep, engines: EnginesDep) -> Run:
    engine = engines.get(request.engine)
    if engine is None:
        raise HTTPException(
            400,
            f"engine {request.engine!r} is not enabled on this service "
            f"(enabled: {', '.join(sorted(engines))})",
        )
    params = engine.check_params(request.params)
    run = Run(
        id=uuid.uuid4().hex,
        name=request.name,
        workflow=request.workflow,
        engine=request.engine,
        params=params,
        tags=request.tags,
    )
    run = await store.create_run(run)
    await engine.launch(run)
    return run


@router.get("", responses=BAD_REQUEST)
async def list_runs(
    store: StoreDep,
    state: Annotated[RunState | None, Query(description="Only runs in this state")] = None,
    tag: Annotated[
        list[str], Query(max_length=20, description="key:value; repeat to require several")
    ] = (),  # type: ignore[assignment]
    page_size: PageSize = 50,
    page_token: PageToken = None,
) -> RunPage:
    before = pages.run_cursor(page_token) if page_token else None
    runs = await store.list_runs(
        state=state, tags=parse_tag_filters(list(tag)), before=before, limit=page_size + 1
    )
    token = ""
    if len(runs) > page_size:
        runs = runs[:page_size]
        token = pages.encode({"created_at": runs[-1].created_at.isoformat(), "id": runs[-1].id})
    return RunPage(runs=runs, next_page_token=token)


@router.get("/{run_id}", responses=NOT_FOUND)
async def get_run(run_id: str, store: StoreDep) -> Run:
    return await store.get_run(run_id)


@router.get("/{run_id}/tasks", responses={**NOT_FOUND, **BAD_REQUEST})
async def list_tasks(
    run_id: str, store: StoreDep, page_size: PageSize = 100, page_token: PageToken = None
) -> TaskPage:
    after = pages.decode(page_token, "after")["after"] if page_token else None
    tasks = await store.list_tasks(run_id, after=after, limit=page_size + 1)
    token = ""
    if len(tasks) > page_size:
        tasks = tasks[:page_size]
        token = pages.encode({"after": tasks[-1].id})
    return TaskPage(tasks=tasks, next_page_token=token)


@router.get(
    "/{run_id}/logs",
    responses={
        200: {"content": {"text/plain": {}}, "description": "With follow=true, a text stream"},
        **NOT_FOUND,
    },
)
async def read_logs(
    run_id: str,
    store: StoreDep,
    offset: Annotated[int, Query(ge=0, description="First line to return")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    follow: Annotated[bool, Query(description="Stream lines as text until the run ends")] = False,
) -> Any:
    run = await store.get_run(run_id)
    if follow:
        return StreamingResponse(follow_log(store, run_id, offset), media_type="text/plain")
    lines, next_offset = await store.read_log(run_id, offset, limit)
    more, _ = await store.read_log(run_id, next_offset, 1)
    return LogPage(
        lines=lines, next_offset=next_offset, complete=run.state in FINAL_STATES and not more
    )


async def follow_log(store: StoreDep, run_id: str, offset: int) -> AsyncIterator[str]:
    deadline = time.monotonic() + FOLLOW_LIMIT_SECONDS
    while time.monotonic() < deadline:
        ended = (await store.get_run(run_id)).state in FINAL_STATES
        lines, offset = await store.read_log(run_id, offset, 1000)
        for line in lines:
            yield line + "\n"
        if ended and not lines:
            return
        if not lines:
            await asyncio.sleep(FOLLOW_POLL_SECONDS)


@router.post(
    "/{run_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    responses={**NOT_FOUND, 409: {"model": ErrorResponse, "description": "The run has ended"}},
)
async def cancel_run(run_id: str, store: StoreDep, engines: EnginesDep) -> Run:
    run = await store.get_run(run_id)
    if run.state in FINAL_STATES:
        raise HTTPException(409, f"run {run_id} has already ended ({run.state})")
    await engines[run.engine].cancel(run)
    return await store.get_run(run_id)


@router.get("/{run_id}/outputs", responses=NOT_FOUND)
async def get_outputs(run_id: str, store: StoreDep) -> dict[str, Any]:
    return {"outputs": (await store.get_run(run_id)).outputs}
