"""The snakemake engine: stage a run to S3, run Snakemake in a Batch head job, follow it.

Everything a run needs survives the service: the workflow, parameters and the run record
are under s3://BUCKET/runs/RUN_ID/, the head job is in Batch, and the head publishes task
events next to them. A restarted service finds its runs again from S3 (`recover`).
"""

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from batchflow_executor.aws import AwsCaller
from batchflow_executor.jobdefs import JobDefinitions
from batchflow_executor.joblogs import DEFAULT_LOG_GROUP, read_log, read_log_from
from batchflow_executor.jobspec import DefinitionSpec, run_job_prefix
from batchflow_executor.queues import QueuePlatforms

from ..attachments import Attachment, AttachmentError, safe_relative_path
from ..head import HeadJob
from ..models import Run, RunRequest, Task
from ..s3paths import S3Prefix
from ..settings import Settings
from ..states import FINAL_STATES, InvalidTransitionError, RunState
from ..store import RunStore
from .base import EngineError

HEAD_STATES = {
    "SUBMITTED": RunState.QUEUED,
    "PENDING": RunState.QUEUED,
    "RUNNABLE": RunState.QUEUED,
    "STARTING": RunState.INITIALIZING,
    "RUNNING": RunState.RUNNING,
}
EVENT_STATES = {
    "submitted": RunState.QUEUED,
    "running": RunState.RUNNING,
    "succeeded": RunState.COMPLETE,
    "failed": RunState.EXECUTOR_ERROR,
}
ACTIVE_JOBS = frozenset({"SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING"})
IGNORED_OUTPUTS = (".snakemake", "snakemake-workflow-sources")


def _from_ms(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, UTC) if value else None


