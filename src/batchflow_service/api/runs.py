"""The native runs API: submit, list, inspect, follow and cancel runs."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from pydantic import ValidationError

from ..attachments import Attachment
from ..auth.identity import InvalidTokenError
from ..auth.oidc import OidcUnavailableError
from ..engines.base import Stream
from ..models import (
    DownloadLink,
    DownloadLinkRequest,
    ErrorResponse,
    LogPage,
    ResumeRequest,
    Run,
    RunPage,
    RunRequest,
    TaskPage,
)
from ..states import FINAL_STATES, RunState
from ..validation import describe_errors
from . import forms
from .deps import AuthenticatorDep, CurrentUser, RunDep, RunsDep, bearer
from .output_files import output_response
from .storable_input import StorableInputRoute

NOT_FOUND = {
    404: {"model": ErrorResponse, "description": "No run with this id that the caller may see"}
}
FORBIDDEN = {403: {"model": ErrorResponse, "description": "The caller's role does not allow it"}}
BAD_REQUEST = {400: {"model": ErrorResponse, "description": "The request cannot be accepted"}}
AWS_FAILED = {
    502: {"model": ErrorResponse, "description": "AWS answered the call with an error"},
    503: {"model": ErrorResponse, "description": "AWS cannot be reached"},
}
router = APIRouter(
    prefix="/runs",
    route_class=StorableInputRoute,
    tags=["runs"],
    responses={401: {"model": ErrorResponse, "description": "No valid bearer token"}},
)

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
    responses={
        **BAD_REQUEST,
        **FORBIDDEN,
        415: {"model": ErrorResponse, "description": "Neither JSON nor a multipart form"},
        422: {"model": ErrorResponse, "description": "A malformed body"},
    },
    openapi_extra=RUN_BODY,
)
async def submit_run(request: Request, runs: RunsDep, caller: CurrentUser) -> Run:
    """Start a run: JSON for a catalog workflow, or a form with the workflow's files."""
    attachments: list[Attachment] = []
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
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
    elif content_type != "application/json":
        raise HTTPException(
            415,
            "send the run request as application/json, or its files as multipart/form-data "
            f"(got content-type {content_type[:80]!r})",
        )
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
        raise HTTPException(422, describe_errors(error.errors(), limit=100)) from None
    return await runs.submit(caller, run_request, attachments)


@router.get("", responses=BAD_REQUEST)
async def list_runs(
    runs: RunsDep,
    caller: CurrentUser,
    state: Annotated[RunState | None, Query(description="Only runs in this state")] = None,
    tag: Annotated[
        list[str], Query(max_length=20, description="key:value; repeat to require several")
    ] = (),  # type: ignore[assignment]
    owner: Annotated[str | None, Query(max_length=64, description="Only this user's runs")] = None,
    page_size: PageSize = 50,
    page_token: PageToken = None,
) -> RunPage:
    """The runs the caller may see (an admin's and a viewer's: every run), newest first."""
    found, token = await runs.list_runs(
        caller, page_size, page_token, state, parse_tag_filters(list(tag)), owner
    )
    return RunPage(runs=found, next_page_token=token)


@router.get("/{run_id}", responses=NOT_FOUND)
async def get_run(run: RunDep) -> Run:
    return run


@router.get("/{run_id}/tasks", responses={**NOT_FOUND, **BAD_REQUEST})
async def list_tasks(
    run_id: str,
    runs: RunsDep,
    caller: CurrentUser,
    page_size: PageSize = 100,
    page_token: PageToken = None,
) -> TaskPage:
    tasks, token = await runs.tasks(caller, run_id, page_size, page_token)
    return TaskPage(tasks=tasks, next_page_token=token)


