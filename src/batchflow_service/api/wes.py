"""GA4GH WES 1.1 under /ga4gh/wes/v1, over the same runs as the native API."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import ValidationError

from ..auth.identity import Identity
from ..models import ResumeRequest, Run, RunRequest, Task
from ..resume import RESUME_TAG
from ..runs import RunService
from ..settings import Settings
from ..store import RunNotFoundError
from ..version import installed_version
from . import forms, pages
from .deps import CurrentUser, EnginesDep, RunDep, RunsDep, SettingsDep, StoreDep
from .storable_input import SpecifiedInputRoute
from .wes_models import (
    DefaultWorkflowEngineParameter,
    Log,
    Organization,
    RunId,
    RunListResponse,
    RunLog,
    RunStatus,
    RunSummary,
    ServiceInfo,
    ServiceType,
    TaskListResponse,
    TaskLog,
    WesError,
    WesRunRequest,
    WorkflowEngineVersion,
    WorkflowTypeVersion,
)

PREFIX = "/ga4gh/wes/v1"
WORKFLOW_TYPES = {
    "SMK": "snakemake",
    "SNAKEMAKE": "snakemake",
    "NFL": "nextflow",
    "NEXTFLOW": "nextflow",
    "MOCK": "mock",
}
NOT_HERE = {"CWL", "WDL"}
MAX_PAGE_SIZE = 500
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
SNAKEMAKE_VERSION = "9"
NEXTFLOW_VERSION = "24.10.2"  # what infra/cdk/images/nextflow-head.Dockerfile pins (NXF_VER)
# Per engine: (the type WES clients name, its language versions, the engine's versions).
ENGINE_TYPES = {
    "snakemake": ("SMK", [SNAKEMAKE_VERSION], [SNAKEMAKE_VERSION]),
    "nextflow": ("NFL", ["DSL2"], [NEXTFLOW_VERSION]),
    "mock": ("MOCK", ["1"], ["1"]),
}


def _error(status: int, description: str) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": WesError, "description": description}}


NOT_FOUND = _error(404, "The requested run or task was not found")
BAD_REQUEST = _error(400, "The request is malformed")
UNAUTHORIZED = _error(401, "No valid bearer token")
FORBIDDEN = _error(403, "The caller's role does not allow it")
router = APIRouter(prefix=PREFIX, tags=["GA4GH WES 1.1"], route_class=SpecifiedInputRoute)

RUN_FORM = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "workflow_params": {"type": "string", "description": "A JSON object"},
                        "workflow_type": {
                            "type": "string",
                            "description": "SMK (or snakemake), NFL (or nextflow)",
                        },
                        "workflow_type_version": {"type": "string"},
                        "tags": {"type": "string", "description": "A JSON object of strings"},
                        "workflow_engine": {"type": "string"},
                        "workflow_engine_version": {"type": "string"},
                        "workflow_engine_parameters": {"type": "string"},
                        "workflow_url": {
                            "type": "string",
                            "description": "A catalog workflow, or the path of an attachment",
                        },
                        "workflow_attachment": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                        },
                    },
                }
            }
        },
        "required": False,
    }
}


def invalid_request_status(path: str) -> int:
    """WES 1.1 declares 400 only for service-info and /runs; a run's routes declare 404."""
    return 400 if path.rstrip("/") in (f"{PREFIX}/runs", f"{PREFIX}/service-info") else 404


