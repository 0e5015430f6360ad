"""The native runs API: submit, list, inspect, follow and cancel runs."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import PlainTextResponse, StreamingResponse
from pydantic import ValidationError

from .. import forms, pages
from ..attachments import Attachment
from ..engines import Engine
from ..models import ErrorResponse, LogPage, Run, RunPage, RunRequest, TaskPage
from ..states import FINAL_STATES, RunState
from .deps import EnginesDep, StoreDep

NOT_FOUND = {404: {"model": ErrorResponse, "description": "No run with this id"}}
BAD_REQUEST = {400: {"model": ErrorResponse, "description": "The request cannot be accepted"}}
router = APIRouter(prefix="/runs", tags=["runs"])

FOLLOW_POLL_SECONDS = 0.5
FOLLOW_LIMIT_SECONDS = 3600
MAX_LOG_LINES = 1_000_000
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


RUN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": RunRequest.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["workflow"],
                    "properties": {
                        "workflow": {
                            "type": "string",
                            "description": "The path of the Snakefile (or main.nf) among the files",
                        },
                        "engine": {"type": "string", "enum": ["snakemake", "nextflow", "mock"]},
                        "name": {"type": "string"},
                        "params": {"type": "string", "description": "A JSON object"},
                        "tags": {"type": "string", "description": "A JSON object of strings"},
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                }
            },
        },
    }
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**BAD_REQUEST, 422: {"model": ErrorResponse, "description": "A malformed body"}},
    openapi_extra=RUN_BODY,
)
async def submit_run(request: Request, store: StoreDep, engines: EnginesDep) -> Run:
    """Start a run: JSON for a catalog workflow, or a form with the workflow's files."""
    attachments: list[Attachment] = []
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await forms.read_form(request, "POST /runs")
        try:
            fields: dict[str, Any] = {
                "workflow": forms.text(form, "workflow") or "",
                "engine": forms.text(form, "engine") or "snakemake",
                "name": forms.text(form, "name"),
                "params": forms.json_object(form, "params"),
                "tags": forms.json_object(form, "tags"),
            }
            attachments = await forms.files(request, form, "files")
        finally:
            await form.close()
    else:
        try:
            fields = await request.json()
        except (ValueError, RecursionError):
            raise HTTPException(
                422, "the body is not JSON (or nests too deeply); send JSON or a multipart form"
            ) from None
    try:
        run_request = RunRequest.model_validate(fields)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or 'body'}: {e['msg']}"
            for e in error.errors()
        )
        raise HTTPException(422, problems) from None
    return await start_run(run_request, attachments, store, engines)


async def start_run(
    request: RunRequest,
    attachments: list[Attachment],
    store: StoreDep,
    engines: EnginesDep,
    wes_request: dict[str, Any] | None = None,
) -> Run:
    """Checks a request with its engine, records the run, and launches it."""
    engine = engines.get(request.engine)
    if engine is None:
        raise HTTPException(
            400,
            f"engine {request.engine!r} is not enabled on this service "
            f"(enabled: {', '.join(sorted(engines))})",
        )
    params = engine.check_request(request, attachments)
    run = Run(
        id=uuid.uuid4().hex,
        name=request.name,
        workflow=request.workflow,
        engine=request.engine,
        params=params,
        tags=request.tags,
        uploaded=bool(attachments),
        request=wes_request or {},
    )
    run = await store.create_run(run)
    await engine.launch(run, attachments)
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
    engines: EnginesDep,
    offset: Annotated[int, Query(ge=0, description="First line to return")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    follow: Annotated[bool, Query(description="Stream lines as text until the run ends")] = False,
    format: Annotated[
        Literal["json", "text"], Query(description="text: the lines as plain text")
    ] = "json",
) -> Any:
    """The service's notes on the run, then the engine's log of it (Snakemake's output)."""
    run = await store.get_run(run_id)
    if follow:
        return StreamingResponse(
            follow_log(store, engines[run.engine], run_id, offset), media_type="text/plain"
        )
    lines = await all_log_lines(store, engines[run.engine], run)
    if format == "text":
        return PlainTextResponse("".join(f"{line}\n" for line in lines[offset : offset + limit]))
    page = lines[offset : offset + limit]
    next_offset = offset + len(page)
    return LogPage(
        lines=page,
        next_offset=next_offset,
        complete=run.state in FINAL_STATES and next_offset >= len(lines),
    )


async def all_log_lines(store: StoreDep, engine: Engine, run: Run) -> list[str]:
    stored, _ = await store.read_log(run.id, 0, MAX_LOG_LINES)
    engine_lines, _ = await engine.run_log(run, None)
    return stored + engine_lines


async def follow_log(
    store: StoreDep, engine: Engine, run_id: str, offset: int
) -> AsyncIterator[str]:
    """New lines as they come: the store's from an offset, the engine's from its token."""
    deadline = time.monotonic() + FOLLOW_LIMIT_SECONDS
    stored_offset, token, skip = 0, None, offset
    while time.monotonic() < deadline:
        run = await store.get_run(run_id)
        stored, stored_offset = await store.read_log(run_id, stored_offset, MAX_LOG_LINES)
        engine_lines, token = await engine.run_log(run, token)
        lines = stored + engine_lines
        for line in lines[skip:]:
            yield line + "\n"
        skip = max(0, skip - len(lines))
        if run.state in FINAL_STATES and not lines:
            return
        if not lines:
            await asyncio.sleep(FOLLOW_POLL_SECONDS)


@router.get(
    "/{run_id}/tasks/{task_id}/logs",
    responses={200: {"content": {"text/plain": {}}}, **NOT_FOUND},
)
async def read_task_log(
    run_id: str,
    task_id: str,
    store: StoreDep,
    engines: EnginesDep,
    format: Annotated[
        Literal["json", "text"], Query(description="text: the lines as plain text")
    ] = "json",
) -> Any:
    """A task's own output (for a Snakemake run, its Batch job's CloudWatch log)."""
    run = await store.get_run(run_id)
    task = await store.get_task(run_id, task_id)
    if task is None:
        raise HTTPException(404, f"run {run_id} has no task {task_id[:100]!r}")
    lines = await engines[run.engine].task_log(task)
    if format == "text":
        return PlainTextResponse("".join(f"{line}\n" for line in lines))
    return LogPage(lines=lines, next_offset=len(lines), complete=task.state in FINAL_STATES)


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
