"""`snakemake --executor batchflow`: every rule job becomes an AWS Batch job."""

import asyncio
import re
import threading
import time
import uuid
from collections.abc import AsyncGenerator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from snakemake_interface_common.exceptions import WorkflowError
from snakemake_interface_executor_plugins.executors.base import SubmittedJobInfo
from snakemake_interface_executor_plugins.executors.remote import RemoteExecutor
from snakemake_interface_executor_plugins.jobs import JobExecutorInterface

from batchflow_aws import AwsError
from batchflow_aws.jobdefs import DefinitionSpec, JobDefinitions
from batchflow_aws.jobnames import job_name, run_job_prefix
from batchflow_aws.logs import read_log
from batchflow_aws.queues import JobQueue, JobQueues

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
from .settings import ExecutorSettings
from .signals import StopOnSignal

DESCRIBE_BATCH = 100
MAX_REASON = 1024
MAX_BATCH_RETRIES = 9
STORAGE_SECRET = re.compile(r"^SNAKEMAKE_STORAGE_.*(ACCESS_KEY|SECRET|TOKEN|PASSWORD)")
CANCELLED = "Cancelled by Snakemake"


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Executor(RemoteExecutor):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Set before the base class starts the status thread, whose sleep() waits on it.
        self.closing = threading.Event()
        super().__init__(*args, **kwargs)

    def __post_init__(self) -> None:
        self.settings: ExecutorSettings = self.workflow.executor_settings
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
        self.tags = parse_tags(self.settings.tags)
        self.default_image = self._default_image()
        self.environment = self._job_environment()
        self.live = LiveJobs(
            self._terminate,
            self.settings.submit_concurrency,
            lambda error: self.logger.error(f"batchflow: {error}"),
        )
        self.signals = StopOnSignal(self._stop_on_signal)
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
        """Builds every request here, then sends the SubmitJob calls in parallel."""
        self.signals.install()  # after Snakemake's own SIGTERM handler, which it sets late
        requests: list[tuple[JobExecutorInterface, dict[str, Any], JobSize, JobQueue]] = []
        for job in jobs:
            self.run_job_pre(job)
            try:
                requests.append((job, *self._request(job)))
            except (WorkflowError, AwsError) as error:
                self.report_job_error(SubmittedJobInfo(job), msg=str(error))
        with ThreadPoolExecutor(max(1, self.settings.submit_concurrency)) as pool:
            outcomes = list(pool.map(self._submit, requests))
        for (job, request, size, queue), outcome in zip(requests, outcomes, strict=True):
            if isinstance(outcome, Exception):
                self.report_job_error(SubmittedJobInfo(job), msg=str(outcome))
                continue
            aux = {"missing_since": None, "running": False, "size": size, "queue": queue}
            info = SubmittedJobInfo(job, external_jobid=outcome, aux=aux)
            self.report_job_submission(info)
            self._event("submitted", info, queue=request["jobQueue"], name=request["jobName"])

    def _submit(
        self, request: tuple[JobExecutorInterface, dict[str, Any], JobSize, JobQueue]
    ) -> str | Exception:
        job, params, *_ = request
        what = f"SubmitJob for rule {job.name} (job {job.jobid})"
        if self.live.stopping:
            return WorkflowError(f"{what} was not sent: the run is stopping")
        try:
            response = self.call(what, self.batch.submit_job, **params)
        except AwsError as error:
            return error
        self.live.add(response["jobId"])
        return response["jobId"]

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
        if preemptible is not None and retries is not None and preemptible.is_preemptible(job.name):
            return min(retries, MAX_BATCH_RETRIES)
        return self.settings.spot_retries

    # Status

    async def check_active_jobs(
        self, active_jobs: list[SubmittedJobInfo]
    ) -> AsyncGenerator[SubmittedJobInfo, None]:
        by_id = {info.external_jobid: info for info in active_jobs}
        described: dict[str, dict[str, Any]] = {}
        for chunk in chunks(list(by_id), DESCRIBE_BATCH):
            async with self.status_rate_limiter:
                try:
                    response = self.call("DescribeJobs", self.batch.describe_jobs, jobs=chunk)
                except AwsError as error:
                    raise WorkflowError(str(error)) from error
            described.update({job["jobId"]: job for job in response["jobs"]})
        for job_id, info in by_id.items():
            description = described.get(job_id)
            if description is None:
                if not self._missing_for_too_long(info):
                    yield info
                continue
            status = description["status"]
            if status == "SUCCEEDED":
                self.live.discard(job_id)
                self.report_job_success(info)
                exit_code = description.get("container", {}).get("exitCode", 0)
                self._event("succeeded", info, exit_code=exit_code, **_timing(description))
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
        if not self.workflow.remote_execution_settings.immediate_submit:
            left = len(self.live)
            if left and self.live.stop():
                self.logger.warning(f"batchflow: terminated {left} Batch jobs left running")
        self.signals.restore()
        super().shutdown()

    async def sleep(self) -> None:
        """The pause between status checks, cut short when Snakemake shuts down."""
        await asyncio.to_thread(self.closing.wait, self.next_seconds_between_status_checks)

    def print_job_error(
        self, job_info: SubmittedJobInfo, msg: str | None = None, **kwargs: Any
    ) -> None:
        """Snakemake appends its own sentence to the message: it goes on a line of its own."""
        if msg and not msg.endswith("\n"):
            msg += "\n"
        super().print_job_error(job_info, msg=msg, **kwargs)

    def _event(self, event: TaskEventName, info: SubmittedJobInfo, **fields: Any) -> None:
        job = info.job
        wildcards = getattr(job, "wildcards", None)
        self.events.write(
            TaskEvent(
                event=event,
                run_id=self.run_id,
                batch_job_id=info.external_jobid or "",
                rule=job.name,
                jobid=job.jobid,
                attempt=job.attempt,
                wildcards={str(k): str(v) for k, v in wildcards.items()} if wildcards else {},
                **fields,
            )
        )


def _timing(description: dict[str, Any]) -> dict[str, int]:
    return {
        key: description[source]
        for key, source in (("started_at", "startedAt"), ("stopped_at", "stoppedAt"))
        if source in description
    }
