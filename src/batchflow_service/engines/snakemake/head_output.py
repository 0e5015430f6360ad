"""Snakemake's output as the head job passes it on: each stream copied line by line to the head's
own (CloudWatch keeps them, merged, as the run's log) and to a file of its own (published to
S3 as the run's stdout and stderr), with the head's scratch paths written as the user can read
them.

The head job's folder is gone when the job ends: `/…/attempt-1/workflow/Snakefile` is written
`Snakefile` (relative to the workflow, as the user wrote it), and Snakemake's closing
`Complete log(s): /…/.snakemake/log/….snakemake.log`, a copy of what this log already holds,
names the run's log instead.
"""

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

COMPLETE_LOG = re.compile(r"^Complete log(\(s\))?: ")


class ScratchPaths:
    def __init__(self, workflow_folder: Path, run_id: str) -> None:
        folders = {str(workflow_folder.absolute()), str(workflow_folder.resolve())}
        alternatives = "|".join(re.escape(folder) for folder in sorted(folders, key=len)[::-1])
        self._folder = re.compile(rf"(?:{alternatives})(?P<end>/|(?![\w.-]))")
        self._complete_log = (
            f"Complete log: this run's log (GET /runs/{run_id}/logs, or "
            f"`batchflow runs logs {run_id}`)"
        )

    def rewrite(self, line: str) -> str:
        if COMPLETE_LOG.match(line):
            return self._complete_log + ("\n" if line.endswith("\n") else "")
        return self._folder.sub(lambda found: "" if found["end"] else ".", line)


class StreamCopy(threading.Thread):
    """Copies a child's output pipe, line by line and rewritten, to `echo` and to `kept`."""

    def __init__(
        self, pipe: IO[bytes], echo: IO[str], kept: Path, rewrite: Callable[[str], str]
    ) -> None:
        super().__init__(daemon=True)
        self._pipe = pipe
        self._echo = echo
        self._kept = kept
        self._rewrite = rewrite

    def run(self) -> None:
        with self._kept.open("a", encoding="utf-8", errors="replace") as kept:
            for raw in iter(self._pipe.readline, b""):
                line = self._rewrite(raw.decode(errors="replace"))
                self._echo.write(line)
                self._echo.flush()
                kept.write(line)
                kept.flush()
