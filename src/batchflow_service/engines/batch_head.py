"""What the snakemake and nextflow engines share: run the workflow engine in a Batch head job
and follow that head job to the run's end.

Everything a run needs survives the service: the workflow, its parameters and the run record
are in S3 (staging.py), the head job is in Batch, and a restarted service finds its runs again
from their records (recovery.py). A subclass says which file a workflow folder must hold, what
else to stage, which command the head job runs, and how the run's tasks and outputs are found.
"""

import asyncio
import contextlib
import logging
import re
from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from batchflow_aws import AwsError
from batchflow_aws.calls import AwsCaller
from batchflow_aws.clients import make_clients
from batchflow_aws.fargate import round_up_to_fargate
from batchflow_aws.jobdefs import DefinitionSpec, JobDefinitions
from batchflow_aws.logs import DEFAULT_LOG_GROUP, read_log, read_log_from, read_log_tail
from batchflow_aws.queues import JobQueues
from batchflow_aws.s3paths import S3Prefix

from ..attachments import Attachment, AttachmentError, check_attachments, entry_path
from ..catalog import Workflow
from ..models import Run, RunRequest, Task
from ..settings import Settings
from ..states import FINAL_STATES, InvalidTransitionError, RunState
from ..store import RunStore
from .base import EngineError, OutputFile, Stream
from .ownership import RUN_TAG, belongs_to, log_stream
from .recovery import recorded_runs, restore_missing
from .requests import (
    catalog_entry,
    check_catalog_params,
    check_file_count,
    check_not_url,
    check_params_size,
    check_uploaded_entry,
)
from .settling import settled
from .staging import FAILURE_FILE, STREAM_FILES, RunStaging

HEAD_STATES = {
    "SUBMITTED": RunState.QUEUED,
    "PENDING": RunState.QUEUED,
    "RUNNABLE": RunState.QUEUED,
    "STARTING": RunState.INITIALIZING,
    "RUNNING": RunState.RUNNING,
}
ACTIVE_JOBS = frozenset({"SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING"})
log = logging.getLogger(__name__)
PROGRESS = (RunState.QUEUED, RunState.INITIALIZING, RunState.RUNNING)
HEAD_LOG_TAIL = 50
# A run created shortly before this process started may still be being launched by another
# replica (a rolling deploy runs old and new side by side); staging takes seconds.
LAUNCH_GRACE = timedelta(minutes=2)
# The head job runs the workflow's code, which can make these files any size.
ENGINE_STREAM_BYTES = 4 * 1024 * 1024  # the tail of Snakemake's stdout or stderr served
MAX_FAILURE_BYTES = 64 * 1024
ERROR_LINE = re.compile(r"^\s*(\w+(Error|Exception)|Error)\b.*")
MAX_ERROR_CHARS = 500
PRESIGNED_SECONDS = 300
# The head job's boto3 clients with default settings (its own S3 client, Nextflow's) make up to
# 10 attempts at a throttled call, not botocore's default 3: a head runs for hours, and one
# call that fails ends its run (docs/reliability.md).
HEAD_ENVIRONMENT = [
    {"name": "AWS_RETRY_MODE", "value": "standard"},
    {"name": "AWS_MAX_ATTEMPTS", "value": "10"},
]


def head_job_name(run_id: str) -> str:
    return f"batchflow-head-{run_id[:12]}"


def head_size(settings: Settings, platform: str) -> tuple[float, int]:
    """The head job's vCPUs and memory; on Fargate rounded up to a pair it accepts."""
    asked = (settings.head_vcpus, settings.head_memory_mib)
    if platform != "FARGATE":
        return asked
    rounded = round_up_to_fargate(*asked)
    if rounded is None:
        raise EngineError(
            f"no Fargate size holds a head job of {asked[0]} vCPU and {asked[1]} MiB; "
            "set BATCHFLOW_HEAD_VCPUS and BATCHFLOW_HEAD_MEMORY_MIB to a Fargate pair"
        )
    if rounded != asked:
        log.warning("head job size %s vCPU/%s MiB rounded up to Fargate's %s", *asked, rounded)
    return rounded


def last_error(lines: list[str]) -> str | None:
    """The last error a head job printed (a Python-style `XError in ...` line) and the line
    after it, which is where Snakemake puts the message; None if there is none."""
    for index in range(len(lines) - 1, -1, -1):
        if ERROR_LINE.match(lines[index]):
            found = " ".join(line.strip() for line in lines[index : index + 2] if line.strip())
            return found[:MAX_ERROR_CHARS]
    return None


