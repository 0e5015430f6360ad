"""The snakemake engine: stage a run to S3, run Snakemake in a Batch head job, follow it.

The head job (`batchflow head`) runs Snakemake with the batchflow executor and publishes the
rule jobs' events to s3://BUCKET/runs/RUN_ID/events.jsonl, which every reconciler pass reads
into the run's tasks (tasks.py). Staging, the head job and restarts are shared with the
nextflow engine (batch_head.py).
"""

import asyncio
import json
from typing import Any

from batchflow_aws.jobnames import run_job_prefix

from ...models import Run, Task
from ..batch_head import BatchHeadEngine
from ..ownership import is_batch_job_id
from .head import HeadJob
from .tasks import EVENT_FILE, parse_events, tasks_from_events

IGNORED_OUTPUTS = (".snakemake", "snakemake-workflow-sources")


class SnakemakeEngine(BatchHeadEngine):
    name = "snakemake"
    label = "Snakemake"
    entry = "Snakefile"

    async def _prepare(self, run: Run) -> tuple[Run, dict[str, bytes]]:
        return run, {"config.json": json.dumps(run.params).encode()}

    def _head_image(self) -> str:
        return self._settings.head_image

    def _head_command(self, run: Run) -> list[str]:
        settings = self._settings
        return HeadJob(
            prefix=self.prefix(run.id).uri,
            storage_prefix=self.staging.storage_prefix(run.work_id).uri,
            run_id=run.id,
            task_queue=settings.task_queue,
            task_image=settings.task_image,
            jobs=settings.max_jobs,
            spot_retries=settings.spot_retries,
            snakefile=self._entry_of(run),
            task_role=settings.task_role,
            execution_role=settings.execution_role,
        ).cli_command()

    # Tasks: the events the head job publishes

    def _read_events(self, run: Run) -> str:
        body = self.staging.read(self.prefix(run.id), EVENT_FILE)
        return (body or b"").decode(errors="replace")

    async def _collect_tasks(self, run: Run) -> None:
        """The head job runs the workflow's code, which can write to the events file: an event
        whose job id is no Batch job id is skipped, and whether a job is the run's own is
        checked before its log is read (task_log)."""
        events = parse_events(await asyncio.to_thread(self._read_events, run))
        for task in tasks_from_events(run.id, events):
            if is_batch_job_id(task.id):
                await self._store.upsert_task(task)

    def _outputs(self, run: Run) -> dict[str, Any]:
        """Copies the files the run kept (Snakemake has deleted its `temp()` files) from the
        expiring storage prefix to the run's `outputs/`, and lists them there. A resumed run's
        prefix holds what the runs before it made too: its outputs are all the workflow's."""
        work = self.staging.storage_prefix(run.work_id)
        outputs = self.staging.outputs_prefix(run.id)
        files = []
        for relative in self.staging.list_files(work):
            if relative.startswith(IGNORED_OUTPUTS):
                continue
            self.staging.copy(work, outputs, relative)
            files.append(f"s3://{outputs.bucket}/{outputs.key(relative)}")
        return {"prefix": f"{outputs.uri}/", "files": files}

    def _named_job_ids(self, run: Run) -> list[str]:
        """The run's rule jobs in the task queue, by their `bf-<run id>-` names."""
        return self._job_ids_named(
            self._settings.task_queue, f"{run_job_prefix(run.id)}*", f"run {run.id}"
        )

    def _task_job_id(self, task: Task) -> str | None:
        """A Snakemake task is its rule job: the task's id is the Batch job's."""
        return task.batch_job_id or task.id
