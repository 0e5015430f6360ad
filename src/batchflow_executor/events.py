"""Task events: what the executor writes, one JSON line each, and the run service reads back.

The head job publishes the file to the run's S3 prefix; the service validates each line
against this same dataclass (pydantic reads dataclasses), so both sides share one shape.
"""

import json
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

TaskEventName = Literal["submitted", "running", "succeeded", "failed"]


@dataclass(frozen=True)
class TaskEvent:
    event: TaskEventName
    run_id: str
    batch_job_id: str
    rule: str
    jobid: int
    attempt: int = 1
    wildcards: dict[str, str] = field(default_factory=dict)
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
