"""The local AWS's state directory, `<workdir>/state`: taken for as long as one local AWS
runs on it, read back at start, written as the local AWS changes."""

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from moto.s3.models import S3Backend

from ..config import LocalAwsConfig
from ..scheduler import LOCAL_AWS_STOPPED
from ..state_dir import FileLock
from .batch_journal import BatchJournal
from .database import StateError
from .logs_journal import LogsJournal
from .orphans import end_orphans
from .s3_changes import Change, RecordingApp, WsgiApp, install_hooks
from .s3_store import S3Store

if TYPE_CHECKING:
    from ..app import LocalAws

log = logging.getLogger(__name__)


def state_directory(config: LocalAwsConfig) -> Path | None:
    """Where `config` keeps its state; None when it keeps none (`persist` off, or a scratch
    work directory that is removed at stop anyway)."""
    if not (config.persist and config.keep_workdir):
        return None
    return Path(config.workdir) / "state"


class LocalState:
    def __init__(self, directory: Path, s3_backend: Callable[[], S3Backend]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)  # the S3 bodies, logs and jobs kept here are the user's alone
        lock = FileLock.try_acquire(directory / "lock")
        if lock is None:
            raise StateError(
                f"the work directory {directory.parent} is in use by another batchflow local "
                f"(pid {FileLock.holder(directory / 'lock')}); stop that one, or pass another "
                "--workdir"
            )
        self._lock = lock
        self.directory = directory
        self._s3_backend = s3_backend
        try:
            self.batch = BatchJournal(directory)
            self.logs = LogsJournal(directory)
            self.s3 = S3Store(directory)
        except BaseException:
            lock.release()
            raise
        install_hooks()

    def recording_s3(self, app: WsgiApp) -> RecordingApp:
        """moto's S3 application, with every change it makes kept before it answers."""
        return RecordingApp(app, self.keep_s3)

    def keep_s3(self, changes: set[Change]) -> None:
        self.s3.keep(self._s3_backend(), changes)

    def restore(self, local: "LocalAws") -> None:
        """Ends job processes a killed predecessor left running, loads what it kept, and
        from then on records every change."""
        ended = end_orphans(self.batch.recorded_processes())
        interrupted = self.batch.restore(
            local.resources, local.jobs, local.scheduler, LOCAL_AWS_STOPPED
        )
        events = self.logs.restore(local.logs)
        objects = self.s3.restore(self._s3_backend())
        local.scheduler.recorder = self.batch
        local.logs.recorder = self.logs
        log.info(
            "state from %s: %d jobs (%d were active and are now FAILED; %d processes ended), "
            "%d log events, %d S3 objects",
            self.directory,
            len(local.jobs.jobs),
            len(interrupted),
            len(ended),
            events,
            objects,
        )

    def close(self) -> None:
        try:
            self.batch.close()
            self.logs.close()
            self.s3.close()
        finally:
            self._lock.release()