def _time(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _page_size(page_size: int | None, default: int) -> int:
    """WES bounds no page size: none, or one below 1, means the default; above 500, 500."""
    if page_size is None or page_size < 1:
        return default
    return min(page_size, MAX_PAGE_SIZE)


def _engine_of(workflow_type: str | None, workflow_engine: str | None) -> str:
    if not workflow_type:
        raise HTTPException(400, "workflow_type is required (SMK for Snakemake, NFL for Nextflow)")
    kind = workflow_type.upper()
    if kind in NOT_HERE:
        raise HTTPException(
            400,
            f"workflow_type {workflow_type!r} is not supported here; "
            "use SMK (Snakemake) or NFL (Nextflow)",
        )
    engine = WORKFLOW_TYPES.get(kind)
    if engine is None:
        raise HTTPException(400, f"unknown workflow_type {workflow_type[:40]!r}; use SMK or NFL")
    if workflow_engine and workflow_engine.lower() != engine:
        raise HTTPException(
            400, f"workflow_engine {workflow_engine[:40]!r} does not run {workflow_type} workflows"
        )
    return engine


@router.get("/service-info", response_model_exclude_none=True)
async def get_service_info(
    request: Request, store: StoreDep, engines: EnginesDep, settings: SettingsDep
) -> ServiceInfo:
    """Open to anyone: what this service runs, and how to authenticate to it."""
    base = public_base(request, settings)
    counts = {state.value: count for state, count in (await store.state_counts()).items()}
    enabled = [name for name in ENGINE_TYPES if name in engines]
    return ServiceInfo(
        id="org.batchflow.wes",
        name="batchflow",
        type=ServiceType(group="org.ga4gh", artifact="wes", version="1.1.0"),
        description="Snakemake and Nextflow workflows on AWS Batch",
        organization=Organization(name="batchflow", url=f"{base}/"),
        version=installed_version(),
        workflow_type_versions={
            kind: WorkflowTypeVersion(workflow_type_version=ENGINE_TYPES[engine][1])
            for kind, engine in WORKFLOW_TYPES.items()
            if engine in enabled
        },
        supported_wes_versions=["1.1.0"],
        supported_filesystem_protocols=["s3"],
        workflow_engine_versions={
            name: WorkflowEngineVersion(workflow_engine_version=ENGINE_TYPES[name][2])
            for name in sorted(enabled)
        },
        default_workflow_engine_parameters=[
            DefaultWorkflowEngineParameter(name="jobs", type="int", default_value="20")
        ],
        system_state_counts=counts,
        auth_instructions_url=f"{base}/docs#/auth",
        tags={"auth": settings.auth, "token_url": f"{base}/auth/token"},
    )


@router.get("/runs", responses={**BAD_REQUEST, **UNAUTHORIZED}, response_model_exclude_none=True)
async def list_runs(
    service: RunsDep,
    caller: CurrentUser,
    page_size: Annotated[int | None, Query(ge=INT64_MIN, le=INT64_MAX)] = None,
    page_token: Annotated[str | None, Query()] = None,
) -> RunListResponse:
    runs, token = await service.list_runs(caller, _page_size(page_size, 50), page_token)
    return RunListResponse(
        runs=[
            RunSummary(
                run_id=run.id,
                state=run.state,
                start_time=_time(run.started_at),
                end_time=_time(run.ended_at),
                tags=wes_tags(run),
            )
            for run in runs
        ],
        next_page_token=token,
    )


@router.post(
    "/runs", responses={**BAD_REQUEST, **UNAUTHORIZED, **FORBIDDEN}, openapi_extra=RUN_FORM
)
async def run_workflow(request: Request, runs: RunsDep, caller: CurrentUser) -> RunId:
    form = await forms.read_form(request, "RunWorkflow")
    try:
        workflow_type = forms.text(form, "workflow_type")
        engine = _engine_of(workflow_type, forms.text(form, "workflow_engine"))
        workflow_url = forms.text(form, "workflow_url")
        if not workflow_url:
            raise HTTPException(400, "workflow_url is required")
        attachments = await forms.files(request, form, "workflow_attachment")
        wes_request = WesRunRequest(
            workflow_params=forms.json_object(form, "workflow_params"),
            workflow_type=workflow_type or "",
            workflow_type_version=forms.text(form, "workflow_type_version") or "",
            tags={str(k): str(v) for k, v in forms.json_object(form, "tags").items()},
            workflow_engine_parameters={
                str(k): str(v)
                for k, v in forms.json_object(form, "workflow_engine_parameters").items()
            },
            workflow_engine=forms.text(form, "workflow_engine"),
            workflow_engine_version=forms.text(form, "workflow_engine_version"),
            workflow_url=workflow_url,
        )
    finally:
        await form.close()
    resumed = wes_request.tags.get(RESUME_TAG)
    if resumed is not None:
        run = await _resume(runs, caller, resumed, wes_request, engine, bool(attachments))
        return RunId(run_id=run.id)
    try:
        run_request = RunRequest(
            workflow=workflow_url,
            engine=engine,
            params=wes_request.workflow_params,
            tags=wes_request.tags,
        )
    except ValidationError as error:
        raise HTTPException(400, f"invalid run request: {error.errors()[0]['msg']}") from None
    run = await runs.submit(caller, run_request, attachments, wes_request.model_dump())
    return RunId(run_id=run.id)


async def _resume(
    runs: RunService,
    caller: Identity,
    run_id: str,
    wes_request: WesRunRequest,
    engine: str,
    attached: bool,
) -> Run:
    """RunWorkflow with tag batchflow:resume_from=RUN_ID: a resume of that run (resume.py),
    with the request's workflow_params changing the old run's."""
    if attached:
        raise HTTPException(
            400,
            f"tag {RESUME_TAG} resumes run {run_id[:64]} with its own workflow files; send no "
            "workflow_attachment",
        )
    try:
        changes = ResumeRequest(params=wes_request.workflow_params, tags=wes_request.tags)
        return await runs.resume(
            caller,
            run_id,
            changes,
            wes_request.model_dump(),
            workflow=(engine, wes_request.workflow_url),
        )
    except ValidationError as error:
        raise HTTPException(400, f"invalid resume request: {error.errors()[0]['msg']}") from None
    except RunNotFoundError:
        raise HTTPException(
            400, f"tag {RESUME_TAG} names run {run_id[:64]!r}, which is not one you may see"
        ) from None


def wes_tags(run: Run) -> dict[str, str]:
    """A run's tags as WES shows them: a resumed run's carry the run it resumes."""
    if run.resumed_from is None:
        return run.tags
    return run.tags | {RESUME_TAG: run.resumed_from}


def public_base(request: Request, settings: Settings) -> str:
    """Where clients reach this service: the configured public URL, else the Host the
    request named (which the Host check has already limited to this service's own names)."""
    return settings.public_url or str(request.base_url).rstrip("/")


@router.get(
    "/runs/{run_id}", responses={**NOT_FOUND, **UNAUTHORIZED}, response_model_exclude_none=True
)
async def get_run_log(run: RunDep, request: Request, settings: SettingsDep) -> RunLog:
    base = public_base(request, settings)
    return RunLog(
        run_id=run.id,
        request=_original_request(run),
        state=run.state,
        run_log=Log(
            name=run.workflow,
            start_time=_time(run.started_at),
            end_time=_time(run.ended_at),
            stdout=f"{base}/runs/{run.id}/logs/stdout?format=text",
            stderr=f"{base}/runs/{run.id}/logs/stderr?format=text",
            system_logs=[run.reason] if run.reason else [],
        ),
        task_logs_url=f"{base}{PREFIX}/runs/{run.id}/tasks",
        outputs=run.outputs,
    )


def _original_request(run: Run) -> WesRunRequest:
    if run.request:
        return WesRunRequest.model_validate(run.request)
    kind, type_versions, _ = ENGINE_TYPES[run.engine]
    return WesRunRequest(
        workflow_params=run.params,
        workflow_type=kind,
        workflow_type_version=type_versions[0],
        tags=wes_tags(run),
        workflow_engine=run.engine,
        workflow_url=run.workflow,
    )


@router.get("/runs/{run_id}/status", responses={**NOT_FOUND, **UNAUTHORIZED})
async def get_run_status(run: RunDep) -> RunStatus:
    return RunStatus(run_id=run.id, state=run.state)


def _task_log(base: str, task: Task) -> TaskLog:
    """A task's log is its Batch job's CloudWatch stream, where the job's stdout and stderr are
    one: `stdout` serves it, and `stderr` is null, as no stream of the job's stderr alone is
    kept."""
    return TaskLog(
        id=task.id,
        name=task.name,
        start_time=_time(task.started_at),
        end_time=_time(task.ended_at),
        stdout=f"{base}/runs/{task.run_id}/tasks/{task.id}/logs?format=text",
        stderr=None,
        exit_code=task.exit_code,
        system_logs=[task.reason] if task.reason else [],
    )


@router.get(
    "/runs/{run_id}/tasks",
    responses={**NOT_FOUND, **UNAUTHORIZED},
    response_model_exclude_none=True,
)
async def list_tasks(
    run_id: str,
    request: Request,
    runs: RunsDep,
    caller: CurrentUser,
    settings: SettingsDep,
    page_size: Annotated[int | None, Query(ge=INT64_MIN, le=INT64_MAX)] = None,
    page_token: Annotated[str | None, Query()] = None,
) -> TaskListResponse:
    try:
        tasks, token = await runs.tasks(caller, run_id, _page_size(page_size, 100), page_token)
    except pages.BadPageTokenError as error:
        raise HTTPException(404, str(error)) from None
    base = public_base(request, settings)
    return TaskListResponse(task_logs=[_task_log(base, t) for t in tasks], next_page_token=token)


@router.get(
    "/runs/{run_id}/tasks/{task_id}",
    responses={**NOT_FOUND, **UNAUTHORIZED},
    response_model_exclude_none=True,
)
async def get_task(
    run_id: str,
    task_id: str,
    request: Request,
    runs: RunsDep,
    caller: CurrentUser,
    settings: SettingsDep,
) -> TaskLog:
    task = await runs.task(caller, run_id, task_id)
    return _task_log(public_base(request, settings), task)


@router.post("/runs/{run_id}/cancel", responses={**NOT_FOUND, **UNAUTHORIZED, **FORBIDDEN})
async def cancel_run(run_id: str, runs: RunsDep, caller: CurrentUser) -> RunId:
    """Cancels the run; a run that has already ended is left as it is."""
    run = await runs.cancel(caller, run_id, ended_ok=True)
    return RunId(run_id=run.id)
