"""AWS Batch jobs: SubmitJob, DescribeJobs, ListJobs, CancelJob, TerminateJob, and tags."""

import copy
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from . import batch_validation as check
from .batch_models import ACTIVE_STATUSES, Capacity, Job
from .batch_resources import BatchResources, check_environment_names, resource_requirements
from .errors import client_error
from .pagination import listing, paginate
from .scheduler import JobScheduler

BATCH_ARN = re.compile(r"arn:aws:batch:[^:]+:\d+:([a-z-]+)/(.+)")


@dataclass
class Dependencies:
    plain: list[Job] = field(default_factory=list)
    n_to_n: list[Job] = field(default_factory=list)
    sequential: bool = False


def apply_overrides(container: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(container)
    if "command" in overrides:
        merged["command"] = list(overrides["command"])
    if overrides.get("environment"):
        environment = {e["name"]: e for e in merged.get("environment", [])}
        environment.update({e["name"]: e for e in overrides["environment"]})
        merged["environment"] = list(environment.values())
    requirements = resource_requirements(merged)
    requirements.update(resource_requirements(overrides))
    merged.pop("vcpus", None)
    merged.pop("memory", None)
    merged["resourceRequirements"] = [
        {"type": kind, "value": value} for kind, value in sorted(requirements.items())
    ]
    if overrides.get("instanceType"):
        merged["instanceType"] = overrides["instanceType"]
    return merged


class BatchJobs:
    def __init__(self, resources: BatchResources, scheduler: JobScheduler) -> None:
        self.resources = resources
        self.scheduler = scheduler
        self.jobs: dict[str, Job] = {}
        self.jobs_by_queue: dict[str, list[Job]] = {}

    def submit_job(self, params: dict[str, Any]) -> dict[str, Any]:
        name = check.check_job_name("Job", params["jobName"])
        queue = self.resources.queue(params["jobQueue"])
        if queue.state != "ENABLED":
            raise client_error(f"JobQueue {queue.name} is DISABLED")
        definition = self.resources.definition(params["jobDefinition"])
        if definition.status != "ACTIVE":
            raise client_error(f"Job definition {definition.arn} is INACTIVE")
        if definition.platform != queue.platform:
            raise client_error(
                f"Job queue {queue.name} runs {queue.platform} jobs, but job definition "
                f"{definition.name}:{definition.revision} needs {definition.platform}"
            )
        for unsupported in ("nodeOverrides", "eksPropertiesOverride", "ecsPropertiesOverride"):
            if params.get(unsupported):
                raise client_error(f"{unsupported} is not supported by batchflow local")
        overrides = params.get("containerOverrides") or {}
        check_environment_names(overrides)
        container = apply_overrides(definition.spec["containerProperties"], overrides)
        vcpus, memory, gpus = check.check_resources(
            resource_requirements(container), definition.platform
        )
        spec = definition.spec
        retry = check.check_retry_strategy(params.get("retryStrategy") or spec.get("retryStrategy"))
        timeout = check.check_timeout(params.get("timeout") or spec.get("timeout"))
        size = params.get("arrayProperties", {}).get("size")
        if size is not None:
            check.check_array_size(size)
        depends_on = params.get("dependsOn", [])
        if len(depends_on) > check.MAX_DEPENDS_ON:
            raise client_error(
                f"dependsOn allows at most {check.MAX_DEPENDS_ON} jobs, got {len(depends_on)}"
            )
        dependencies = self._dependencies(depends_on, size)
        job_id = str(uuid.uuid4())
        job = Job(
            job_id=job_id,
            name=name,
            arn=self.resources.arn("job", job_id),
            queue=queue,
            definition=definition,
            container=container,
            need=Capacity(vcpus, memory, gpus),
            depends_on=depends_on,
            parameters={**spec.get("parameters", {}), **params.get("parameters", {})},
            retry_strategy=retry,
            timeout_seconds=timeout,
            tags=check.check_tags(params.get("tags", {})),
            propagate_tags=params.get("propagateTags", spec.get("propagateTags", False)),
            scheduling_priority=params.get("schedulingPriorityOverride"),
            share_identifier=params.get("shareIdentifier"),
            array_size=size,
        )
        self.jobs[job_id] = job
        self.jobs_by_queue.setdefault(queue.arn, []).append(job)
        if size is None:
            self.scheduler.accept(job, dependencies.plain)
        else:
            self._spawn_children(job, dependencies)
        return {"jobArn": job.arn, "jobName": name, "jobId": job_id}

    def _dependencies(
        self, depends_on: list[dict[str, str]], array_size: int | None
    ) -> Dependencies:
        found = Dependencies()
        for entry in depends_on:
            kind = entry.get("type")
            if kind not in (None, "N_TO_N", "SEQUENTIAL"):
                raise client_error(f"dependsOn type must be N_TO_N or SEQUENTIAL, got {kind!r}")
            if kind and array_size is None:
                raise client_error(f"dependsOn type {kind} is only valid for array jobs")
            if kind == "SEQUENTIAL":
                found.sequential = True
                continue
            dependency = self.jobs.get(entry.get("jobId", ""))
            if dependency is None:
                raise client_error(f"Dependent job {entry.get('jobId')!r} does not exist")
            if kind == "N_TO_N" and dependency.array_size != array_size:
                raise client_error(
                    f"N_TO_N dependency {dependency.job_id} must be an array job of size "
                    f"{array_size}"
                )
            (found.n_to_n if kind else found.plain).append(dependency)
        return found

    def _spawn_children(self, parent: Job, dependencies: Dependencies) -> None:
        assert parent.array_size is not None
        for index in range(parent.array_size):
            child_id = f"{parent.job_id}:{index}"
            child = copy.copy(parent)
            child.job_id = child_id
            child.arn = self.resources.arn("job", child_id)
            child.array_size, child.array_index = None, index
            child.parent, child.children, child.attempts = parent, [], []
            child.tags = dict(parent.tags)
            parent.children.append(child)
            self.jobs[child_id] = child
        self.scheduler.accept(parent, [])
        for index, child in enumerate(parent.children):
            blockers = [*dependencies.plain, *(d.children[index] for d in dependencies.n_to_n)]
            if dependencies.sequential and index > 0:
                blockers.append(parent.children[index - 1])
            self.scheduler.accept(child, blockers)

    def _job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise client_error(f"Job {job_id} does not exist")
        return job

    def describe_jobs(self, params: dict[str, Any]) -> dict[str, Any]:
        ids = params["jobs"]
        if len(ids) > 100:
            raise client_error(f"DescribeJobs accepts at most 100 job IDs, got {len(ids)}")
        return {"jobs": [self.jobs[i].describe() for i in dict.fromkeys(ids) if i in self.jobs]}

    def list_jobs(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("multiNodeJobId"):
            raise client_error("Multi-node parallel jobs are not supported by batchflow local")
        filters = params.get("filters") or []
        if params.get("arrayJobId"):
            jobs = self._job(params["arrayJobId"]).children

            def key(job: Job) -> str:
                return f"{job.array_index:05d}"

            descending = False
        elif params.get("jobQueue"):
            jobs = list(self.jobs_by_queue.get(self.resources.queue(params["jobQueue"]).arn, []))

            def key(job: Job) -> str:
                return f"{job.created_at:015d}/{job.job_id}"

            descending = True
            jobs.sort(key=key, reverse=True)
        else:
            raise client_error("ListJobs needs a jobQueue or an arrayJobId")
        if filters:
            jobs = [job for job in jobs if all(_filter_matches(job, f) for f in filters)]
        else:
            status = params.get("jobStatus", "RUNNING")
            jobs = [job for job in jobs if job.status == status]
        limit = params.get("maxResults", 100)
        if not 1 <= limit <= 1000:
            raise client_error(f"maxResults must be between 1 and 1000, got {limit}")
        page, token = paginate(jobs, key, params.get("nextToken"), limit, descending=descending)
        return listing("jobSummaryList", [job.summary() for job in page], token)

    def cancel_job(self, params: dict[str, Any]) -> dict[str, Any]:
        job = self._job(params["jobId"])
        self.scheduler.cancel(job, check.check_reason(params["reason"]))
        return {}

    def terminate_job(self, params: dict[str, Any]) -> dict[str, Any]:
        job = self._job(params["jobId"])
        self.scheduler.terminate(job, check.check_reason(params["reason"]))
        return {}

    def _tagged(self, arn: str) -> Any:
        parsed = BATCH_ARN.fullmatch(arn)
        if parsed is None:
            raise client_error(f"{arn!r} is not an AWS Batch resource ARN")
        resource_type, name = parsed.groups()
        found: Any = (
            self.jobs.get(name)
            if resource_type == "job"
            else self.resources.tagged(resource_type, name)
        )
        if found is None or found.arn != arn:
            raise client_error(f"Resource {arn} does not exist")
        return found

    def tag_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        resource = self._tagged(params["resourceArn"])
        resource.tags = check.check_tags({**resource.tags, **params["tags"]})
        return {}

    def untag_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        resource = self._tagged(params["resourceArn"])
        removed = set(params["tagKeys"])
        resource.tags = {k: v for k, v in resource.tags.items() if k not in removed}
        return {}

    def list_tags_for_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"tags": dict(self._tagged(params["resourceArn"]).tags)}

    def active_job_count(self) -> int:
        return sum(job.status in ACTIVE_STATUSES for job in self.jobs.values())


def _filter_matches(job: Job, job_filter: dict[str, Any]) -> bool:
    name, values = job_filter["name"], job_filter["values"]
    if name == "JOB_NAME":
        return any(_glob(value, job.name) for value in values)
    if name == "JOB_DEFINITION":
        candidates = (
            job.definition.name,
            f"{job.definition.name}:{job.definition.revision}",
            job.definition.arn,
        )
        return any(_glob(value, c) for value in values for c in candidates)
    if name in ("BEFORE_CREATED_AT", "AFTER_CREATED_AT"):
        try:
            moment = int(values[0])
        except (IndexError, ValueError):
            raise client_error(f"Filter {name} needs a timestamp in milliseconds") from None
        return job.created_at < moment if name == "BEFORE_CREATED_AT" else job.created_at > moment
    raise client_error(
        f"Unknown filter name {name!r}: use JOB_NAME, JOB_DEFINITION, BEFORE_CREATED_AT or "
        "AFTER_CREATED_AT"
    )


def _glob(pattern: str, value: str) -> bool:
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern
