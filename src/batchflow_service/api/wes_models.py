"""GA4GH WES 1.1 response shapes (the spec: tests/service/ga4gh-wes-1.1.0.openapi.yaml)."""

from typing import Any

from pydantic import BaseModel, Field

from ..states import RunState


class WesError(BaseModel):
    msg: str
    status_code: int


class RunId(BaseModel):
    run_id: str


class RunStatus(BaseModel):
    run_id: str
    state: RunState


class RunSummary(RunStatus):
    start_time: str | None = None
    end_time: str | None = None
    tags: dict[str, str]


class RunListResponse(BaseModel):
    runs: list[RunSummary]
    next_page_token: str


class WesRunRequest(BaseModel):
    workflow_params: dict[str, Any] = Field(default_factory=dict)
    workflow_type: str
    workflow_type_version: str
    tags: dict[str, str] = Field(default_factory=dict)
    workflow_engine_parameters: dict[str, str] = Field(default_factory=dict)
    workflow_engine: str | None = None
    workflow_engine_version: str | None = None
    workflow_url: str


class Log(BaseModel):
    name: str | None = None
    cmd: list[str] | None = None
    start_time: str | None = None
    end_time: str | None = None
    stdout: str | None = Field(None, description="A URL to fetch the output from")
    stderr: str | None = Field(None, description="A URL to fetch the error output from")
    exit_code: int | None = None
    system_logs: list[str] | None = None


class TaskLog(Log):
    id: str
    name: str
    tes_uri: str | None = None


class TaskListResponse(BaseModel):
    task_logs: list[TaskLog]
    next_page_token: str


class RunLog(BaseModel):
    run_id: str
    request: WesRunRequest
    state: RunState
    run_log: Log
    task_logs_url: str
    outputs: dict[str, Any]


class ServiceType(BaseModel):
    group: str
    artifact: str
    version: str


class Organization(BaseModel):
    name: str
    url: str


class WorkflowTypeVersion(BaseModel):
    workflow_type_version: list[str]


class WorkflowEngineVersion(BaseModel):
    workflow_engine_version: list[str]


class DefaultWorkflowEngineParameter(BaseModel):
    name: str
    type: str
    default_value: str


class ServiceInfo(BaseModel):
    id: str
    name: str
    type: ServiceType
    description: str
    organization: Organization
    version: str
    workflow_type_versions: dict[str, WorkflowTypeVersion]
    supported_wes_versions: list[str]
    supported_filesystem_protocols: list[str]
    workflow_engine_versions: dict[str, WorkflowEngineVersion]
    default_workflow_engine_parameters: list[DefaultWorkflowEngineParameter]
    system_state_counts: dict[str, int]
    auth_instructions_url: str
    tags: dict[str, str]
