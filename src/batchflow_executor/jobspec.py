"""A Snakemake job's resources, turned into what its SubmitJob request asks of AWS Batch."""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from snakemake_interface_common.exceptions import WorkflowError

from batchflow_aws.fargate import (
    describe_fargate_choices,
    fargate_memory_choices,
    round_up_to_fargate,
)
from batchflow_aws.jobdefs import DEFAULT_MEMORY_MIB

FARGATE_FREE_STORAGE_GIB = 20
FARGATE_MAX_STORAGE_GIB = 200
MIN_TIMEOUT_SECONDS = 60
SPOT_RECLAIM = "Host EC2*"
PLATFORMS = ("EC2", "FARGATE")
NO_MEMORY_ASKED = "no mem_mb given"


def mb_for_mib(mib: int) -> int:
    """The smallest mem_mb that Snakemake passes on to executors as exactly `mib` MiB.

    Snakemake computes `mem_mib = ceil(mem_mb * 10**6 / 2**20)`, and 10**6 / 2**20 is
    15625 / 16384 exactly.
    """
    return (mib - 1) * 16384 // 15625 + 1


@dataclass
class JobSize:
    vcpus: float
    memory_mib: int
    gpus: int = 0
    warnings: list[str] = field(default_factory=list)
    memory_asked: str = NO_MEMORY_ASKED
    """How the rule asked for the memory, for messages: `mem_mb=20000`."""

    def describe(self) -> str:
        gpus = f", {self.gpus} GPU{'s' if self.gpus != 1 else ''}" if self.gpus else ""
        return (
            f"{self.vcpus:g} vCPU{'s' if self.vcpus != 1 else ''}, {self.memory_mib} MiB of "
            f"memory ({self.memory_asked}){gpus}"
        )

    def requirements(self) -> list[dict[str, str]]:
        requirements = [
            {"type": "VCPU", "value": f"{self.vcpus:g}"},
            {"type": "MEMORY", "value": str(self.memory_mib)},
        ]
        if self.gpus:
            requirements.append({"type": "GPU", "value": str(self.gpus)})
        return requirements


def _number(resources: Mapping[str, Any], *names: str) -> float | None:
    for name in names:
        value = resources.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _string(resources: Mapping[str, Any], name: str) -> str | None:
    value = resources.get(name)
    return str(value) if value not in (None, "") else None


def _memory_asked(resources: Mapping[str, Any]) -> str:
    for name in ("mem_mb", "mem_mib"):
        value = _number(resources, name)
        if value is not None:
            return f"{name}={value:g}"
    return NO_MEMORY_ASKED


def check_requests(threads: int, resources: Mapping[str, Any]) -> None:
    """Refuses a thread count, memory, disk or runtime of 0 or below, which would otherwise
    become a default or no limit at all without a word."""
    if threads <= 0:
        raise WorkflowError(
            f"threads: {threads} is not a number of vCPUs a job can run with; give the rule "
            "threads: 1 or more (or leave threads out for 1)"
        )
    checks = (
        (("mem_mb", "mem_mib"), "memory", "mem_mb=4096, or leave mem_mb out (then 2048 MiB)"),
        (("disk_mb", "disk_mib"), "disk size", "disk_mb=10000, or leave disk_mb out"),
        (("runtime",), "time limit", "runtime=60 (minutes), or leave runtime out (no limit)"),
    )
    for names, what, advice in checks:
        for name in names:
            value = _number(resources, name)
            if value is not None and value <= 0:
                raise WorkflowError(
                    f"{name}={value:g} is not a {what} a job can have: it must be above 0; "
                    f"give the rule a positive value such as {advice}"
                )


