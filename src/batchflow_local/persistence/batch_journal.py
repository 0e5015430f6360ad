"""Batch resources, jobs and running job processes, written as they change and read back at
start, when jobs that were still active become FAILED."""

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..batch_jobs import BATCH_ARN
from ..batch_models import Attempt, Job, now_ms
from ..recording import JobRecorder
from . import batch_records as records
from .buffered import TurnBuffered
from .database import open_database, transaction
from .orphans import ProcessIdentity, identify

if TYPE_CHECKING:
    from ..batch_jobs import BatchJobs
    from ..batch_resources import BatchResources
    from ..scheduler import JobScheduler

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE resources (kind TEXT, name TEXT, record TEXT NOT NULL, PRIMARY KEY (kind, name));
CREATE TABLE jobs (job_id TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE processes (
    job_id TEXT PRIMARY KEY, pid INTEGER NOT NULL, start_ticks INTEGER NOT NULL,
    boot_id TEXT NOT NULL
)
"""
VERSION = 1
RESOURCE_OPERATIONS = frozenset(
    {
        "CreateComputeEnvironment",
        "CreateJobQueue",
        "RegisterJobDefinition",
        "DeregisterJobDefinition",
        "TagResource",
        "UntagResource",
    }
)
TAG_OPERATIONS = frozenset({"TagResource", "UntagResource"})
STARTED = ("STARTING", "RUNNING")


class BatchJournal(TurnBuffered, JobRecorder):
    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.database = open_database(directory / "batch.sqlite3", SCHEMA, VERSION)
        self._jobs: dict[str, Job] = {}
        self._started: dict[str, ProcessIdentity] = {}
        self._ended: set[str] = set()

    # What the scheduler reports

    def job_changed(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.job_id] = job
        self._schedule()

    def process_started(self, job: Job, pid: int) -> None:
        identity = identify(pid)
        if identity is None:
            return
        with self._lock:
            self._ended.discard(job.job_id)
            self._started[job.job_id] = identity
        self._schedule()

    def process_ended(self, job: Job) -> None:
        with self._lock:
            self._started.pop(job.job_id, None)
            self._ended.add(job.job_id)
        self._schedule()

    def _write(self) -> None:
        jobs, started, ended = self._jobs, self._started, self._ended
        if not (jobs or started or ended):
            return
        self._jobs, self._started, self._ended = {}, {}, set()
        with transaction(self.database):
            self.database.executemany(
                "INSERT INTO jobs VALUES (?, ?) ON CONFLICT (job_id) DO UPDATE SET record = "
                "excluded.record",
                [(job_id, json.dumps(records.job_record(job))) for job_id, job in jobs.items()],
            )
            self.database.executemany(
                "DELETE FROM processes WHERE job_id = ?", [(job_id,) for job_id in ended]
            )
            self.database.executemany(
                "INSERT OR REPLACE INTO processes VALUES (?, ?, ?, ?)",
                [(job_id, p.pid, p.start_ticks, p.boot_id) for job_id, p in started.items()],
            )

    # What the API changes

    def save_resources(self, resources: "BatchResources") -> None:
        rows = [
            ("compute-environment", name, records.compute_environment_record(ce))
            for name, ce in resources.compute_environments.items()
        ]
        rows += [
            ("job-queue", name, records.queue_record(q)) for name, q in resources.queues.items()
        ]
        rows += [
            ("job-definition", f"{d.name}:{d.revision}", records.definition_record(d))
            for revisions in resources.definitions.values()
            for d in revisions
        ]
        with self._lock, transaction(self.database):
            self.database.executemany(
                "INSERT OR REPLACE INTO resources VALUES (?, ?, ?)",
                [(kind, name, json.dumps(record)) for kind, name, record in rows],
            )

    def after_call(
        self, operation: str, params: dict[str, Any], resources: "BatchResources", jobs: "BatchJobs"
    ) -> None:
        """Before a Batch API call answers: what it changed is written."""
        if operation in RESOURCE_OPERATIONS:
            self.save_resources(resources)
        if operation in TAG_OPERATIONS:
            tagged = BATCH_ARN.fullmatch(params["resourceArn"])
            if tagged and tagged.group(1) == "job" and tagged.group(2) in jobs.jobs:
                self.job_changed(jobs.jobs[tagged.group(2)])
        self.flush()

    # Start

    def recorded_processes(self) -> dict[str, ProcessIdentity]:
        """The job processes that were running when the last local AWS on this state ended."""
        rows = self.database.execute("SELECT job_id, pid, start_ticks, boot_id FROM processes")
        return {job_id: ProcessIdentity(pid, ticks, boot) for job_id, pid, ticks, boot in rows}

    def restore(
        self,
        resources: "BatchResources",
        jobs: "BatchJobs",
        scheduler: "JobScheduler",
        interrupted_reason: str,
    ) -> list[Job]:
        """Loads resources and jobs; every job that was still active is FAILED with
        `interrupted_reason`. Returns those jobs."""
        self._restore_resources(resources)
        queues = {queue.name: queue for queue in resources.queues.values()}
        definitions = {d.arn: d for revisions in resources.definitions.values() for d in revisions}
        interrupted = []
        for job_id, text in self.database.execute("SELECT * FROM jobs ORDER BY rowid").fetchall():
            try:
                job = records.job_from(json.loads(text), queues, definitions, jobs.jobs)
            except (KeyError, TypeError, ValueError) as error:
                log.error("skipped the record of job %s, which cannot be read: %r", job_id, error)
                continue
            jobs.jobs[job.job_id] = job
            if job.parent is None:
                jobs.jobs_by_queue.setdefault(job.queue.arn, []).append(job)
            if not job.is_final:
                end_interrupted(job, interrupted_reason)
                interrupted.append(job)
            if job.status == "FAILED":
                scheduler.failed_ids.add(job.job_id)
        for job in interrupted:
            self.job_changed(job)
        self.flush()
        self.database.execute("DELETE FROM processes")
        return interrupted

    def _restore_resources(self, resources: "BatchResources") -> None:
        rows = self.database.execute("SELECT kind, record FROM resources").fetchall()
        loaded = [(kind, json.loads(text)) for kind, text in rows]
        for kind, record in loaded:
            if kind == "compute-environment":
                environment = records.compute_environment_from(record, resources.config.memory_mib)
                resources.compute_environments[environment.name] = environment
        for kind, record in loaded:
            if kind == "job-queue":
                queue = records.queue_from(record, resources.compute_environments)
                resources.queues[queue.name] = queue
        definitions = [records.definition_from(r) for kind, r in loaded if kind == "job-definition"]
        for definition in sorted(definitions, key=lambda d: (d.name, d.revision)):
            resources.definitions.setdefault(definition.name, []).append(definition)

    def _close(self) -> None:
        self.database.close()


def end_interrupted(job: Job, reason: str) -> None:
    """FAILED as of now; an attempt that had started ends too, with no exit code."""
    now = now_ms()
    if job.status in STARTED:
        job.attempts.append(
            Attempt(
                started_at=job.started_at if job.status == "RUNNING" else None,
                stopped_at=now,
                status_reason=reason,
                exit_code=None,
                reason=None,
                log_stream_name=job.log_stream_name,
                task_arn=job.task_arn or "",
            )
        )
    job.status, job.status_reason, job.stopped_at = "FAILED", reason, now
    job.exit_code = job.reason = None
