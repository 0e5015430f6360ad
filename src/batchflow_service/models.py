"""What the service stores and shows: runs, their tasks, and the requests that create them."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .states import RunState

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
    def _storable_text(self) -> "RunRequest":
        for text in _strings([self.workflow, self.params, self.tags]):
            if "\x00" in text:
                raise ValueError("text may not contain NUL characters")
            try:
                text.encode()
            except UnicodeEncodeError:
                raise ValueError("text may not contain unpaired surrogates") from None
        return self


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


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
