"""The AWS Batch API: compute environments, queues, job definitions, jobs and their tags."""

import copy
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from . import batch_validation as check
from .batch_models import (
    ACTIVE_STATUSES,
    Capacity,
    ComputeEnvironment,
    Job,
    JobDefinition,
    JobQueue,
)
from .config import LocalAwsConfig
from .errors import client_error
from .pagination import paginate
from .scheduler import JobScheduler

PLATFORM_OF_COMPUTE_TYPE = {
    "EC2": "EC2",
    "SPOT": "EC2",
    "FARGATE": "FARGATE",
    "FARGATE_SPOT": "FARGATE",
}
RESERVED_ENVIRONMENT_PREFIX = "AWS_BATCH"
BATCH_ARN = re.compile(r"arn:aws:batch:[^:]+:\d+:([a-z-]+)/(.+)")


@dataclass
class Dependencies:
    plain: list[Job] = field(default_factory=list)
    n_to_n: list[Job] = field(default_factory=list)
    sequential: bool = False


def _requirements(container: dict[str, Any]) -> dict[str, str]:
    """Resource requirements by type, from `resourceRequirements` or the older vcpus/memory."""
    found = {r["type"]: r["value"] for r in container.get("resourceRequirements", [])}
    for legacy, kind in (("vcpus", "VCPU"), ("memory", "MEMORY")):
        if container.get(legacy) is not None:
            found.setdefault(kind, str(container[legacy]))
    return found


def _check_environment_names(container: dict[str, Any]) -> None:
    for variable in container.get("environment", []):
        if variable.get("name", "").startswith(RESERVED_ENVIRONMENT_PREFIX):
            raise client_error(
                f"Environment variable {variable['name']!r} uses the reserved prefix "
                f"{RESERVED_ENVIRONMENT_PREFIX}"
            )


