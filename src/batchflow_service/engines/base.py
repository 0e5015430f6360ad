"""What every engine offers the service."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from ..attachments import Attachment
from ..models import Run, RunRequest, Task

Stream = Literal["stdout", "stderr"]


class EngineError(ValueError):
    """A run request this engine cannot accept; the message says why (HTTP 400)."""


@dataclass(frozen=True)
class OutputFile:
    """An output file's content as chunks, or a URL that serves it (a presigned S3 URL)."""

    size: int | None = None
    chunks: Iterator[bytes] | None = None
    redirect_url: str | None = None


class Engine(Protocol):
    name: str

    def check_request(self, request: RunRequest, attachments: list[Attachment]) -> dict[str, Any]:
        """The run's parameters, validated and normalised; raises EngineError."""
        ...

    async def launch(self, run: Run, attachments: list[Attachment]) -> None: ...

    async def cancel(self, run: Run) -> None: ...

    async def reconcile(self, runs: list[Run]) -> None:
        """Brings these active runs of this engine in line with where their work really is."""
        ...

    async def recover(self) -> None:
        """Finds runs that are in flight but not in the store (after a restart)."""
        ...

    async def run_log(self, run: Run, token: str | None) -> tuple[list[str], str | None]:
        """Log lines the engine keeps outside the store (shown after the store's own):
        those after `token` (all, if None), and the token to read on from."""
        ...

    async def engine_stream(self, run: Run, stream: Stream) -> list[str]:
        """The workflow engine's own standard output or error, kept apart (empty where the run
        started no workflow engine process)."""
        ...

    async def workflow_files(self, run: Run) -> list[Attachment]:
        """The files an uploaded workflow was run from, as they were staged (for a resume)."""
        ...

    async def task_log(self, task: Task) -> list[str]: ...

    async def open_output(self, uri: str) -> OutputFile:
        """One of the URIs a run's outputs list."""
        ...

    async def close(self) -> None: ...