@router.get(
    "/{run_id}/logs",
    responses={
        200: {"content": {"text/plain": {}}, "description": "With follow=true, a text stream"},
        **NOT_FOUND,
        **AWS_FAILED,
        429: {"model": ErrorResponse, "description": "The caller follows too many logs"},
    },
)
async def read_logs(
    run: RunDep,
    runs: RunsDep,
    caller: CurrentUser,
    authenticator: AuthenticatorDep,
    token: Annotated[str | None, Depends(bearer)],
    offset: Annotated[int, Query(ge=0, description="First line to return")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    follow: Annotated[bool, Query(description="Stream lines as text until the run ends")] = False,
    format: Annotated[
        Literal["json", "text"], Query(description="text: the lines as plain text")
    ] = "json",
) -> Any:
    """The service's notes on the run, then the engine's log of it (Snakemake's output)."""
    if follow:
        runs.check_follow_allowed(caller)

        async def still_allowed() -> bool:
            try:
                await runs.get(await authenticator.identify(token or ""), run.id)
            except (InvalidTokenError, LookupError, OidcUnavailableError):
                return False
            return True

        lines = runs.follow_log(caller, run, offset, still_allowed)
        return StreamingResponse(lines, media_type="text/plain")
    lines = await runs.log_lines(run)
    page = lines[offset : offset + limit]
    if format == "text":
        return PlainTextResponse("".join(f"{line}\n" for line in page))
    next_offset = offset + len(page)
    return LogPage(
        lines=page,
        next_offset=next_offset,
        complete=run.state in FINAL_STATES and next_offset >= len(lines),
    )


@router.get(
    "/{run_id}/tasks/{task_id}/logs",
    responses={200: {"content": {"text/plain": {}}}, **NOT_FOUND, **AWS_FAILED},
)
async def read_task_log(
    run_id: str,
    task_id: str,
    runs: RunsDep,
    caller: CurrentUser,
    format: Annotated[
        Literal["json", "text"], Query(description="text: the lines as plain text")
    ] = "json",
) -> Any:
    """A task's own output (for a Snakemake run, its Batch job's CloudWatch log)."""
    task, lines = await runs.task_log(caller, run_id, task_id)
    if format == "text":
        return PlainTextResponse("".join(f"{line}\n" for line in lines))
    return LogPage(lines=lines, next_offset=len(lines), complete=task.state in FINAL_STATES)


@router.post(
    "/{run_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        **NOT_FOUND,
        **FORBIDDEN,
        409: {"model": ErrorResponse, "description": "The run has ended"},
        **AWS_FAILED,
    },
)
async def cancel_run(run_id: str, runs: RunsDep, caller: CurrentUser) -> Run:
    return await runs.cancel(caller, run_id)


@router.post(
    "/{run_id}/resume",
    status_code=status.HTTP_201_CREATED,
    responses={
        **NOT_FOUND,
        **FORBIDDEN,
        **BAD_REQUEST,
        409: {
            "model": ErrorResponse,
            "description": "The run has not ended, or completed, or a resume of it is active",
        },
    },
)
async def resume_run(
    run_id: str, runs: RunsDep, caller: CurrentUser, changes: ResumeRequest | None = None
) -> Run:
    """Start a new run of an ended run that did not complete, reusing its work prefix so that
    only what failed or is missing runs again; `params` given replace the old run's."""
    return await runs.resume(caller, run_id, changes or ResumeRequest())


@router.get(
    "/{run_id}/logs/{stream}",
    responses={200: {"content": {"text/plain": {}}}, **NOT_FOUND, **AWS_FAILED},
)
async def read_engine_stream(
    run: RunDep,
    runs: RunsDep,
    stream: Stream,
    format: Annotated[
        Literal["json", "text"], Query(description="text: the lines as plain text")
    ] = "json",
) -> Any:
    """The workflow engine's own stdout or stderr, each apart (Snakemake writes its log to
    stderr); updated every few seconds while the run is running."""
    lines = await runs.engine_stream(run, stream)
    if format == "text":
        return PlainTextResponse("".join(f"{line}\n" for line in lines))
    return LogPage(lines=lines, next_offset=len(lines), complete=run.state in FINAL_STATES)


@router.get("/{run_id}/outputs", responses=NOT_FOUND)
async def get_outputs(run: RunDep) -> dict[str, Any]:
    return {"outputs": run.outputs}


@router.get(
    "/{run_id}/outputs/{path:path}",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The file's content"},
        307: {"description": "Where S3 is AWS's own: a presigned URL to fetch the file from"},
        **NOT_FOUND,
        **AWS_FAILED,
    },
)
async def download_output(run_id: str, path: str, runs: RunsDep, caller: CurrentUser) -> Response:
    """One output file, by its path under the run's outputs (as `outputs.files` lists it)."""
    return output_response(await runs.output_file(caller, run_id, path), path)


@router.post("/{run_id}/download-links", status_code=status.HTTP_201_CREATED, responses=NOT_FOUND)
async def create_download_link(
    run_id: str,
    wanted: DownloadLinkRequest,
    runs: RunsDep,
    caller: CurrentUser,
    authenticator: AuthenticatorDep,
) -> DownloadLink:
    """A URL that downloads one output file without an Authorization header, for a browser to
    navigate to; it works for 2 minutes, for the caller alone (GET /downloads/{token})."""
    run, _ = await runs.output_uri(caller, run_id, wanted.path)
    token, expires_at = authenticator.download_links.issue(caller, run.id, wanted.path)
    return DownloadLink(url=f"/downloads/{token}", expires_at=expires_at)