def job_size(
    threads: int, resources: Mapping[str, Any], platform: str, fargate_sizes: str
) -> JobSize:
    """threads -> vCPUs, mem_mb -> memory, gpu -> GPUs; never smaller than asked."""
    vcpus = float(max(threads, 1))
    memory = _number(resources, "mem_mib", "mem_mb")
    memory_mib = math.ceil(memory) if memory else DEFAULT_MEMORY_MIB
    asked = _memory_asked(resources)
    gpus = int(_number(resources, "gpu", "nvidia_gpu") or 0)
    if platform != "FARGATE":
        return JobSize(vcpus, memory_mib, gpus, memory_asked=asked)
    if gpus:
        raise WorkflowError(f"gpu={gpus} was asked for, but Fargate has no GPUs; use an EC2 queue")
    if memory_mib in fargate_memory_choices(vcpus):
        return JobSize(vcpus, memory_mib, memory_asked=asked)
    rounded = round_up_to_fargate(vcpus, memory_mib)
    if rounded is None:
        raise WorkflowError(
            f"{vcpus:g} vCPU with {memory_mib} MiB ({asked}) is larger than any Fargate size "
            "(at most 16 vCPU and 122880 MiB); use an EC2 queue"
        )
    if fargate_sizes == "exact":
        raise WorkflowError(
            f"memory {memory_mib} MiB ({asked}) with {vcpus:g} vCPU is not a valid Fargate size "
            f"({describe_fargate_choices(vcpus)}); use threads={rounded[0]:g} and "
            f"mem_mb={mb_for_mib(rounded[1])} (Snakemake passes that on as {rounded[1]} MiB), "
            "or --batchflow-fargate-sizes round-up"
        )
    warning = (
        f"{vcpus:g} vCPU / {memory_mib} MiB ({asked}) is not a Fargate size; "
        f"running with {rounded[0]:g} vCPU / {rounded[1]} MiB"
    )
    return JobSize(rounded[0], rounded[1], warnings=[warning], memory_asked=asked)


def timeout_seconds(resources: Mapping[str, Any]) -> int | None:
    """Snakemake's `runtime` (minutes) as Batch's attempt timeout (at least 60 s)."""
    runtime = _number(resources, "runtime")
    if not runtime:
        return None
    return max(MIN_TIMEOUT_SECONDS, math.ceil(runtime * 60))


def ephemeral_storage_gib(resources: Mapping[str, Any], platform: str) -> int | None:
    """disk_mb as Fargate ephemeral storage; EC2 jobs use the instance's disk."""
    disk = _number(resources, "disk_mib", "disk_mb")
    if platform != "FARGATE" or not disk:
        return None
    gib = math.ceil(disk / 1024)
    if gib > FARGATE_MAX_STORAGE_GIB:
        raise WorkflowError(
            f"disk_mb={disk:g} needs {gib} GiB, more than Fargate's {FARGATE_MAX_STORAGE_GIB} GiB; "
            "use an EC2 queue"
        )
    return gib if gib > FARGATE_FREE_STORAGE_GIB else None


def retry_strategy(spot_retries: int) -> dict[str, Any]:
    """Batch reruns attempts lost to Spot; any other failure exits for Snakemake to handle."""
    if not 0 <= spot_retries <= 9:
        raise WorkflowError(f"Spot retries must be between 0 and 9, got {spot_retries}")
    return {
        "attempts": spot_retries + 1,
        "evaluateOnExit": [
            {"onStatusReason": SPOT_RECLAIM, "action": "RETRY"},
            {"onReason": "*", "action": "EXIT"},
        ],
    }


def parse_tags(pairs: list[str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.strip():
            raise WorkflowError(f"--batchflow-tags takes key=value pairs, got {pair!r}")
        tags[key.strip()] = value.strip()
    return tags


def rule_override(resources: Mapping[str, Any], name: str, default: str | None) -> str | None:
    return _string(resources, f"batchflow_{name}") or default


def checked_platform(value: str, source: str) -> str:
    platform = value.upper()
    if platform not in PLATFORMS:
        raise WorkflowError(f"{source} must be EC2 or FARGATE, got {value!r}")
    return platform
