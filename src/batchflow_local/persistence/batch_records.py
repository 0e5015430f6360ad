"""Batch resources and jobs as JSON records, and back."""

import copy
from dataclasses import asdict
from typing import Any

from ..batch_models import Attempt, Capacity, ComputeEnvironment, Job, JobDefinition, JobQueue

Record = dict[str, Any]


def compute_environment_record(environment: ComputeEnvironment) -> Record:
    return {
        "name": environment.name,
        "arn": environment.arn,
        "kind": environment.kind,
        "platform": environment.platform,
        "computeResources": environment.compute_resources,
        "vcpus": environment.limit.vcpus,
        "gpus": environment.limit.gpus,
        "serviceRole": environment.service_role,
        "tags": environment.tags,
        "uuid": environment.uuid,
        "state": environment.state,
    }


def compute_environment_from(record: Record, memory_mib: int) -> ComputeEnvironment:
    """Memory is the machine's, as when the environment was created: `memory_mib` now."""
    limit = Capacity(record["vcpus"], memory_mib, record["gpus"])
    return ComputeEnvironment(
        name=record["name"],
        arn=record["arn"],
        kind=record["kind"],
        platform=record["platform"],
        compute_resources=record["computeResources"],
        free=copy.copy(limit),
        limit=limit,
        service_role=record["serviceRole"],
        tags=record["tags"],
        uuid=record["uuid"],
        state=record["state"],
    )


def queue_record(queue: JobQueue) -> Record:
    return {
        "name": queue.name,
        "arn": queue.arn,
        "priority": queue.priority,
        "computeEnvironments": [ce.name for ce in queue.compute_environments],
        "order": queue.order,
        "tags": queue.tags,
        "state": queue.state,
        "extra": queue.extra,
    }


def queue_from(record: Record, environments: dict[str, ComputeEnvironment]) -> JobQueue:
    return JobQueue(
        name=record["name"],
        arn=record["arn"],
        priority=record["priority"],
        compute_environments=[environments[name] for name in record["computeEnvironments"]],
        order=record["order"],
        tags=record["tags"],
        state=record["state"],
        extra=record["extra"],
    )


def definition_record(definition: JobDefinition) -> Record:
    return asdict(definition)


def definition_from(record: Record) -> JobDefinition:
    return JobDefinition(**record)


def job_record(job: Job) -> Record:
    """What a job is now. An array child holds only what differs from its parent."""
    record: Record = {
        "jobId": job.job_id,
        "arn": job.arn,
        "status": job.status,
        "statusReason": job.status_reason,
        "startedAt": job.started_at,
        "stoppedAt": job.stopped_at,
        "attempts": [asdict(attempt) for attempt in job.attempts],
        "exitCode": job.exit_code,
        "reason": job.reason,
        "logStreamName": job.log_stream_name,
        "taskArn": job.task_arn,
        "tags": job.tags,
    }
    if job.parent is not None:
        return {**record, "parent": job.parent.job_id, "arrayIndex": job.array_index}
    return {
        **record,
        "name": job.name,
        "queue": job.queue.name,
        "definition": job.definition.arn,
        "container": job.container,
        "need": asdict(job.need),
        "dependsOn": job.depends_on,
        "parameters": job.parameters,
        "retryStrategy": job.retry_strategy,
        "timeoutSeconds": job.timeout_seconds,
        "propagateTags": job.propagate_tags,
        "schedulingPriority": job.scheduling_priority,
        "shareIdentifier": job.share_identifier,
        "createdAt": job.created_at,
        "arraySize": job.array_size,
    }


def _apply_state(job: Job, record: Record) -> Job:
    job.status = record["status"]
    job.status_reason = record["statusReason"]
    job.started_at = record["startedAt"]
    job.stopped_at = record["stoppedAt"]
    job.attempts = [Attempt(**attempt) for attempt in record["attempts"]]
    job.exit_code = record["exitCode"]
    job.reason = record["reason"]
    job.log_stream_name = record["logStreamName"]
    job.task_arn = record["taskArn"]
    job.tags = record["tags"]
    return job


def job_from(
    record: Record,
    queues: dict[str, JobQueue],
    definitions: dict[str, JobDefinition],
    jobs: dict[str, Job],
) -> Job:
    """Array children need their parent in `jobs` already."""
    if "parent" in record:
        parent = jobs[record["parent"]]
        child = copy.copy(parent)
        child.job_id, child.arn = record["jobId"], record["arn"]
        child.array_size, child.array_index = None, record["arrayIndex"]
        child.parent, child.children = parent, []
        parent.children.append(child)
        return _apply_state(child, record)
    job = Job(
        job_id=record["jobId"],
        name=record["name"],
        arn=record["arn"],
        queue=queues[record["queue"]],
        definition=definitions[record["definition"]],
        container=record["container"],
        need=Capacity(**record["need"]),
        depends_on=record["dependsOn"],
        parameters=record["parameters"],
        retry_strategy=record["retryStrategy"],
        timeout_seconds=record["timeoutSeconds"],
        tags=record["tags"],
        propagate_tags=record["propagateTags"],
        scheduling_priority=record["schedulingPriority"],
        share_identifier=record["shareIdentifier"],
        created_at=record["createdAt"],
        array_size=record["arraySize"],
    )
    return _apply_state(job, record)
