"""The Batch resources the local AWS keeps, and how DescribeX shows each of them."""

import copy
import time
from dataclasses import dataclass, field
from typing import Any

FINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED"})
ACTIVE_STATUSES = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING")


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Capacity:
    vcpus: float
    memory_mib: int
    gpus: int = 0

    def fits(self, need: "Capacity") -> bool:
        return (
            need.vcpus <= self.vcpus + 1e-9
            and need.memory_mib <= self.memory_mib
            and need.gpus <= self.gpus
        )

    def take(self, need: "Capacity") -> None:
        self.vcpus -= need.vcpus
        self.memory_mib -= need.memory_mib
        self.gpus -= need.gpus

    def give(self, need: "Capacity") -> None:
        self.vcpus += need.vcpus
        self.memory_mib += need.memory_mib
        self.gpus += need.gpus


@dataclass
class ComputeEnvironment:
    name: str
    arn: str
    kind: str
    platform: str
    compute_resources: dict[str, Any]
    free: Capacity
    limit: Capacity
    service_role: str | None
    tags: dict[str, str]
    uuid: str
    state: str = "ENABLED"

    def describe(self) -> dict[str, Any]:
        return {
            "computeEnvironmentName": self.name,
            "computeEnvironmentArn": self.arn,
            "ecsClusterArn": self.arn.replace(":batch:", ":ecs:").replace(
                "compute-environment/", f"cluster/AWSBatch-{self.name}-"
            ),
            "type": self.kind,
            "state": self.state,
            "status": "VALID",
            "statusReason": "ComputeEnvironment Healthy",
            "computeResources": self.compute_resources,
            "serviceRole": self.service_role,
            "tags": self.tags,
            "uuid": self.uuid,
            "containerOrchestrationType": "ECS",
        }


@dataclass
class JobQueue:
    name: str
    arn: str
    priority: int
    compute_environments: list[ComputeEnvironment]
    order: list[dict[str, Any]]
    tags: dict[str, str]
    state: str = "ENABLED"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def platform(self) -> str:
        return self.compute_environments[0].platform if self.compute_environments else "EC2"

    def describe(self) -> dict[str, Any]:
        return {
            "jobQueueName": self.name,
            "jobQueueArn": self.arn,
            "state": self.state,
            "status": "VALID",
            "statusReason": "JobQueue Healthy",
            "priority": self.priority,
            "computeEnvironmentOrder": self.order,
            "tags": self.tags,
            **self.extra,
        }


@dataclass
class JobDefinition:
    name: str
    revision: int
    arn: str
    spec: dict[str, Any]
    tags: dict[str, str]
    status: str = "ACTIVE"

    @property
    def platform(self) -> str:
        return "FARGATE" if "FARGATE" in self.spec.get("platformCapabilities", []) else "EC2"

    def describe(self) -> dict[str, Any]:
        return {
            "jobDefinitionName": self.name,
            "jobDefinitionArn": self.arn,
            "revision": self.revision,
            "status": self.status,
            "tags": self.tags,
            "containerOrchestrationType": "ECS",
            **copy.deepcopy(self.spec),
        }


@dataclass
class Attempt:
    started_at: int | None
    stopped_at: int
    status_reason: str
    exit_code: int | None
    reason: str | None
    log_stream_name: str | None
    task_arn: str

    def describe(self) -> dict[str, Any]:
        container: dict[str, Any] = {"taskArn": self.task_arn}
        if self.exit_code is not None:
            container["exitCode"] = self.exit_code
        if self.reason:
            container["reason"] = self.reason
        if self.log_stream_name:
            container["logStreamName"] = self.log_stream_name
        described: dict[str, Any] = {
            "container": container,
            "stoppedAt": self.stopped_at,
            "statusReason": self.status_reason,
        }
        if self.started_at is not None:
            described["startedAt"] = self.started_at
        return described


@dataclass
class Job:
    job_id: str
    name: str
    arn: str
    queue: JobQueue
    definition: JobDefinition
    container: dict[str, Any]
    need: Capacity
    depends_on: list[dict[str, str]]
    parameters: dict[str, str]
    retry_strategy: dict[str, Any] | None
    timeout_seconds: int | None
    tags: dict[str, str]
    propagate_tags: bool
    scheduling_priority: int | None
    share_identifier: str | None
    created_at: int = field(default_factory=now_ms)
    status: str = "SUBMITTED"
    status_reason: str | None = None
    started_at: int | None = None
    stopped_at: int | None = None
    attempts: list[Attempt] = field(default_factory=list)
    array_size: int | None = None
    array_index: int | None = None
    parent: "Job | None" = None
    children: list["Job"] = field(default_factory=list)
    placed_on: ComputeEnvironment | None = None
    exit_code: int | None = None
    reason: str | None = None
    log_stream_name: str | None = None
    task_arn: str | None = None

    @property
    def is_array_parent(self) -> bool:
        return self.array_size is not None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    def status_summary(self) -> dict[str, int]:
        summary = dict.fromkeys((*ACTIVE_STATUSES, *sorted(FINAL_STATUSES)), 0)
        for child in self.children:
            summary[child.status] += 1
        return summary

    def _container_detail(self) -> dict[str, Any]:
        detail = copy.deepcopy(self.container)
        for key, value in (
            ("exitCode", self.exit_code),
            ("reason", self.reason),
            ("logStreamName", self.log_stream_name),
            ("taskArn", self.task_arn),
        ):
            if value is not None:
                detail[key] = value
        return detail

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "jobArn": self.arn,
            "jobName": self.name,
            "jobId": self.job_id,
            "jobQueue": self.queue.arn,
            "status": self.status,
            "attempts": [attempt.describe() for attempt in self.attempts],
            "createdAt": self.created_at,
            "dependsOn": self.depends_on,
            "jobDefinition": self.definition.arn,
            "parameters": self.parameters,
            "container": self._container_detail(),
            "tags": self.tags,
            "propagateTags": self.propagate_tags,
            "platformCapabilities": [self.definition.platform],
        }
        optional = {
            "statusReason": self.status_reason,
            "startedAt": self.started_at,
            "stoppedAt": self.stopped_at,
            "retryStrategy": self.retry_strategy,
            "timeout": {"attemptDurationSeconds": self.timeout_seconds}
            if self.timeout_seconds
            else None,
            "schedulingPriority": self.scheduling_priority,
            "shareIdentifier": self.share_identifier,
        }
        described.update({key: value for key, value in optional.items() if value is not None})
        if self.is_array_parent:
            described["arrayProperties"] = {
                "size": self.array_size,
                "statusSummary": self.status_summary(),
            }
        elif self.array_index is not None:
            described["arrayProperties"] = {"index": self.array_index}
        return described

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "jobArn": self.arn,
            "jobId": self.job_id,
            "jobName": self.name,
            "createdAt": self.created_at,
            "status": self.status,
            "jobDefinition": self.definition.arn,
        }
        for key, value in (
            ("statusReason", self.status_reason),
            ("startedAt", self.started_at),
            ("stoppedAt", self.stopped_at),
        ):
            if value is not None:
                summary[key] = value
        container = {
            key: value
            for key, value in (("exitCode", self.exit_code), ("reason", self.reason))
            if value is not None
        }
        if container:
            summary["container"] = container
        if self.is_array_parent:
            summary["arrayProperties"] = {"size": self.array_size}
        elif self.array_index is not None:
            summary["arrayProperties"] = {"index": self.array_index}
        return summary