class BatchHeadEngine(ABC):
    name: str
    label: str
    """The workflow engine's name as people write it, for messages: Snakemake, Nextflow."""
    entry: str
    """The file a catalog workflow folder must hold to be run by this engine."""

    def __init__(self, store: RunStore, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        # Launches and the reconciler wait for AWS seconds, not minutes: the next pass retries,
        # and a stopping service is not held up. A request waits less still.
        self._call = AwsCaller(
            settings.aws_max_attempts, settings.aws_max_wait_seconds, give_up_after_seconds=60
        )
        self._request_call = AwsCaller(
            min(3, settings.aws_max_attempts),
            min(1.0, settings.aws_max_wait_seconds),
            give_up_after_seconds=10,
        )
        try:
            self._s3, self._batch, self._logs = make_clients(None, "s3", "batch", "logs")
        except AwsError:
            raise ValueError(
                f"the {self.name} engine needs an AWS region: set AWS_DEFAULT_REGION (or run "
                "`batchflow serve` with its embedded local AWS)"
            ) from None
        self.staging = RunStaging(self._s3, settings.bucket, self._call)
        self._definitions = JobDefinitions(self._batch, self._call)
        self._platforms = JobQueues(self._batch, self._call)
        self._launches: dict[str, asyncio.Task[None]] = {}
        self._job_streams: dict[str, str] = {}

    def prefix(self, run_id: str) -> S3Prefix:
        return self.staging.prefix(run_id)

    # What a subclass provides

    def _check_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """The run's parameters as this engine accepts them; raises EngineError."""
        return params

    @abstractmethod
    async def _prepare(self, run: Run) -> tuple[Run, dict[str, bytes]]:
        """The run as launched, and the files to stage next to its workflow (name: content)."""

    @abstractmethod
    def _head_image(self) -> str: ...

    @abstractmethod
    def _head_command(self, run: Run) -> list[str]: ...

    @abstractmethod
    async def _collect_tasks(self, run: Run) -> None:
        """Brings the run's tasks in the store up to date, on every reconciler pass."""

    @abstractmethod
    def _outputs(self, run: Run) -> dict[str, Any]:
        """The run's results once its head job has succeeded (called in a thread)."""

    @abstractmethod
    def _named_job_ids(self, run: Run) -> list[str]:
        """Batch jobs of this run found by their names, beyond those its tasks record."""

    def _task_job_id(self, task: Task) -> str | None:
        """The Batch job whose log is the task's log."""
        return task.batch_job_id

    # Accepting and launching a run

    def check_request(self, request: RunRequest, attachments: list[Attachment]) -> dict[str, Any]:
        listed = None
        check_not_url(request.workflow)
        if attachments:
            check_uploaded_entry(request.workflow, attachments)
        else:
            listed = self._catalog_entry(request.workflow)
            check_file_count(listed.folder, self._settings.max_workflow_files)
        check_params_size(request.params, self._settings.max_params_bytes)
        params = self._check_params(request.params)
        if listed is not None:
            check_catalog_params(listed, request.params)
        return params

    def _catalog_entry(self, workflow: str) -> Workflow:
        return catalog_entry(self._settings.catalog_dir, workflow, self.name, self.entry)

    def _entry_of(self, run: Run) -> str:
        """The workflow's main file, relative to the staged workflow folder: for an upload the
        very string check_request approved (entry_path refuses anything else)."""
        return entry_path(run.workflow) if run.uploaded else self.entry

    async def launch(self, run: Run, attachments: list[Attachment]) -> None:
        """Records the run in S3 before it is answered, so that a service killed right after
        the answer finds it again; stages and submits it in the background."""
        try:
            await asyncio.to_thread(self.staging.write_record, run)
        except AwsError as error:
            log.warning("run %s: its record waits for staging: %s", run.id, error)
        task = asyncio.create_task(self._launch(run, attachments))
        self._launches[run.id] = task
        task.add_done_callback(lambda _: self._launches.pop(run.id, None))

    async def _launch(self, run: Run, attachments: list[Attachment]) -> None:
        try:
            run, files = await self._prepare(run)
            folder = None if run.uploaded else self._catalog_entry(run.workflow).folder
            await asyncio.to_thread(self.staging.stage, run, attachments, folder, files)
            await self._store.append_log(run.id, [f"staged to {self.prefix(run.id).uri}"])
            if (await self._store.get_run(run.id)).state != RunState.QUEUED:
                await self._record(run.id)  # canceled while staging
                return
            job_id = await asyncio.to_thread(self._submit_head, run)
            run = await self._store.update_run(run.id, head_job_id=job_id)
            await asyncio.to_thread(self.staging.write_record, run)
            await self._store.append_log(
                run.id, [f"head job {job_id} submitted to {self._settings.head_queue}"]
            )
        except Exception as error:
            with contextlib.suppress(InvalidTransitionError):
                await self._store.set_state(
                    run.id, RunState.SYSTEM_ERROR, reason=f"could not start the run: {error}"
                )
            await self._record(run.id)

    async def _record(self, run_id: str) -> None:
        """Writes the run's record as the store has it now, if S3 takes it: a run that ended
        before its head job started is restored in that state after a restart."""
        with contextlib.suppress(AwsError, LookupError):
            run = await self._store.get_run(run_id)
            await asyncio.to_thread(self.staging.write_record, run)

    def _submit_head(self, run: Run) -> str:
        settings = self._settings
        platform = self._platforms.platform(settings.head_queue)
        spec = DefinitionSpec(
            image=self._head_image(),
            platform=platform,
            job_role=settings.head_role,
            execution_role=settings.execution_role,
        )
        vcpus, memory_mib = head_size(settings, platform)
        response = self._call(
            f"SubmitJob for the head job of run {run.id}",
            self._batch.submit_job,
            jobName=head_job_name(run.id),
            jobQueue=settings.head_queue,
            jobDefinition=self._definitions.arn_for(spec),
            containerOverrides={
                "command": self._head_command(run),
                "environment": HEAD_ENVIRONMENT,
                "resourceRequirements": [
                    {"type": "VCPU", "value": f"{vcpus:g}"},
                    {"type": "MEMORY", "value": str(memory_mib)},
                ],
            },
            tags={RUN_TAG: run.id, "batchflow:role": "head"},
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
        head_job_id = run.head_job_id or await asyncio.to_thread(self._submitted_head, run)
        if head_job_id is None:
            await self._store.set_state(run.id, RunState.CANCELED, reason="canceled by request")
            await self._record(run.id)
            return
        if run.head_job_id is None:  # submitted by a service that died before recording it
            await self._store.update_run(run.id, head_job_id=head_job_id)
        await self._terminate(head_job_id)

    # Following runs: head job state, tasks, logs

    async def reconcile(self, runs: list[Run]) -> None:
        for run in runs:
            if run.head_job_id is None and run.id not in self._launches:
                await self._adopt_head_or_fail(run)
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

    async def _adopt_head_or_fail(self, run: Run) -> None:
        """A run an earlier service accepted but did not see through its launch: its head job,
        if the launch got as far as submitting one, else SYSTEM_ERROR."""
        head_job_id = await asyncio.to_thread(self._submitted_head, run)
        if head_job_id is not None:
            run = await self._store.update_run(run.id, head_job_id=head_job_id)
            await asyncio.to_thread(self.staging.write_record, run)
            return
        if run.created_at > datetime.now(UTC) - LAUNCH_GRACE:
            return  # another service may be launching it still
        with contextlib.suppress(InvalidTransitionError):
            await self._store.set_state(
                run.id,
                RunState.SYSTEM_ERROR,
                reason="the service stopped before this run's head job was submitted",
            )

    def _job_ids_named(self, queue: str, name: str, whose: str) -> list[str]:
        """The ids of the jobs in `queue` named `name` (a trailing `*` matches a prefix)."""
        summaries = self._call.pages(
            f"ListJobs for {whose}",
            self._batch,
            "list_jobs",
            "jobSummaryList",
            jobQueue=queue,
            filters=[{"name": "JOB_NAME", "values": [name]}],
        )
        return [summary["jobId"] for summary in summaries]

    def _submitted_head(self, run: Run) -> str | None:
        """The head job submitted for the run (found by name, believed by its tag), if any."""
        ids = self._job_ids_named(
            self._settings.head_queue, head_job_name(run.id), f"the head job of run {run.id}"
        )[:100]
        if not ids:
            return None
        described = self._call("DescribeJobs for a head job", self._batch.describe_jobs, jobs=ids)
        heads = [job for job in described["jobs"] if belongs_to(job, run.id)]
        return max(heads, key=lambda job: job.get("createdAt", 0))["jobId"] if heads else None

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
            if run.state == RunState.CANCELING:
                await self._terminate(head["jobId"])  # a TerminateJob that failed is retried
            else:
                await self._advance(run, HEAD_STATES[status])
        elif await self._terminate_active_jobs(run) > 0:
            return  # a head that ended (even by SIGKILL) leaves no task job behind; next pass
        elif not await self._settle_tasks(run):
            return  # a task's job is still ending; next pass
        elif status == "SUCCEEDED":
            outputs = await asyncio.to_thread(self._outputs, run)
            await self._store.update_run(run.id, outputs=outputs)
            await self._store.set_state(run.id, RunState.COMPLETE)
        elif run.state == RunState.CANCELING:
            await self._store.set_state(run.id, RunState.CANCELED, reason="canceled by request")
        else:
            await self._store.set_state(
                run.id, RunState.EXECUTOR_ERROR, reason=await self._failure_reason(run, head)
            )

    async def _advance(self, run: Run, state: RunState) -> None:
        """Moves a run forward to `state`, never back (QUEUED -> INITIALIZING -> RUNNING)."""
        if PROGRESS.index(state) > PROGRESS.index(run.state):
            await self._store.set_state(run.id, state)

    async def _failure_reason(self, run: Run, head: dict[str, Any]) -> str:
        failed = [
            task
            for task in await self._store.list_tasks(run.id, limit=10_000)
            if task.state == RunState.EXECUTOR_ERROR
        ]
        reason = f"{self.label} failed ({head.get('statusReason', 'no reason given')}"
        exit_code = head.get("container", {}).get("exitCode")
        reason += f", exit code {exit_code})" if exit_code is not None else ")"
        if failed:
            names = ", ".join(f"{task.name} ({task.id})" for task in failed[:5])
            return reason + f"; failed tasks: {names}"
        summary = await asyncio.to_thread(self._failure_summary, run)
        if summary:
            return reason + f": {summary}"
        stream = head.get("container", {}).get("logStreamName")
        if stream:
            tail = await asyncio.to_thread(
                read_log_tail, self._logs, self._call, DEFAULT_LOG_GROUP, stream, HEAD_LOG_TAIL
            )
            error = last_error(tail)
            if error:
                reason += f": {error}"
        return reason

    def _failure_summary(self, run: Run) -> str | None:
        """The workflow engine's first error, as the head job wrote it (failure.txt), made
        storable: the head job runs the workflow's code, which can write there too."""
        body = self.staging.read(self.prefix(run.id), FAILURE_FILE, MAX_FAILURE_BYTES)
        if not body:
            return None
        text = body[: MAX_ERROR_CHARS * 4].decode(errors="replace").replace("\x00", "")
        text = text.encode(errors="replace").decode()  # no unpaired surrogate either
        return " ".join(text.split())[:MAX_ERROR_CHARS] or None

    async def _terminate_active_jobs(self, run: Run) -> int:
        """Terminates the run's task jobs still active; how many there were.

        Jobs are found by name in the task queue as well as from the run's tasks, so a job
        whose task the service never heard of is not missed where names allow it.
        """
        ids = set(await asyncio.to_thread(self._named_job_ids, run))
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
            for job in described["jobs"]:
                if not belongs_to(job, run.id):
                    log.warning(
                        "run %s names Batch job %s, not its own: left alone", run.id, job["jobId"]
                    )
                elif job["status"] in ACTIVE_JOBS:
                    active.append(job["jobId"])
        for job_id in active:
            await self._terminate(job_id)
        return len(active)

    async def _settle_tasks(self, run: Run) -> bool:
        """Gives every task the run's head left unfinished the end Batch knows of; whether
        all are settled."""
        open_tasks = {
            job_id: task
            for task in await self._store.list_tasks(run.id, limit=10_000)
            if task.state not in FINAL_STATES and (job_id := self._task_job_id(task))
        }
        ordered = sorted(open_tasks)
        jobs: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ordered), 100):
            described = await asyncio.to_thread(
                self._call,
                "DescribeJobs for a run's unfinished tasks",
                self._batch.describe_jobs,
                jobs=ordered[start : start + 100],
            )
            jobs |= {job["jobId"]: job for job in described["jobs"] if belongs_to(job, run.id)}
        done = True
        for job_id, task in open_tasks.items():
            ended = settled(run, task, jobs.get(job_id))
            if ended is None:
                done = False
            else:
                await self._store.upsert_task(ended)
        return done

    async def _terminate(self, job_id: str) -> None:
        await asyncio.to_thread(
            self._request_call,
            f"TerminateJob {job_id}",
            self._batch.terminate_job,
            jobId=job_id,
            reason="Canceled through the batchflow run service",
        )

    async def run_log(self, run: Run, token: str | None) -> tuple[list[str], str | None]:
        """The head job's output: the workflow engine's own log of the run."""
        if run.head_job_id is None:
            return [], token
        stream = await self._job_stream(run.head_job_id)
        if stream is None:
            return [], token
        return await asyncio.to_thread(
            read_log_from, self._logs, self._request_call, DEFAULT_LOG_GROUP, stream, token
        )

    async def _job_stream(self, job_id: str) -> str | None:
        """A Batch job's CloudWatch log stream, once the job has one."""
        if job_id not in self._job_streams:
            described = await asyncio.to_thread(
                self._request_call,
                "DescribeJobs for a job's log stream",
                self._batch.describe_jobs,
                jobs=[job_id],
            )
            job = next(iter(described["jobs"]), {})
            stream = job.get("container", {}).get("logStreamName")
            if not stream:
                return None
            self._job_streams[job_id] = stream
        return self._job_streams[job_id]

    async def engine_stream(self, run: Run, stream: Stream) -> list[str]:
        """The workflow engine's stdout or stderr, as the head job last published it."""
        body = await asyncio.to_thread(
            self.staging.read, self.prefix(run.id), STREAM_FILES[stream], ENGINE_STREAM_BYTES
        )
        lines = (body or b"").decode(errors="replace").splitlines()
        return lines[1:] if body and len(body) == ENGINE_STREAM_BYTES else lines

    async def workflow_files(self, run: Run) -> list[Attachment]:
        """The workflow files staged for the run, bounded as an upload is: the head job runs the
        workflow's code, which could have written more there."""
        return await asyncio.to_thread(self._staged_workflow, run)

    def _staged_workflow(self, run: Run) -> list[Attachment]:
        folder = self.prefix(run.id).child("workflow")
        sizes = self.staging.file_sizes(folder)
        names = list(sizes)
        if len(names) > self._settings.max_workflow_files:
            raise EngineError(
                f"run {run.id}'s workflow folder holds {len(names)} files; at most "
                f"{self._settings.max_workflow_files} can be run again"
            )
        if (total := sum(sizes.values())) > self._settings.max_request_bytes:
            raise EngineError(
                f"run {run.id}'s workflow folder holds {total} bytes; at most "
                f"{self._settings.max_request_bytes} can be run again"
            )
        files = [Attachment(name, self.staging.read(folder, name) or b"") for name in names]
        try:
            return check_attachments(
                files, self._settings.max_workflow_files, self._settings.max_request_bytes
            )
        except AttachmentError as error:
            raise EngineError(f"run {run.id}'s workflow cannot be run again: {error}") from None

    async def task_log(self, task: Task) -> list[str]:
        """The task's Batch job's CloudWatch log, read only once DescribeJobs shows that the job
        is the run's own: the job id came from the head job or a weblog event (ownership.py)."""
        job_id = self._task_job_id(task)
        if not job_id:
            return []
        described = await asyncio.to_thread(
            self._request_call,
            f"DescribeJobs for task {task.id}'s log",
            self._batch.describe_jobs,
            jobs=[job_id],
        )
        job = next(iter(described["jobs"]), None)
        if job is None:
            return []
        if not belongs_to(job, task.run_id):
            return [
                f"batchflow: Batch job {job_id} is not one of run {task.run_id}'s jobs; "
                "its log is not shown"
            ]
        stream = log_stream(job, task.log_stream)
        if stream is None:
            return []
        return await asyncio.to_thread(
            read_log, self._logs, self._request_call, DEFAULT_LOG_GROUP, stream
        )

    # Restart

    async def recover(self) -> None:
        """Puts runs of this engine recorded in S3 but missing from the store back into it."""
        recorded = await asyncio.to_thread(recorded_runs, self.staging)
        await restore_missing(self._store, [run for run in recorded if run.engine == self.name])

    # Outputs

    async def open_output(self, uri: str) -> OutputFile:
        """A presigned URL where S3 is AWS's own (the client fetches it there); else the
        object's content, streamed through the service."""
        location = S3Prefix.parse(uri)
        where = {"Bucket": location.bucket, "Key": location.prefix}
        if self._presign_outputs:
            # As an attachment, so that a browser sent there saves the file rather than show it.
            name = quote(location.prefix.rsplit("/", 1)[-1])
            download = {"ResponseContentDisposition": f"attachment; filename*=UTF-8''{name}"}
            url = self._s3.generate_presigned_url(
                "get_object", Params=where | download, ExpiresIn=PRESIGNED_SECONDS
            )
            return OutputFile(redirect_url=url)
        found = await asyncio.to_thread(
            self._request_call, f"GetObject {uri}", self._s3.get_object, **where
        )
        return OutputFile(size=found.get("ContentLength"), chunks=found["Body"].iter_chunks())

    @property
    def _presign_outputs(self) -> bool:
        return (self._s3.meta.endpoint_url or "").endswith(".amazonaws.com")

    async def close(self) -> None:
        for task in list(self._launches.values()):
            task.cancel()
