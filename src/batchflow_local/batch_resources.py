"""AWS Batch's configuration resources: compute environments, job queues, job definitions."""

import copy
import uuid
from typing import Any

from . import batch_validation as check
from .batch_models import Capacity, ComputeEnvironment, JobDefinition, JobQueue
from .config import LocalAwsConfig
from .errors import client_error
from .pagination import listing, paginate

PLATFORM_OF_COMPUTE_TYPE = {
    "EC2": "EC2",
    "SPOT": "EC2",
    "FARGATE": "FARGATE",
    "FARGATE_SPOT": "FARGATE",
}
RESERVED_ENVIRONMENT_PREFIX = "AWS_BATCH"


def resource_requirements(container: dict[str, Any]) -> dict[str, str]:
    """Resource requirements by type, from `resourceRequirements` or the older vcpus/memory."""
    found = {r["type"]: r["value"] for r in container.get("resourceRequirements", [])}
    for legacy, kind in (("vcpus", "VCPU"), ("memory", "MEMORY")):
        if container.get(legacy) is not None:
            found.setdefault(kind, str(container[legacy]))
    return found


def check_environment_names(container: dict[str, Any]) -> None:
    for variable in container.get("environment", []):
        if variable.get("name", "").startswith(RESERVED_ENVIRONMENT_PREFIX):
            raise client_error(
                f"Environment variable {variable['name']!r} uses the reserved prefix "
                f"{RESERVED_ENVIRONMENT_PREFIX}"
            )


class BatchResources:
    """Compute environments, job queues and job definitions."""

    def __init__(self, config: LocalAwsConfig, account: str) -> None:
        self.config = config
        self.account = account
        self.compute_environments: dict[str, ComputeEnvironment] = {}
        self.queues: dict[str, JobQueue] = {}
        self.definitions: dict[str, list[JobDefinition]] = {}

    def arn(self, kind: str, name: str) -> str:
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
            arn=self.arn("compute-environment", name),
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
        return _describe_named(
            self.compute_environments,
            params.get("computeEnvironments"),
            "computeEnvironments",
            params,
        )

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
            arn=self.arn("job-queue", name),
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

    def queue(self, name_or_arn: str) -> JobQueue:
        queue = self.queues.get(name_or_arn.rsplit("job-queue/", 1)[-1])
        if queue is None or (name_or_arn.startswith("arn:") and queue.arn != name_or_arn):
            raise client_error(f"JobQueue {name_or_arn} not found")
        return queue

    def describe_job_queues(self, params: dict[str, Any]) -> dict[str, Any]:
        return _describe_named(self.queues, params.get("jobQueues"), "jobQueues", params)

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
        check_environment_names(container)
        platforms = params.get("platformCapabilities", ["EC2"])
        platform = "FARGATE" if "FARGATE" in platforms else "EC2"
        requirements = resource_requirements(container)
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
            arn=self.arn("job-definition", f"{name}:{revision}"),
            spec=spec,
            tags=check.check_tags(params.get("tags", {})),
        )
        revisions.append(definition)
        return {"jobDefinitionName": name, "jobDefinitionArn": definition.arn, "revision": revision}

    def definitions_named(self, reference: str) -> list[JobDefinition]:
        """All revisions a reference names: `name`, `name:revision` or an ARN."""
        name_revision = reference.rsplit("job-definition/", 1)[-1]
        name, _, revision = name_revision.partition(":")
        revisions = self.definitions.get(name, [])
        if not revision:
            return list(revisions)
        if not (revision.isascii() and revision.isdigit()):
            raise client_error(f"Job definition revision {revision!r} is not a number")
        return [d for d in revisions if d.revision == int(revision)]

    def definition(self, reference: str) -> JobDefinition:
        candidates = self.definitions_named(reference)
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
            found = {d.arn: d for ref in references for d in self.definitions_named(ref)}
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
        return listing("jobDefinitions", [d.describe() for d in page], token)

    def deregister_job_definition(self, params: dict[str, Any]) -> dict[str, Any]:
        reference = params["jobDefinition"]
        if ":" not in reference.rsplit("job-definition/", 1)[-1]:
            raise client_error(
                f"jobDefinition {reference!r} must be name:revision or a job definition ARN"
            )
        self.definition(reference).status = "INACTIVE"
        return {}

    def tagged(
        self, resource_type: str, name: str
    ) -> ComputeEnvironment | JobQueue | JobDefinition | None:
        if resource_type == "compute-environment":
            return self.compute_environments.get(name)
        if resource_type == "job-queue":
            return self.queues.get(name)
        if resource_type == "job-definition":
            return next(iter(self.definitions_named(name)), None)
        return None


def _describe_named(
    resources: dict[str, ComputeEnvironment] | dict[str, JobQueue],
    wanted: list[str] | None,
    field: str,
    params: dict[str, Any],
) -> dict[str, Any]:
    """DescribeComputeEnvironments and DescribeJobQueues: by name or ARN, in name order."""
    found = sorted(resources.values(), key=lambda resource: resource.name)
    if wanted:
        found = [r for r in found if r.name in wanted or r.arn in wanted]
    page, token = paginate(
        found, lambda r: r.name, params.get("nextToken"), params.get("maxResults", 100)
    )
    return listing(field, [resource.describe() for resource in page], token)
