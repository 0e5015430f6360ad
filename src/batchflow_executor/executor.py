"""`snakemake --executor batchflow`: every rule job becomes an AWS Batch job."""

import re
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
from batchflow_aws.jobnames import job_name
from batchflow_aws.logs import DEFAULT_LOG_GROUP, read_log
from batchflow_aws.queues import QueuePlatforms

from .events import EventLog, TaskEvent, TaskEventName
from .failure_logs import save_log
from .jobspec import (
    checked_platform,
    ephemeral_storage_gib,
    job_size,
    parse_tags,
    retry_strategy,
    rule_override,
    timeout_seconds,
)
from .settings import ExecutorSettings

DESCRIBE_BATCH = 100
LOG_TAIL_LINES = 20
MAX_BATCH_RETRIES = 9
STORAGE_SECRET = re.compile(r"^SNAKEMAKE_STORAGE_.*(ACCESS_KEY|SECRET|TOKEN|PASSWORD)")


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Executor(RemoteExecutor):
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
        self.definitions = JobDefinitions(self.batch, self.call)
        self.platforms = QueuePlatforms(self.batch, self.call)
        self.events = EventLog(self.settings.events_file)
        self.tags = parse_tags(self.settings.tags)
        self.default_image = self._default_image()
        self.environment = self._job_environment()

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
        environment = {"AWS_DEFAULT_REGION": self.batch.meta.region_name}
        for name, value in self.envvars().items():
            if STORAGE_SECRET.match(name):
                self.logger.info(f"batchflow: not passing {name} to jobs; their role supplies it")
                continue
            environment[name] = value
        return [{"name": name, "value": value} for name, value in environment.items()]

    # Submission

    def run_job(self, job: JobExecutorInterface) -> None:
        self.run_jobs([job])

    def run_jobs(self, jobs: list[JobExecutorInterface]) -> None:
        """Builds every request here, then sends the SubmitJob calls in parallel."""
        requests: list[tuple[JobExecutorInterface, dict[str, Any]]] = []
        for job in jobs:
            self.run_job_pre(job)
            try:
                requests.append((job, self._request(job)))
            except (WorkflowError, AwsError) as error:
                self.report_job_error(SubmittedJobInfo(job), msg=str(error))
        with ThreadPoolExecutor(max(1, self.settings.submit_concurrency)) as pool:
            outcomes = list(pool.map(self._submit, requests))
        for (job, request), outcome in zip(requests, outcomes, strict=True):
            if isinstance(outcome, AwsError):
                self.report_job_error(SubmittedJobInfo(job), msg=str(outcome))
                continue
            info = SubmittedJobInfo(
                job, external_jobid=outcome, aux={"missing_since": None, "running": False}
            )
            self.report_job_submission(info)
            self._event("submitted", info, queue=request["jobQueue"], name=request["jobName"])

    def _submit(self, request: tuple[JobExecutorInterface, dict[str, Any]]) -> str | AwsError:
        job, params = request
        try:
            response = self.call(
                f"SubmitJob for rule {job.name} (job {job.jobid})", self.batch.submit_job, **params
            )
        except AwsError as error:
            return error
        return response["jobId"]

    def _request(self, job: JobExecutorInterface) -> dict[str, Any]:
        resources = job.resources
        queue = rule_override(resources, "queue", self.settings.job_queue)
        image = rule_override(resources, "image", self.default_image)
        if not queue or not image:
            raise WorkflowError(
                "batchflow needs a job queue and an image: set --batchflow-job-queue and "
                "--batchflow-image or --container-image (or the rule's batchflow_queue and "
                "batchflow_image resources)"
            )
        forced = rule_override(resources, "platform", None)
        platform = (
            checked_platform(forced, f"batchflow_platform of rule {job.name}")
            if forced
            else self.platforms.platform(queue)
        )
        size = job_size(job.threads, resources, platform, self.settings.fargate_sizes)
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
        return params

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
                self.report_job_success(info)
                self._event("succeeded", info, **_timing(description))
            elif status == "FAILED":
                self._report_failure(info, description)
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
        self.report_job_error(info, msg=message)
        self._event("failed", info, status_reason=message)
        return True

    def _report_failure(self, info: SubmittedJobInfo, description: dict[str, Any]) -> None:
        container = description.get("container", {})
        reason = description.get("statusReason", "no reason given")
        exit_code = container.get("exitCode")
        stream = container.get("logStreamName")
        options = (container.get("logConfiguration") or {}).get("options") or {}
        group = options.get("awslogs-group", DEFAULT_LOG_GROUP)
        attempts = len(description.get("attempts", []))
        summary = f"AWS Batch job {info.external_jobid} failed: {reason}"
        if exit_code is not None:
            summary += f" (exit code {exit_code})"
        if attempts > 1:
            summary += f" after {attempts} attempts"
        aux_logs: list[str] = []
        if stream:
            try:
                lines = read_log(self.logs, self.call, group, stream)
            except AwsError as error:
                summary += f"\nIts log {group}/{stream} could not be read: {error}"
            else:
                saved = save_log(f"{info.job.name}-{info.job.jobid}-{info.external_jobid}", lines)
                aux_logs.append(str(saved))
                tail = "\n".join(f"    {line}" for line in lines[-LOG_TAIL_LINES:])
                summary += (
                    f"\nLast {min(len(lines), LOG_TAIL_LINES)} lines of its log "
                    f"({group}/{stream}):\n{tail}\nWhole log: {saved}\n"
                )
        self.report_job_error(info, msg=summary, aux_logs=aux_logs)
        self._event(
            "failed",
            info,
            status_reason=reason,
            exit_code=exit_code,
            log_stream=stream,
            attempts=attempts,
            **_timing(description),
        )

    # Cancellation

    def cancel_jobs(self, active_jobs: list[SubmittedJobInfo]) -> None:
        with ThreadPoolExecutor(max(1, self.settings.submit_concurrency)) as pool:
            failures = [error for error in pool.map(self._terminate, active_jobs) if error]
        for error in failures:
            self.logger.error(f"batchflow: {error}")

    def _terminate(self, info: SubmittedJobInfo) -> AwsError | None:
        try:
            self.call(
                f"TerminateJob {info.external_jobid}",
                self.batch.terminate_job,
                jobId=info.external_jobid,
                reason="Cancelled by Snakemake",
            )
        except AwsError as error:
            return error
        return None

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