class SnakemakeEngine:
    name = "snakemake"

    def __init__(self, store: RunStore, settings: Settings) -> None:
        import boto3
        from botocore.exceptions import NoRegionError

        self._store = store
        self._settings = settings
        self._call = AwsCaller()
        try:
            self._s3 = boto3.client("s3")
            self._batch = boto3.client("batch")
            self._logs = boto3.client("logs")
        except NoRegionError:
            raise ValueError(
                "the snakemake engine needs an AWS region: set AWS_REGION (or run "
                "`batchflow serve` with its embedded local AWS)"
            ) from None
        self._definitions = JobDefinitions(self._batch, self._call)
        self._platforms = QueuePlatforms(self._batch, self._call)
        self._launches: dict[str, asyncio.Task[None]] = {}
        self._started = datetime.now(UTC)
        self._head_streams: dict[str, str] = {}

    def prefix(self, run_id: str) -> S3Prefix:
        """Where a run's record, workflow, events and results are kept."""
        return S3Prefix(self._settings.bucket, f"runs/{run_id}")

    def storage_prefix(self, run_id: str) -> S3Prefix:
        """Where Snakemake keeps the run's files; the deployed bucket expires `work/`."""
        return S3Prefix(self._settings.bucket, f"work/{run_id}")

    # Accepting and launching a run

    def check_request(self, request: RunRequest, attachments: list[Attachment]) -> dict[str, Any]:
        if attachments:
            try:
                snakefile = safe_relative_path(request.workflow, "workflow_url")
            except AttachmentError as error:
                raise EngineError(str(error)) from None
            if snakefile not in {a.name for a in attachments}:
                raise EngineError(
                    f"workflow_url {request.workflow[:100]!r} is not one of the attached files; "
                    "URLs are not fetched"
                )
        else:
            self._workflow_files(request.workflow)
        encoded = json.dumps(request.params)
        if len(encoded) > self._settings.max_params_bytes:
            raise EngineError(
                f"params take {len(encoded)} bytes as JSON; at most "
                f"{self._settings.max_params_bytes} are accepted"
            )
        return request.params

    def _workflow_files(self, workflow: str) -> list[Path]:
        catalog = self._settings.catalog_dir.resolve()
        names = sorted(p.name for p in catalog.iterdir() if (p / "Snakefile").is_file())
        if workflow not in names:
            raise EngineError(
                f"workflow {workflow[:100]!r} is not in the catalog (available: "
                f"{', '.join(names)}); URLs are not fetched"
            )
        folder = catalog / workflow
        files = [p for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()]
        if len(files) > self._settings.max_workflow_files:
            raise EngineError(
                f"workflow {workflow} has more than {self._settings.max_workflow_files} files"
            )
        return files

    async def launch(self, run: Run, attachments: list[Attachment]) -> None:
        task = asyncio.create_task(self._launch(run, attachments))
        self._launches[run.id] = task
        task.add_done_callback(lambda _: self._launches.pop(run.id, None))

    async def _launch(self, run: Run, attachments: list[Attachment]) -> None:
        try:
            await asyncio.to_thread(self._stage, run, attachments)
            await self._store.append_log(run.id, [f"staged to {self.prefix(run.id).uri}"])
            if (await self._store.get_run(run.id)).state != RunState.QUEUED:
                return
            job_id = await asyncio.to_thread(self._submit_head, run)
            run = await self._store.update_run(run.id, head_job_id=job_id)
            await asyncio.to_thread(self._write_record, run)
            await self._store.append_log(
                run.id, [f"head job {job_id} submitted to {self._settings.head_queue}"]
            )
        except Exception as error:
            with contextlib.suppress(InvalidTransitionError):
                await self._store.set_state(
                    run.id, RunState.SYSTEM_ERROR, reason=f"could not start the run: {error}"
                )

    def _stage(self, run: Run, attachments: list[Attachment]) -> None:
        prefix = self.prefix(run.id)
        for attachment in attachments:
            key = prefix.key(f"workflow/{attachment.name}")
            self._s3.put_object(Bucket=prefix.bucket, Key=key, Body=attachment.content)
        if not run.uploaded:
            folder = self._settings.catalog_dir.resolve() / run.workflow
            for path in self._workflow_files(run.workflow):
                key = prefix.key(f"workflow/{path.relative_to(folder).as_posix()}")
                self._s3.upload_file(str(path), prefix.bucket, key)
        self._s3.put_object(
            Bucket=prefix.bucket,
            Key=prefix.key("config.json"),
            Body=json.dumps(run.params).encode(),
        )
        self._write_record(run)

    def _write_record(self, run: Run) -> None:
        prefix = self.prefix(run.id)
        self._s3.put_object(
            Bucket=prefix.bucket, Key=prefix.key("run.json"), Body=run.model_dump_json().encode()
        )

    def _submit_head(self, run: Run) -> str:
        settings = self._settings
        spec = DefinitionSpec(
            image=settings.head_image,
            platform=self._platforms.platform(settings.head_queue),
            job_role=settings.head_role,
            execution_role=settings.execution_role,
        )
        command = HeadJob(
            prefix=self.prefix(run.id).uri,
            storage_prefix=self.storage_prefix(run.id).uri,
            run_id=run.id,
            task_queue=settings.task_queue,
            task_image=settings.task_image,
            jobs=settings.max_jobs,
            snakefile=run.workflow if run.uploaded else "Snakefile",
            task_role=settings.task_role,
            execution_role=settings.execution_role,
        ).cli_command()
        response = self._call(
            f"SubmitJob for the head job of run {run.id}",
            self._batch.submit_job,
            jobName=f"batchflow-head-{run.id[:12]}",
            jobQueue=settings.head_queue,
            jobDefinition=self._definitions.arn_for(spec),
            containerOverrides={
                "command": command,
                "resourceRequirements": [
                    {"type": "VCPU", "value": str(settings.head_vcpus)},
                    {"type": "MEMORY", "value": str(settings.head_memory_mib)},
                ],
            },
            tags={"batchflow:run": run.id, "batchflow:role": "head"},
            propagateTags=True,
        )
        return response["jobId"]

    # Cancelling

    async def cancel(self, run: Run) -> None:
        await self._store.set_state(run.id, RunState.CANCELING)
        if run.head_job_id is None:
            launch = self._launches.get(run.id)
            if launch is not None:
                await launch
            run = await self._store.get_run(run.id)
        if run.head_job_id is None:
            await self._store.set_state(run.id, RunState.CANCELED, reason="canceled by request")
            return
        await self._terminate(run.head_job_id)

    # Following runs: head job state, task events, logs

    async def reconcile(self, runs: list[Run]) -> None:
        for run in runs:
            if run.head_job_id is None and run.created_at < self._started:
                with contextlib.suppress(InvalidTransitionError):
                    await self._store.set_state(
                        run.id,
                        RunState.SYSTEM_ERROR,
                        reason="the service stopped before this run's head job was submitted",
                    )
        started = [run for run in runs if run.head_job_id]
        heads: dict[str, dict[str, Any]] = {}
        for start in range(0, len(started), 100):
            ids = [run.head_job_id for run in started[start : start + 100]]
            described = await asyncio.to_thread(
                self._call, "DescribeJobs for head jobs", self._batch.describe_jobs, jobs=ids
            )
            heads.update({job["jobId"]: job for job in described["jobs"]})
        for run in started:
            head = heads.get(run.head_job_id or "")
            try:
                await self._follow(run, head)
            except InvalidTransitionError:
                continue  # the run moved on meanwhile; the next pass sees it

    async def _follow(self, run: Run, head: dict[str, Any] | None) -> None:
        await self._collect_tasks(run)
        if head is None:
            await self._store.set_state(
                run.id,
                RunState.SYSTEM_ERROR,
                reason=f"head job {run.head_job_id} is no longer known to AWS Batch",
            )
            return
        status = head["status"]
        if status in HEAD_STATES:
            if run.state != RunState.CANCELING:
                await self._advance(run, HEAD_STATES[status])
        elif status == "SUCCEEDED":
            outputs = await asyncio.to_thread(self._outputs, run)
            await self._store.update_run(run.id, outputs=outputs)
            await self._store.set_state(run.id, RunState.COMPLETE)
        elif run.state == RunState.CANCELING:
            if await self._terminate_active_jobs(run) == 0:
                await self._store.set_state(run.id, RunState.CANCELED, reason="canceled by request")
        else:
            await self._store.set_state(
                run.id, RunState.EXECUTOR_ERROR, reason=await self._failure_reason(run, head)
            )

    async def _advance(self, run: Run, state: RunState) -> None:
        order = [RunState.QUEUED, RunState.INITIALIZING, RunState.RUNNING]
        if order.index(state) > order.index(run.state):
            await self._store.set_state(run.id, state)

    async def _failure_reason(self, run: Run, head: dict[str, Any]) -> str:
        failed = [
            task
            for task in await self._store.list_tasks(run.id, limit=10_000)
            if task.state == RunState.EXECUTOR_ERROR
        ]
        reason = f"Snakemake failed ({head.get('statusReason', 'no reason given')}"
        exit_code = head.get("container", {}).get("exitCode")
        reason += f", exit code {exit_code})" if exit_code is not None else ")"
        if failed:
            names = ", ".join(f"{task.name} ({task.id})" for task in failed[:5])
            reason += f"; failed tasks: {names}"
        return reason

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

    async def _terminate_active_jobs(self, run: Run) -> int:
        """Terminates the run's rule jobs still active; how many there were.

        Jobs are found by name in the task queue as well as from task events, so a job
        whose events the head never published is not missed.
        """
        ids = set(await asyncio.to_thread(self._run_job_ids, run))
        ids |= {
            task.batch_job_id
            for task in await self._store.list_tasks(run.id, limit=10_000)
            if task.batch_job_id and task.state not in FINAL_STATES
        }
        active = []
        ordered = sorted(ids)
        for start in range(0, len(ordered), 100):
            described = await asyncio.to_thread(
                self._call,
                "DescribeJobs for a canceled run",
                self._batch.describe_jobs,
                jobs=ordered[start : start + 100],
            )
            active += [job["jobId"] for job in described["jobs"] if job["status"] in ACTIVE_JOBS]
        for job_id in active:
            await self._terminate(job_id)
        return len(active)

    def _run_job_ids(self, run: Run) -> list[str]:
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

    async def _terminate(self, job_id: str) -> None:
        await asyncio.to_thread(
            self._call,
            f"TerminateJob {job_id}",
            self._batch.terminate_job,
            jobId=job_id,
            reason="Canceled through the batchflow run service",
        )

    async def run_log(self, run: Run, token: str | None) -> tuple[list[str], str | None]:
        """The head job's output: Snakemake's own log of the run."""
        stream = await self._head_stream(run)
        if stream is None:
            return [], token
        return await asyncio.to_thread(
            read_log_from, self._logs, self._call, DEFAULT_LOG_GROUP, stream, token
        )

    async def _head_stream(self, run: Run) -> str | None:
        if run.head_job_id is None:
            return None
        if run.head_job_id not in self._head_streams:
            described = await asyncio.to_thread(
                self._call,
                "DescribeJobs for a head job",
                self._batch.describe_jobs,
                jobs=[run.head_job_id],
            )
            job = next(iter(described["jobs"]), {})
            stream = job.get("container", {}).get("logStreamName")
            if not stream:
                return None
            self._head_streams[run.head_job_id] = stream
        return self._head_streams[run.head_job_id]

    async def task_log(self, task: Task) -> list[str]:
        if not task.log_stream:
            return []
        return await asyncio.to_thread(
            read_log, self._logs, self._call, DEFAULT_LOG_GROUP, task.log_stream
        )

    # Restart

    async def recover(self) -> None:
        """Puts runs recorded in S3 but missing from the store back into it."""
        for run in await asyncio.to_thread(self._recorded_runs):
            try:
                await self._store.get_run(run.id)
            except LookupError:
                await self._store.create_run(run)

    def _recorded_runs(self) -> list[Run]:
        runs = []
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._settings.bucket, Prefix="runs/", Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                key = f"{common['Prefix']}run.json"
                with contextlib.suppress(self._s3.exceptions.NoSuchKey):
                    body = self._s3.get_object(Bucket=self._settings.bucket, Key=key)["Body"]
                    runs.append(Run.model_validate_json(body.read()))
        return runs

    async def close(self) -> None:
        for task in list(self._launches.values()):
            task.cancel()
