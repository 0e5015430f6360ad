"""`snakemake --executor batchflow`: every rule job becomes an AWS Batch job."""

import asyncio
import re
import threading
import time
import uuid
from collections.abc import AsyncGenerator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from snakemake_interface_common.exceptions import WorkflowError
from snakemake_interface_executor_plugins.executors.base import SubmittedJobInfo
from snakemake_interface_executor_plugins.executors.remote import RemoteExecutor
from snakemake_interface_executor_plugins.jobs import JobExecutorInterface

from batchflow_aws import AwsError
from batchflow_aws.jobdefs import DefinitionSpec, JobDefinitions
from batchflow_aws.jobnames import job_name, run_job_prefix
from batchflow_aws.logs import read_log
from batchflow_aws.queues import JobQueue, JobQueues
from batchflow_aws.quotas import MAX_SUBMIT_JOB_BYTES
from batchflow_aws.s3paths import S3Prefix

from .arrays import (
    Batch,
    array_params,
    child_command,
    inline_manifest,
    manifest_body,
    payload_bytes,
    plan_batches,
    reading_manifest,
    stored_manifest,
)
from .capacity import (
    check_fits,
    check_queue,
    is_misconfigured,
    misconfigured_message,
    queue_error,
)
from .events import EventLog, TaskEvent, TaskEventName
from .failure_logs import describe_failure
from .job_command import one_start
from .job_events import FINAL_STATUSES, JobEventListener
from .jobspec import (
    JobSize,
    check_requests,
    checked_platform,
    ephemeral_storage_gib,
    job_size,
    parse_tags,
    retry_strategy,
    rule_override,
    timeout_seconds,
)
from .live_jobs import LiveJobs
from .manifests import ArrayManifests
from .settings import ExecutorSettings, check_ranges
from .signals import StopOnSignal
from .submit_pace import SubmitPace

DESCRIBE_BATCH = 100
MAX_REASON = 1024
MAX_BATCH_RETRIES = 9
STORAGE_SECRET = re.compile(r"^SNAKEMAKE_STORAGE_.*(ACCESS_KEY|SECRET|TOKEN|PASSWORD)")
CANCELLED = "Cancelled by Snakemake"


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class Planned:
    """A Snakemake job's SubmitJob request, with what its failure messages need."""

    job: JobExecutorInterface
    params: dict[str, Any]
    size: JobSize
    queue: JobQueue


class Submitted(NamedTuple):
    job_id: str
    name: str


def _array_candidate(planned: Planned) -> dict[str, Any] | None:
    """A job group runs as one Batch job of its own, never as an array child."""
    return None if planned.job.is_group() else planned.params


