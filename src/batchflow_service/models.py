"""What the service stores and shows: runs, their tasks, and the requests that create them."""

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .states import RunState
from .storable import check_storable

Engine = Literal["snakemake", "nextflow", "mock"]
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
MAX_TAGS = 50


def utcnow() -> datetime:
    return datetime.now(UTC)


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workflow: str = Field(
        min_length=1,
        max_length=2048,
        description="A catalog workflow's name (a folder of workflows/) or a workflow URL",
    )
    engine: Engine = "snakemake"
    params: dict[str, Any] = Field(default_factory=dict, description="Workflow parameters")
    tags: dict[str, str] = Field(default_factory=dict, max_length=MAX_TAGS)
    name: str | None = Field(default=None, pattern=NAME_PATTERN)

    @model_validator(mode="after")
    def _storable(self) -> "RunRequest":
        check_storable(self.model_dump(), "")
        return self


class ResumeRequest(BaseModel):
    """What a resumed run changes; everything else is the old run's."""

    model_config = ConfigDict(extra="forbid")

    params: dict[str, Any] = Field(
        default_factory=dict,
        description="Workflow parameters to change: each replaces the old run's value of that "
        "name; the others keep theirs",
    )
    tags: dict[str, str] = Field(
        default_factory=dict,
        max_length=MAX_TAGS,
        description="Tags to add to (or change in) the old run's",
    )
    name: str | None = Field(
        default=None, pattern=NAME_PATTERN, description="The new run's name; default: the old"
    )


class Run(BaseModel):
    id: str
    name: str | None = None
    workflow: str
    engine: Engine
    params: dict[str, Any] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    owner: str | None = Field(default=None, description="The user who submitted the run")
    state: RunState = RunState.QUEUED
    reason: str | None = Field(default=None, description="Why the run failed or was canceled")
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    outputs: dict[str, Any] = Field(default_factory=dict)
    head_job_id: str | None = Field(
        default=None, description="The Batch job running Snakemake or Nextflow"
    )
    uploaded: bool = Field(
        default=False, description="The workflow came as uploaded files, not from the catalog"
    )
    request: dict[str, Any] = Field(
        default_factory=dict, description="The request as a WES client sent it, if one did"
    )
    weblog_token_sha256: str | None = Field(
        default=None,
        exclude=True,
        description="SHA-256 of the secret a Nextflow run's weblog events must carry; "
        "stored, never shown",
    )
    resumed_from: str | None = Field(
        default=None, description="The run this run resumes (POST /runs/{id}/resume), if any"
    )
    reuses_work_of: str | None = Field(
        default=None,
        description="The run whose work prefix (s3://BUCKET/work/RUN_ID/) this resumed run's "
        "workflow engine reuses: the first run of the chain of resumes",
    )

    @property
    def work_id(self) -> str:
        """The run id that names this run's work prefix."""
        return self.reuses_work_of or self.id


def dump_stored(model: BaseModel, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
    """Every field of a model as a store keeps it, including those no response shows."""
    hidden = {name for name, field in type(model).model_fields.items() if field.exclude}
    return model.model_dump(mode=mode) | {name: getattr(model, name) for name in hidden}


class Task(BaseModel):
    id: str
    run_id: str
    name: str = Field(description="The rule (or step) the task runs")
    state: RunState
    attempt: int = 1
    wildcards: dict[str, str] = Field(default_factory=dict)
    batch_job_id: str | None = None
    exit_code: int | None = None
    reason: str | None = None
    log_stream: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    ended_at: datetime | None = None


class RunPage(BaseModel):
    runs: list[Run]
    next_page_token: str = Field(description="Empty on the last page")


class TaskPage(BaseModel):
    tasks: list[Task]
    next_page_token: str = Field(description="Empty on the last page")


class LogPage(BaseModel):
    lines: list[str]
    next_offset: int = Field(description="Ask for offset=next_offset to read on")
    complete: bool = Field(description="True once the run has ended and every line is here")


class ErrorResponse(BaseModel):
    msg: str = Field(description="What was wrong, and what to do about it")
    status_code: int


class CatalogWorkflow(BaseModel):
    name: str
    description: str
    engines: list[Engine]
    tools: list[str] = Field(description="Programs its jobs call, which the job image must have")
    params_schema: dict[str, Any] | None = Field(
        default=None, description="JSON Schema of its params (its config.schema.yaml), if any"
    )


class CatalogPage(BaseModel):
    workflows: list[CatalogWorkflow]


class DownloadLinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(
        min_length=1, max_length=1024, description="The file's path under the run's outputs"
    )


class DownloadLink(BaseModel):
    url: str = Field(description="Relative to the service: GET it, with no Authorization header")
    expires_at: datetime
