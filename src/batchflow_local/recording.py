"""What the Batch scheduler and the Logs backend report to whoever keeps their state.

These do nothing; the persistence journals (`persistence/`) override them when the local AWS
keeps its state on disk."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .batch_models import Job
    from .logs import LogEvent, LogGroup, LogStream


class JobRecorder:
    def job_changed(self, job: "Job") -> None:
        """The job was submitted, changed status, ended an attempt or got new tags."""

    def process_started(self, job: "Job", pid: int) -> None:
        """An attempt of the job runs as the process group `pid`."""

    def process_ended(self, job: "Job") -> None:
        """The attempt's process group is gone."""


class LogRecorder:
    def group_created(self, group: "LogGroup") -> None:
        pass

    def stream_created(self, group: "LogGroup", stream: "LogStream") -> None:
        pass

    def event_added(self, stream: "LogStream", event: "LogEvent") -> None:
        pass