class Executor(RemoteExecutor):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Made before the base class starts the status thread, whose first sleep() may begin
        # before __post_init__ has run. `wake` cuts a sleep short: set at shutdown, and by the
        # events listener at news of a job.
        self.closing = threading.Event()
        self.wake = threading.Event()
        self.job_events: JobEventListener | None = None
        super().__init__(*args, **kwargs)

    def __post_init__(self) -> None:
        self.settings: ExecutorSettings = self.workflow.executor_settings
        check_ranges(self.settings)
        self.run_id = self.settings.run_id or uuid.uuid4().hex
        # boto3 loads only when a workflow runs, not on every `snakemake --version`.
        from batchflow_aws.calls import AwsCaller
        from batchflow_aws.clients import make_clients

        self.call = AwsCaller()
        try:
            self.batch, self.logs = make_clients(self.settings.region, "batch", "logs")
        except AwsError as error:
            raise WorkflowError(f"{error}; or set --batchflow-region") from None
        self.region = self.batch.meta.region_name
        self.definitions = JobDefinitions(self.batch, self.call)
        self.queues = JobQueues(self.batch, self.call)
        self.events = EventLog(self.settings.events_file)
        self.job_events = self._job_event_listener()
        self.tags = parse_tags(self.settings.tags)
        self.default_image = self._default_image()
        self.environment = self._job_environment()
        self.live = LiveJobs(
            self._terminate,
            self.settings.submit_concurrency,
            lambda error: self.logger.error(f"batchflow: {error}"),
        )
        self.signals = StopOnSignal(self._stop_on_signal)
        self.submit_pace = SubmitPace(self.settings.submit_rate)
        self.manifests = self._command_manifests()
        if self.settings.job_queue:
            self._queue(self.settings.job_queue)
        self.logger.info(
            f"batchflow: run {self.run_id}; its Batch jobs are named "
            f"{run_job_prefix(self.run_id)}<rule>-<job id>"
        )

    def _queue(self, name: str) -> JobQueue:
        """The queue, described once per run; a missing or disabled one is a WorkflowError."""
        try:
            queue = self.queues.describe(name)
        except AwsError as error:
            raise queue_error(error, name, self.region) from None
        check_queue(queue, self.region)
        return queue

    def _command_manifests(self) -> ArrayManifests | None:
        """Where the commands SubmitJob does not carry are kept (array children's, and any
        too long for it): beside the workflow's files, so only with s3 default storage."""
        storage = self.workflow.storage_settings
        if storage.default_storage_provider != "s3" or not storage.default_storage_prefix:
            if self.settings.array_jobs == "on":
                self.logger.info(
                    "batchflow: no array jobs in this run: they need the s3 default storage "
                    "provider"
                )
            return None
        from batchflow_aws.clients import make_clients

        (s3,) = make_clients(self.region, "s3")
        prefix = S3Prefix.parse(storage.default_storage_prefix)
        return ArrayManifests(s3, self.call, prefix, self.run_id)

    def _default_image(self) -> str | None:
        """--batchflow-image, else Snakemake's standard --container-image."""
        if self.settings.image:
            return self.settings.image
        image = getattr(self.workflow.remote_execution_settings, "container_image", None)
        if image:
            self.logger.info(
                f"batchflow: rule jobs run in Snakemake's --container-image {image} (no "
                "--batchflow-image given); it must provide snakemake-storage-plugin-s3"
            )
        return image

    def _job_environment(self) -> list[dict[str, str]]:
        """Variables for every job; storage credentials stay out (a job role supplies them)."""
        environment = {"AWS_DEFAULT_REGION": self.region}
        for name, value in self.envvars().items():
            if STORAGE_SECRET.match(name):
                self.logger.info(f"batchflow: not passing {name} to jobs; their role supplies it")
                continue
            environment[name] = value
        return [{"name": name, "value": value} for name, value in environment.items()]

    # Submission

    def format_job_exec(self, job: JobExecutorInterface) -> str:
        precommand = self.workflow.spawned_job_args_factory.precommand(
            executor_common_settings=self.common_settings
        )
        return one_start(super().format_job_exec(job), precommand)

    def run_job(self, job: JobExecutorInterface) -> None:
        self.run_jobs([job])

    def run_jobs(self, jobs: list[JobExecutorInterface]) -> None:
        """Builds every request here, groups alike ones into array jobs, then sends the
        SubmitJob calls in parallel."""
        self.signals.install()  # after Snakemake's own SIGTERM handler, which it sets late
        planned: list[Planned] = []
        for job in jobs:
            self.run_job_pre(job)
            try:
                planned.append(Planned(job, *self._request(job)))
            except (WorkflowError, AwsError) as error:
                self.report_job_error(SubmittedJobInfo(job), msg=str(error))
        batches = plan_batches(planned, _array_candidate, self._array_min_size())
        with ThreadPoolExecutor(max(1, self.settings.submit_concurrency)) as pool:
            outcomes = list(pool.map(self._submit_batch, batches))
        for batch, outcome in zip(batches, outcomes, strict=True):
            for request, submitted in zip(batch.requests, outcome, strict=True):
                self._submitted(request, submitted)

    def _submitted(self, request: Planned, outcome: Submitted | Exception) -> None:
        if isinstance(outcome, Exception):
            self.report_job_error(SubmittedJobInfo(request.job), msg=str(outcome))
            return
        aux = {"missing_since": None, "running": False, "size": request.size}
        aux["queue"] = request.queue
        info = SubmittedJobInfo(request.job, external_jobid=outcome.job_id, aux=aux)
        self.report_job_submission(info)
        self._event("submitted", info, queue=request.params["jobQueue"], name=outcome.name)

    def _submit_batch(self, batch: Batch[Planned]) -> list[Submitted | Exception]:
        if batch.is_array:
            try:
                return self._submit_array(batch.requests)
            except AwsError as error:
                self.logger.warning(
                    f"batchflow: writing an array job's manifest failed, so this run submits "
                    f"one job per Snakemake job from now on: {error}"
                )
                self.manifests = None
        return [self._submit(request.job, request.params) for request in batch.requests]

    def _submit(self, job: JobExecutorInterface, params: dict[str, Any]) -> Submitted | Exception:
        what = f"SubmitJob for rule {job.name} (job {job.jobid})"
        if self.live.stopping:
            return WorkflowError(f"{what} was not sent: the run is stopping")
        try:
            params = self._fitted(job, params)
            response = self._submit_job(what, params)
        except AwsError as error:
            return error
        self.live.add(response["jobId"])
        return Submitted(response["jobId"], params["jobName"])

    def _submit_array(self, requests: list[Planned]) -> list[Submitted | Exception]:
        """One array job for `requests`; an AwsError only when its manifest was not written."""
        first = requests[0].job
        name = job_name(f"{first.name}-array", first.jobid, self.run_id)
        alike = [request.params for request in requests]
        body = manifest_body([child_command(params) for params in alike])
        inline = inline_manifest(body)
        params = array_params(alike, name, inline, first.jobid) if inline else None
        if params is None or payload_bytes(params) > MAX_SUBMIT_JOB_BYTES:
            assert self.manifests is not None
            uri = self.manifests.write(f"{name}-{uuid.uuid4().hex[:8]}", body)
            params = array_params(alike, name, stored_manifest(uri), first.jobid)
        what = f"SubmitJob for {len(requests)} jobs of rule {first.name} as an array job"
        if self.live.stopping:
            return [WorkflowError(f"{what} was not sent: the run is stopping")] * len(requests)
        try:
            response = self._submit_job(what, params)
        except AwsError as error:
            return [error] * len(requests)
        children = [f"{response['jobId']}:{index}" for index in range(len(requests))]
        for child in children:
            self.live.add(child)
        return [Submitted(child, name) for child in children]

    def _submit_job(self, what: str, params: dict[str, Any]) -> dict[str, Any]:
        def paced_submit(**request: Any) -> dict[str, Any]:
            self.submit_pace.wait()
            return self.batch.submit_job(**request)

        return self.call(what, paced_submit, **params)

    def _fitted(self, job: JobExecutorInterface, params: dict[str, Any]) -> dict[str, Any]:
        """The request, with its command moved to a manifest in S3 when the request would be
        over AWS Batch's 30 KiB SubmitJob limit (a long command line, many targets)."""
        if payload_bytes(params) <= MAX_SUBMIT_JOB_BYTES or self.manifests is None:
            return params
        name = f"{params['jobName']}-{uuid.uuid4().hex[:8]}"
        uri = self.manifests.write(name, manifest_body([child_command(params)]))
        self.logger.info(
            f"batchflow: the command of rule {job.name} (job {job.jobid}) is too long for "
            f"SubmitJob, so the job reads it from {uri}"
        )
        return reading_manifest(params, stored_manifest(uri))

    def _array_min_size(self) -> int:
        """0 when this run submits one job per Snakemake job."""
        immediate = self.workflow.remote_execution_settings.immediate_submit
        if self.settings.array_jobs == "off" or self.manifests is None or immediate:
            return 0
        return self.settings.array_min_size

    def _request(self, job: JobExecutorInterface) -> tuple[dict[str, Any], JobSize, JobQueue]:
        resources = job.resources
        check_requests(job.threads, resources)
        queue = rule_override(resources, "queue", self.settings.job_queue)
        image = rule_override(resources, "image", self.default_image)
        if not queue or not image:
            raise WorkflowError(
                "batchflow needs a job queue and an image: set --batchflow-job-queue and "
                "--batchflow-image or --container-image (or the rule's batchflow_queue and "
                "batchflow_image resources)"
            )
        described = self._queue(queue)
        forced = rule_override(resources, "platform", None)
        platform = (
            checked_platform(forced, f"batchflow_platform of rule {job.name}")
            if forced
            else described.platform
        )
        size = job_size(job.threads, resources, platform, self.settings.fargate_sizes)
        check_fits(job.name, size, described, self.region)
        for warning in size.warnings:
            self.logger.warning(f"batchflow: rule {job.name}: {warning}")
        spec = DefinitionSpec(
            image=image,
            platform=platform,
            job_role=rule_override(resources, "job_role", self.settings.job_role),
            execution_role=self.settings.execution_role,
            log_group=self.settings.log_group,
            assign_public_ip=self.settings.assign_public_ip,
            ephemeral_storage_gib=ephemeral_storage_gib(resources, platform),
        )
        params: dict[str, Any] = {
            "jobName": job_name(job.name, job.jobid, self.run_id),
            "jobQueue": queue,
            "jobDefinition": self.definitions.arn_for(spec),
            "containerOverrides": {
                "command": ["/bin/bash", "-c", self.format_job_exec(job)],
                "environment": self.environment,
                "resourceRequirements": size.requirements(),
            },
            "retryStrategy": retry_strategy(self._spot_retries(job)),
            "propagateTags": True,
            "tags": {
                **self.tags,
                "batchflow:run": self.run_id,
                "batchflow:rule": job.name,
                "batchflow:job": str(job.jobid),
            },
        }
        timeout = timeout_seconds(resources)
        if timeout:
            params["timeout"] = {"attemptDurationSeconds": timeout}
        return params, size, described

    def _spot_retries(self, job: JobExecutorInterface) -> int:
        remote = self.workflow.remote_execution_settings
        preemptible = getattr(remote, "preemptible_rules", None)
        retries = getattr(remote, "preemptible_retries", None)
        rules = [member.name for member in job.jobs] if job.is_group() else [job.name]
        if (
            preemptible is not None
            and retries is not None
            and all(preemptible.is_preemptible(rule) for rule in rules)
        ):
            return min(retries, MAX_BATCH_RETRIES)
        return self.settings.spot_retries

    # Status

    async def check_active_jobs(
        self, active_jobs: list[SubmittedJobInfo]
    ) -> AsyncGenerator[SubmittedJobInfo, None]:
        by_id = {info.external_jobid: info for info in active_jobs}
        described, asked = await self._job_states(list(by_id))
        noticed = datetime.now(UTC)
        for job_id, info in by_id.items():
            description = described.get(job_id)
            if description is None:
                if job_id not in asked or not self._missing_for_too_long(info):
                    yield info
                continue
            status = description["status"]
            if status in FINAL_STATUSES and self.job_events:
                self.job_events.forget(job_id)
            if status == "SUCCEEDED":
                self.live.discard(job_id)
                self.report_job_success(info)
                exit_code = description.get("container", {}).get("exitCode", 0)
                self._event(
                    "succeeded", info, exit_code=exit_code, time=noticed, **_timing(description)
                )
            elif status == "FAILED":
                self.live.discard(job_id)
                self._report_failure(info, description)
            elif is_misconfigured(description):
                self._fail_misconfigured(info, description)
            else:
                info.aux["missing_since"] = None
                if status == "RUNNING" and not info.aux["running"]:
                    info.aux["running"] = True
                    log_stream = description.get("container", {}).get("logStreamName")
                    self._event("running", info, log_stream=log_stream, **_timing(description))
                yield info

    def _missing_for_too_long(self, info: SubmittedJobInfo) -> bool:
        now = time.monotonic()
        since = info.aux["missing_since"] = info.aux["missing_since"] or now
        if now - since < self.settings.missing_job_grace:
            return False
        message = (
            f"AWS Batch job {info.external_jobid} was not found by DescribeJobs for "
            f"{self.settings.missing_job_grace} s; it may have been deleted, or belong to "
            "another region or account"
        )
        self.live.discard(info.external_jobid)
        self.report_job_error(info, msg=message)
        self._event("failed", info, status_reason=message)
        return True

    def _fail_misconfigured(self, info: SubmittedJobInfo, description: dict[str, Any]) -> None:
        """Batch would hold the job RUNNABLE forever: it is terminated and reported failed."""
        reason = description["statusReason"]
        message = misconfigured_message(
            info.external_jobid, info.job.name, reason, info.aux.get("size"), info.aux.get("queue")
        )
        error = self._terminate(info.external_jobid, f"batchflow: {reason}"[:MAX_REASON])
        if error:
            message += f"\nTerminating it failed: {error}"
        self.live.discard(info.external_jobid)
        self.report_job_error(info, msg=message)
        self._event("failed", info, status_reason=reason)

    def _report_failure(self, info: SubmittedJobInfo, description: dict[str, Any]) -> None:
        failure = describe_failure(
            description,
            f"{info.job.name}-{info.job.jobid}-{info.external_jobid}",
            lambda group, stream: read_log(self.logs, self.call, group, stream),
        )
        self.report_job_error(info, msg=failure.summary, aux_logs=failure.aux_logs)
        self._event("failed", info, **failure.event_fields, **_timing(description))

    async def _job_states(self, job_ids: list[str]) -> tuple[dict[str, dict[str, Any]], set[str]]:
        """Each job's state as DescribeJobs shows it, and the jobs DescribeJobs was asked
        about: all of them, or with an events queue only those not heard about for
        --batchflow-events-sweep-seconds."""
        if self.job_events is None:
            return await self._describe(job_ids), set(job_ids)
        if not self.closing.is_set():
            self.wake.clear()
        heard = self.job_events.newest(job_ids)
        quiet = self.job_events.not_heard_since(job_ids, self.settings.events_sweep_seconds)
        asked = {i for i in quiet if heard.get(i, {}).get("status") not in FINAL_STATUSES}
        described = await self._describe(list(asked))
        self.job_events.heard(list(described))
        return {**heard, **described}, asked

    async def _describe(self, job_ids: list[str]) -> dict[str, dict[str, Any]]:
        described: dict[str, dict[str, Any]] = {}
        for chunk in chunks(job_ids, DESCRIBE_BATCH):
            async with self.status_rate_limiter:
                try:
                    response = self.call("DescribeJobs", self.batch.describe_jobs, jobs=chunk)
                except AwsError as error:
                    raise WorkflowError(str(error)) from error
            described.update({job["jobId"]: job for job in response["jobs"]})
        return described

    def _job_event_listener(self) -> JobEventListener | None:
        """With --batchflow-events-queue: the thread that hears of this run's jobs' state
        changes from the queue."""
        url = self.settings.events_queue
        if not url:
            return None
        from batchflow_aws.clients import make_clients

        (sqs,) = make_clients(self.region, "sqs")
        prefix = run_job_prefix(self.run_id)
        listener = JobEventListener(
            sqs,
            url,
            lambda detail: str(detail.get("jobName", "")).startswith(prefix),
            lambda message: self.logger.warning(f"batchflow: {message}"),
            news=self.wake,
        )
        try:
            listener.check_queue()
        except AwsError as error:
            raise WorkflowError(
                f"{error}; --batchflow-events-queue must be the URL of an SQS queue this run "
                "may read (as GetQueueUrl answers it), or leave it out to poll DescribeJobs"
            ) from None
        listener.start()
        self.logger.info(
            f"batchflow: job status from the events in {url}; DescribeJobs only for jobs not "
            f"heard about for {self.settings.events_sweep_seconds} s"
        )
        return listener

    # Cancellation and shutdown

    def cancel_jobs(self, active_jobs: list[SubmittedJobInfo]) -> None:
        """TerminateJob for every job of the run still active, Snakemake's list or not."""
        self.signals.wait_until_stopped()
        self.live.stop(also=[info.external_jobid for info in active_jobs])

    def _stop_on_signal(self, name: str) -> None:
        self.logger.warning(
            f"batchflow: {name} received: terminating the run's {len(self.live)} active Batch "
            "jobs, then exiting (a second SIGTERM or SIGINT exits at once)"
        )
        self.live.stop()

    def _terminate(self, job_id: str, reason: str = CANCELLED) -> AwsError | None:
        try:
            self.call(
                f"TerminateJob {job_id}", self.batch.terminate_job, jobId=job_id, reason=reason
            )
        except AwsError as error:
            return error
        return None

    def shutdown(self) -> None:
        """Ends the status loop without waiting out its sleep. Jobs Snakemake leaves behind (it
        does after an error in the status loop) are terminated, never orphaned."""
        self.closing.set()
        self.wake.set()
        if self.job_events:
            self.job_events.stop()
        if not self.workflow.remote_execution_settings.immediate_submit:
            left = len(self.live)
            if left and self.live.stop():
                self.logger.warning(f"batchflow: terminated {left} Batch jobs left running")
            if self.manifests and (error := self.manifests.delete_all()):
                self.logger.warning(f"batchflow: the array jobs' manifests stay in S3: {error}")
        self.signals.restore()
        super().shutdown()

    async def sleep(self) -> None:
        """The pause between status checks, cut short when Snakemake shuts down or, with an
        events queue, when a job's state changes."""
        await asyncio.to_thread(self.wake.wait, self.next_seconds_between_status_checks)

    def print_job_error(
        self, job_info: SubmittedJobInfo, msg: str | None = None, **kwargs: Any
    ) -> None:
        """Snakemake appends its own sentence to the message: it goes on a line of its own."""
        if msg and not msg.endswith("\n"):
            msg += "\n"
        super().print_job_error(job_info, msg=msg, **kwargs)
        if msg and job_info.job.is_group():  # Snakemake's report of a group leaves msg out
            self.logger.error(msg)

    def _event(self, event: TaskEventName, info: SubmittedJobInfo, **fields: Any) -> None:
        self.events.write(
            TaskEvent.of_job(event, info.job, self.run_id, info.external_jobid or "", **fields)
        )


def _timing(description: dict[str, Any]) -> dict[str, int]:
    return {
        key: description[source]
        for key, source in (("started_at", "startedAt"), ("stopped_at", "stoppedAt"))
        if source in description
    }