def _apply_overrides(container: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(container)
    if "command" in overrides:
        merged["command"] = list(overrides["command"])
    if overrides.get("environment"):
        environment = {e["name"]: e for e in merged.get("environment", [])}
        environment.update({e["name"]: e for e in overrides["environment"]})
        merged["environment"] = list(environment.values())
    requirements = _requirements(merged)
    requirements.update(_requirements(overrides))
    merged.pop("vcpus", None)
    merged.pop("memory", None)
    merged["resourceRequirements"] = [
        {"type": kind, "value": value} for kind, value in sorted(requirements.items())
    ]
    if overrides.get("instanceType"):
        merged["instanceType"] = overrides["instanceType"]
    return merged


class BatchBackend:
    def __init__(self, config: LocalAwsConfig, account: str, scheduler: JobScheduler) -> None:
        self.config = config
        self.account = account
        self.scheduler = scheduler
        self.compute_environments: dict[str, ComputeEnvironment] = {}
        self.queues: dict[str, JobQueue] = {}
        self.definitions: dict[str, list[JobDefinition]] = {}
        self.jobs: dict[str, Job] = {}
        self.jobs_by_queue: dict[str, list[Job]] = {}

    def _arn(self, kind: str, name: str) -> str:
        return f"arn:aws:batch:{self.config.region}:{self.account}:{kind}/{name}"

    # Compute environments and job queues

    def create_compute_environment(self, params: dict[str, Any]) -> dict[str, Any]:
        name = check.check_resource_name("Compute environment", params["computeEnvironmentName"])
        if name in self.compute_environments:
            raise client_error(f"Object already exists: compute environment {name}")
        kind = params["type"].upper()
        resources = copy.deepcopy(params.get("computeResources") or {})
        if kind == "MANAGED":
            if not resources:
                raise client_error("computeResources is required for a MANAGED compute environment")
            compute_type = resources.get("type", "").upper()
            if compute_type not in PLATFORM_OF_COMPUTE_TYPE:
                raise client_error(
                    f"computeResources.type must be one of {', '.join(PLATFORM_OF_COMPUTE_TYPE)}, "
                    f"got {resources.get('type')!r}"
                )
            if resources.get("maxvCpus") is None:
                raise client_error("computeResources.maxvCpus is required")
            platform = PLATFORM_OF_COMPUTE_TYPE[compute_type]
            vcpus = resources["maxvCpus"]
        elif kind == "UNMANAGED":
            platform, vcpus = "EC2", params.get("unmanagedvCpus", 0)
        else:
            raise client_error(f"type must be MANAGED or UNMANAGED, got {params['type']!r}")
        limit = Capacity(vcpus, self.config.memory_mib)
        environment = ComputeEnvironment(
            name=name,
            arn=self._arn("compute-environment", name),
            kind=kind,
            platform=platform,
            compute_resources=resources,
            free=Capacity(limit.vcpus, limit.memory_mib),
            limit=limit,
            service_role=params.get("serviceRole"),
            tags=check.check_tags(params.get("tags", {})),
            uuid=str(uuid.uuid4()),
            state=params.get("state", "ENABLED").upper(),
        )
        self.compute_environments[name] = environment
        return {"computeEnvironmentName": name, "computeEnvironmentArn": environment.arn}

    def _compute_environment(self, name_or_arn: str) -> ComputeEnvironment:
        name = name_or_arn.rsplit("compute-environment/", 1)[-1]
        environment = self.compute_environments.get(name)
        if environment is None or (
            name_or_arn.startswith("arn:") and environment.arn != name_or_arn
        ):
            raise client_error(f"Compute environment {name_or_arn} does not exist")
        return environment

    def describe_compute_environments(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = params.get("computeEnvironments")
        environments = sorted(self.compute_environments.values(), key=lambda ce: ce.name)
        if wanted:
            environments = [ce for ce in environments if ce.name in wanted or ce.arn in wanted]
        page, token = paginate(
            environments, lambda ce: ce.name, params.get("nextToken"), params.get("maxResults", 100)
        )
        result: dict[str, Any] = {"computeEnvironments": [ce.describe() for ce in page]}
        if token:
            result["nextToken"] = token
        return result

    def create_job_queue(self, params: dict[str, Any]) -> dict[str, Any]:
        name = check.check_resource_name("Job queue", params["jobQueueName"])
        if name in self.queues:
            raise client_error(f"Object already exists: job queue {name}")
        order = sorted(params.get("computeEnvironmentOrder", []), key=lambda entry: entry["order"])
        if not 1 <= len(order) <= 3:
            raise client_error(
                "computeEnvironmentOrder must name between 1 and 3 compute environments"
            )
        environments = [self._compute_environment(entry["computeEnvironment"]) for entry in order]
        if len({ce.platform for ce in environments}) > 1:
            raise client_error(
                "A job queue cannot mix Fargate and EC2 compute environments: "
                + ", ".join(f"{ce.name} ({ce.platform})" for ce in environments)
            )
        queue = JobQueue(
            name=name,
            arn=self._arn("job-queue", name),
            priority=params["priority"],
            compute_environments=environments,
            order=[
                {"order": entry["order"], "computeEnvironment": ce.arn}
                for entry, ce in zip(order, environments, strict=True)
            ],
            tags=check.check_tags(params.get("tags", {})),
            state=params.get("state", "ENABLED").upper(),
            extra={
                key: params[key]
                for key in ("schedulingPolicyArn", "jobStateTimeLimitActions")
                if key in params
            },
        )
        self.queues[name] = queue
        return {"jobQueueName": name, "jobQueueArn": queue.arn}

    def _queue(self, name_or_arn: str) -> JobQueue:
        queue = self.queues.get(name_or_arn.rsplit("job-queue/", 1)[-1])
        if queue is None or (name_or_arn.startswith("arn:") and queue.arn != name_or_arn):
            raise client_error(f"JobQueue {name_or_arn} not found")
        return queue

    def describe_job_queues(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = params.get("jobQueues")
        queues = sorted(self.queues.values(), key=lambda q: q.name)
        if wanted:
            queues = [q for q in queues if q.name in wanted or q.arn in wanted]
        page, token = paginate(
            queues, lambda q: q.name, params.get("nextToken"), params.get("maxResults", 100)
        )
        result: dict[str, Any] = {"jobQueues": [q.describe() for q in page]}
        if token:
            result["nextToken"] = token
        return result

    # Job definitions

    def register_job_definition(self, params: dict[str, Any]) -> dict[str, Any]:
        name = check.check_job_name("Job definition", params["jobDefinitionName"])
        if params["type"] != "container":
            raise client_error(
                f"Job definition type {params['type']!r} is not supported by batchflow local; "
                "use type 'container'"
            )
        for unsupported in ("nodeProperties", "eksProperties", "ecsProperties"):
            if params.get(unsupported):
                raise client_error(f"{unsupported} is not supported by batchflow local")
        container = params.get("containerProperties")
        if not container or not container.get("image"):
            raise client_error("containerProperties.image is required for a container job")
        _check_environment_names(container)
        platforms = params.get("platformCapabilities", ["EC2"])
        platform = "FARGATE" if "FARGATE" in platforms else "EC2"
        requirements = _requirements(container)
        if "VCPU" in requirements and "MEMORY" in requirements:
            check.check_resources(requirements, platform)
        spec: dict[str, Any] = {
            "type": "container",
            "parameters": params.get("parameters", {}),
            "containerProperties": copy.deepcopy(container),
            "platformCapabilities": platforms,
            "propagateTags": params.get("propagateTags", False),
        }
        retry = check.check_retry_strategy(params.get("retryStrategy"))
        if retry:
            spec["retryStrategy"] = retry
        timeout = check.check_timeout(params.get("timeout"))
        if timeout:
            spec["timeout"] = {"attemptDurationSeconds": timeout}
        if params.get("schedulingPriority") is not None:
            spec["schedulingPriority"] = params["schedulingPriority"]
        revisions = self.definitions.setdefault(name, [])
        revision = len(revisions) + 1
        definition = JobDefinition(
            name=name,
            revision=revision,
            arn=self._arn("job-definition", f"{name}:{revision}"),
            spec=spec,
            tags=check.check_tags(params.get("tags", {})),
        )
        revisions.append(definition)
        return {"jobDefinitionName": name, "jobDefinitionArn": definition.arn, "revision": revision}

    def _definitions_named(self, reference: str) -> list[JobDefinition]:
        """All revisions a reference names: `name`, `name:revision` or an ARN."""
        name_revision = reference.rsplit("job-definition/", 1)[-1]
        name, _, revision = name_revision.partition(":")
        revisions = self.definitions.get(name, [])
        if not revision:
            return list(revisions)
        if not revision.isdigit():
            raise client_error(f"Job definition revision {revision!r} is not a number")
        return [d for d in revisions if d.revision == int(revision)]

    def _definition(self, reference: str) -> JobDefinition:
        candidates = self._definitions_named(reference)
        if ":" not in reference.rsplit("job-definition/", 1)[-1]:
            candidates = [d for d in candidates if d.status == "ACTIVE"][-1:]
        if not candidates:
            raise client_error(f"Job definition {reference} does not exist")
        return candidates[0]

    def describe_job_definitions(self, params: dict[str, Any]) -> dict[str, Any]:
        references = params.get("jobDefinitions")
        if references and len(references) > 100:
            raise client_error("jobDefinitions accepts at most 100 entries")
        if references:
            found = {d.arn: d for ref in references for d in self._definitions_named(ref)}
            definitions = list(found.values())
        else:
            definitions = [d for revisions in self.definitions.values() for d in revisions]
        if params.get("jobDefinitionName"):
            definitions = [d for d in definitions if d.name == params["jobDefinitionName"]]
        if params.get("status"):
            definitions = [d for d in definitions if d.status == params["status"]]
        definitions.sort(key=lambda d: (d.name, d.revision))
        page, token = paginate(
            definitions,
            lambda d: f"{d.name}:{d.revision:09d}",
            params.get("nextToken"),
            params.get("maxResults", 100),
        )
        result: dict[str, Any] = {"jobDefinitions": [d.describe() for d in page]}
        if token:
            result["nextToken"] = token
        return result

    def deregister_job_definition(self, params: dict[str, Any]) -> dict[str, Any]:
        reference = params["jobDefinition"]
        if ":" not in reference.rsplit("job-definition/", 1)[-1]:
            raise client_error(
                f"jobDefinition {reference!r} must be name:revision or a job definition ARN"
            )
        self._definition(reference).status = "INACTIVE"
        return {}

    # Jobs

    def submit_job(self, params: dict[str, Any]) -> dict[str, Any]:
        name = check.check_job_name("Job", params["jobName"])
        queue = self._queue(params["jobQueue"])
        if queue.state != "ENABLED":
            raise client_error(f"JobQueue {queue.name} is DISABLED")
        definition = self._definition(params["jobDefinition"])
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
        _check_environment_names(overrides)
        container = _apply_overrides(definition.spec["containerProperties"], overrides)
        vcpus, memory, gpus = check.check_resources(_requirements(container), definition.platform)
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
            arn=self._arn("job", job_id),
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
            child.arn = self._arn("job", child_id)
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
            jobs = list(self.jobs_by_queue.get(self._queue(params["jobQueue"]).arn, []))

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
        result: dict[str, Any] = {"jobSummaryList": [job.summary() for job in page]}
        if token:
            result["nextToken"] = token
        return result

    def cancel_job(self, params: dict[str, Any]) -> dict[str, Any]:
        job = self._job(params["jobId"])
        self.scheduler.cancel(job, check.check_reason(params["reason"]))
        return {}

    def terminate_job(self, params: dict[str, Any]) -> dict[str, Any]:
        job = self._job(params["jobId"])
        self.scheduler.terminate(job, check.check_reason(params["reason"]))
        return {}

    # Tags

    def _tagged(self, arn: str) -> Any:
        parsed = BATCH_ARN.fullmatch(arn)
        if parsed is None:
            raise client_error(f"{arn!r} is not an AWS Batch resource ARN")
        resource_type, name = parsed.groups()
        found: Any = {
            "compute-environment": lambda: self.compute_environments.get(name),
            "job-queue": lambda: self.queues.get(name),
            "job-definition": lambda: next(
                (d for d in self._definitions_named(name) if d.arn == arn), None
            ),
            "job": lambda: self.jobs.get(name),
        }.get(resource_type, lambda: None)()
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
