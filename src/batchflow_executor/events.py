"""Task events: what the executor writes, one JSON line each, and the run service reads back.

The head job publishes the file to the run's S3 prefix; the service validates each line
against this same dataclass (pydantic reads dataclasses), so both sides share one shape.
"""

import json
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from snakemake_interface_executor_plugins.jobs import (
    GroupJobExecutorInterface,
    JobExecutorInterface,
)

TaskEventName = Literal["submitted", "running", "succeeded", "failed"]


@dataclass(frozen=True)
class GroupMember:
    """One rule job that ran inside a job group's Batch job."""

    rule: str
    jobid: int
    wildcards: dict[str, str] = field(default_factory=dict)


def _wildcards(job: Any) -> dict[str, str]:
    wildcards = getattr(job, "wildcards", None)
    return {str(k): str(v) for k, v in wildcards.items()} if wildcards else {}


@dataclass(frozen=True)
class TaskEvent:
    event: TaskEventName
    run_id: str
    batch_job_id: str
    rule: str
    """A job group's is Snakemake's name for it: the group id and its rules' names."""
    jobid: int | str
    """A job group's is a UUID."""
    attempt: int = 1
    wildcards: dict[str, str] = field(default_factory=dict)
    group: str | None = None
    group_jobs: list[GroupMember] = field(default_factory=list)
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    queue: str | None = None
    name: str | None = None
    log_stream: str | None = None
    status_reason: str | None = None
    exit_code: int | None = None
    attempts: int | None = None
    started_at: int | None = None
    """Epoch milliseconds, as AWS Batch reports them."""
    stopped_at: int | None = None

    @classmethod
    def of_job(
        cls,
        event: TaskEventName,
        job: JobExecutorInterface,
        run_id: str,
        batch_job_id: str,
        **fields: Any,
    ) -> "TaskEvent":
        """The event of a Snakemake job, or of a job group with the rule jobs it ran."""
        if isinstance(job, GroupJobExecutorInterface):
            members: list[Any] = sorted(job.jobs, key=lambda member: getattr(member, "jobid", 0))
            fields["group"] = job.groupid
            fields["group_jobs"] = [
                GroupMember(member.name, member.jobid, _wildcards(member)) for member in members
            ]
        else:
            fields["wildcards"] = _wildcards(job)
        return cls(
            event=event,
            run_id=run_id,
            batch_job_id=batch_job_id,
            rule=job.name,
            jobid=job.jobid,
            attempt=job.attempt,
            **fields,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=datetime.isoformat, sort_keys=True)


class EventLog:
    """Appends events to a file; with no file, events are dropped."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, event: TaskEvent) -> None:
        if self._path is None:
            return
        with self._lock, self._path.open("a", encoding="utf-8") as stream:
            stream.write(event.to_json() + "\n")
