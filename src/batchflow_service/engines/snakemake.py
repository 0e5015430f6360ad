"""The snakemake engine: stage a run to S3, run Snakemake in a Batch head job, follow it.

The head job (`batchflow head`) runs Snakemake with the batchflow executor and publishes the
rule jobs' events to s3://BUCKET/runs/RUN_ID/events.jsonl, which every reconciler pass reads
into the run's tasks. Staging, the head job and restarts are shared with the nextflow engine
(batch_head.py).
"""

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from typing import Any

from batchflow_executor.joblogs import DEFAULT_LOG_GROUP, read_log
from batchflow_executor.jobspec import run_job_prefix

from ..head import HeadJob
from ..models import Run, Task
from ..states import RunState
from .batch_head import BatchHeadEngine

EVENT_STATES = {
    "submitted": RunState.QUEUED,
    "running": RunState.RUNNING,
    "succeeded": RunState.COMPLETE,
    "failed": RunState.EXECUTOR_ERROR,
}
IGNORED_OUTPUTS = (".snakemake", "snakemake-workflow-sources")


def _from_ms(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, UTC) if value else None


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
            storage_prefix=self.storage_prefix(run.id).uri,
            run_id=run.id,
            task_queue=settings.task_queue,
            task_image=settings.task_image,
            jobs=settings.max_jobs,
            snakefile=self._entry_of(run),
            task_role=settings.task_role,
            execution_role=settings.execution_role,
        ).cli_command()

    # Tasks: the events the head job publishes

    def _read_events(self, run: Run) -> list[dict[str, Any]]:
        prefix = self.prefix(run.id)
        try:
            body = self._s3.get_object(Bucket=prefix.bucket, Key=prefix.key("events.jsonl"))
        except self._s3.exceptions.NoSuchKey:
            return []
        events = []
        for line in body["Body"].read().decode().splitlines():
            with contextlib.suppress(ValueError):
                events.append(json.loads(line))
        return events

    async def _collect_tasks(self, run: Run) -> None:
        latest: dict[str, dict[str, Any]] = {}
        for event in await asyncio.to_thread(self._read_events, run):
            if event.get("event") in EVENT_STATES and event.get("batch_job_id"):
                merged = {**latest.get(event["batch_job_id"], {}), **event}
                latest[event["batch_job_id"]] = merged
        for job_id, event in latest.items():
            await self._store.upsert_task(
                Task(
                    id=job_id,
                    run_id=run.id,
                    name=str(event.get("rule", "?")),
                    state=EVENT_STATES[event["event"]],
                    attempt=int(event.get("attempt", 1)),
                    wildcards={str(k): str(v) for k, v in (event.get("wildcards") or {}).items()},
                    batch_job_id=job_id,
                    exit_code=event.get("exit_code"),
                    reason=event.get("status_reason"),
                    log_stream=event.get("log_stream"),
                    started_at=_from_ms(event.get("started_at")),
                    ended_at=_from_ms(event.get("stopped_at")),
                )
            )

    def _outputs(self, run: Run) -> dict[str, Any]:
        """Copies the files the run kept (Snakemake has deleted its `temp()` files) from the
        expiring storage prefix to the run's `results/`, and lists them there."""
        work = self.storage_prefix(run.id)
        results = self.prefix(run.id).child("results")
        files = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=work.bucket, Prefix=work.key("")
        ):
            for item in page.get("Contents", []):
                relative = item["Key"][len(work.key("")) :]
                if relative.startswith(IGNORED_OUTPUTS):
                    continue
                source = {"Bucket": work.bucket, "Key": item["Key"]}
                self._s3.copy(source, results.bucket, results.key(relative))
                files.append(f"s3://{results.bucket}/{results.key(relative)}")
        return {"prefix": f"{results.uri}/", "files": files}

    def _named_job_ids(self, run: Run) -> list[str]:
        """The run's rule jobs in the task queue, by their `bf-<run id>-` names."""
        ids: list[str] = []
        token: str | None = None
        while True:
            page = self._call(
                f"ListJobs for run {run.id}",
                self._batch.list_jobs,
                jobQueue=self._settings.task_queue,
                filters=[{"name": "JOB_NAME", "values": [f"{run_job_prefix(run.id)}*"]}],
                **({"nextToken": token} if token else {}),
            )
            ids += [summary["jobId"] for summary in page["jobSummaryList"]]
            token = page.get("nextToken")
            if not token:
                return ids

    async def task_log(self, task: Task) -> list[str]:
        if not task.log_stream:
            return []
        return await asyncio.to_thread(
            read_log, self._logs, self._call, DEFAULT_LOG_GROUP, task.log_stream
        )
