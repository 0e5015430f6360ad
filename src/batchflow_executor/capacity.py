"""Jobs that can never run, refused before they wait forever.

Checked from what the Batch API says: a queue's state, and the maxvCpus of its managed compute
environments. Fargate's memory and GPU limits are checked by the Fargate sizing (jobspec.py).
For EC2 environments the API names instance types, not their memory or GPUs, so a job too big
for those is caught when Batch holds it RUNNABLE with a MISCONFIGURATION reason.
"""

from snakemake_interface_common.exceptions import WorkflowError

from batchflow_aws import AwsError
from batchflow_aws.queues import QUEUE_NOT_FOUND, JobQueue

from .jobspec import JobSize

MISCONFIGURATION = "MISCONFIGURATION"


def check_queue(queue: JobQueue, region: str) -> None:
    """Refuses a queue that accepts no jobs."""
    if queue.state != "ENABLED":
        raise WorkflowError(
            f"job queue {queue.name!r} in region {region} is {queue.state}: AWS Batch accepts "
            "no jobs on it; enable it (aws batch update-job-queue --job-queue "
            f"{queue.name} --state ENABLED) or set --batchflow-job-queue to another queue"
        )


def queue_error(error: AwsError, queue: str, region: str) -> WorkflowError:
    """An AwsError from describing a queue, said once, with what to check."""
    if error.code == QUEUE_NOT_FOUND:
        return WorkflowError(
            f"job queue {queue!r} does not exist in region {region} for these AWS credentials; "
            "check --batchflow-job-queue (or the rule's batchflow_queue resource) and "
            "--batchflow-region"
        )
    return WorkflowError(f"job queue {queue!r} in region {region} could not be read: {error}")


def check_fits(rule: str, size: JobSize, queue: JobQueue, region: str) -> None:
    """Refuses a job larger than every compute environment of its queue."""
    largest = queue.max_vcpus
    if largest is not None and size.vcpus > largest:
        raise WorkflowError(
            f"rule {rule} asks for {size.vcpus:g} vCPUs (threads), but the largest compute "
            f"environment of job queue {queue.name!r} ({region}) has {largest:g} vCPUs "
            "(maxvCpus), so the job could never start; lower the rule's threads to "
            f"{largest:g} or less, or send it to a queue with larger compute environments "
            "(batchflow_queue)"
        )


def is_misconfigured(description: dict[str, object]) -> bool:
    """Batch holds the job RUNNABLE for a reason that no amount of waiting fixes."""
    reason = description.get("statusReason")
    return (
        description.get("status") == "RUNNABLE"
        and isinstance(reason, str)
        and reason.startswith(MISCONFIGURATION)
    )


def misconfigured_message(
    job_id: str, rule: str, reason: str, size: JobSize | None, queue: JobQueue | None
) -> str:
    """Batch's own reason, with what the job asked for and, when the vCPUs fit, the resource
    that does not."""
    message = f"AWS Batch job {job_id} (rule {rule}) can never start: {reason}"
    if size is None:
        return message + "\nThe job was terminated."
    message += f"\nThe job asks for {size.describe()}."
    to_lower = "mem_mb or gpu" if size.gpus else "mem_mb"
    largest = queue.max_vcpus if queue is not None else None
    if queue is not None and largest is not None and size.vcpus <= largest:
        message += (
            f" Its vCPUs are within the {largest:g} vCPUs of job queue {queue.name!r}, so its "
            f"{'memory or GPUs are' if size.gpus else 'memory is'} more than the queue's "
            "instances have (the Batch API does not say how much they have)."
        )
    else:
        to_lower = f"threads, {to_lower}"
    return message + (
        f"\nLower the rule's {to_lower}, or send it to a queue whose instances are large "
        "enough (batchflow_queue). The job was terminated."
    )
