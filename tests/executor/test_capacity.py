"""Jobs that can never run are refused from what the Batch API says about the queue."""

import pytest
from snakemake_interface_common.exceptions import WorkflowError

from batchflow_aws import AwsError
from batchflow_aws.queues import ComputeEnvironment, JobQueue
from batchflow_executor.capacity import (
    check_fits,
    check_queue,
    is_misconfigured,
    misconfigured_message,
    queue_error,
)
from batchflow_executor.jobspec import JobSize


def queue(*environments: ComputeEnvironment, state: str = "ENABLED") -> JobQueue:
    return JobQueue("tasks", state, "VALID", environments)


SPOT_8 = ComputeEnvironment("spot", "SPOT", 8, "ENABLED")
ONDEMAND_64 = ComputeEnvironment("ondemand", "EC2", 64, "DISABLED")
UNMANAGED = ComputeEnvironment("own", "UNMANAGED", None, "ENABLED")


def test_more_vcpus_than_the_largest_environment_is_refused_naming_both() -> None:
    with pytest.raises(WorkflowError) as raised:
        check_fits("align", JobSize(16, 2048), queue(SPOT_8), "eu-west-1")

    message = str(raised.value)
    assert "rule align asks for 16 vCPUs (threads)" in message
    assert "job queue 'tasks' (eu-west-1) has 8 vCPUs (maxvCpus)" in message
    assert "lower the rule's threads to 8 or less" in message


def test_the_largest_environment_counts_even_when_disabled_and_unknown_sizes_pass() -> None:
    check_fits("align", JobSize(16, 2048), queue(SPOT_8, ONDEMAND_64), "eu-west-1")
    check_fits("align", JobSize(512, 2048), queue(SPOT_8, UNMANAGED), "eu-west-1")


def test_a_disabled_queue_and_a_missing_one_are_said_once_with_what_to_do() -> None:
    with pytest.raises(WorkflowError, match=r"'tasks' in region eu-west-1 is DISABLED.*enable"):
        check_queue(queue(SPOT_8, state="DISABLED"), "eu-west-1")
    missing = AwsError("DescribeJobQueues for nope", "no such queue", "JobQueueNotFound")

    message = str(queue_error(missing, "nope", "eu-west-1"))

    assert "job queue 'nope' does not exist in region eu-west-1" in message
    assert "--batchflow-job-queue" in message
    assert "--batchflow-region" in message


def test_only_a_runnable_job_held_for_misconfiguration_counts_as_impossible() -> None:
    reason = "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - too big"

    assert is_misconfigured({"status": "RUNNABLE", "statusReason": reason})
    assert not is_misconfigured({"status": "RUNNABLE", "statusReason": "CAPACITY:INSUFFICIENT"})
    assert not is_misconfigured({"status": "RUNNABLE"})
    assert not is_misconfigured({"status": "FAILED", "statusReason": reason})


def test_the_misconfiguration_message_names_the_resource_that_does_not_fit() -> None:
    memory = misconfigured_message(
        "j1",
        "align",
        "MISCONFIGURATION:X",
        JobSize(4, 40000, memory_asked="mem_mb=41944"),
        queue(SPOT_8),
    )
    gpu = misconfigured_message("j2", "train", "MISCONFIGURATION:X", JobSize(1, 2048, 1), None)

    assert "4 vCPUs, 40000 MiB of memory (mem_mb=41944)" in memory
    assert "within the 8 vCPUs of job queue 'tasks', so its memory is more" in memory
    assert "Lower the rule's mem_mb," in memory
    assert "1 vCPU, 2048 MiB of memory (no mem_mb given), 1 GPU" in gpu
    assert "Lower the rule's threads, mem_mb or gpu," in gpu
