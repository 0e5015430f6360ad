"""The limits AWS Batch enforces, checked the way AWS checks them."""

import re
from typing import Any

from batchflow_aws.fargate import describe_fargate_choices, fargate_memory_choices

from .errors import client_error

RESOURCE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
JOB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
STATUS_PATTERN = re.compile(r"[A-Za-z0-9.: ]*\*?")
EXIT_CODE_PATTERN = re.compile(r"[0-9]*\*?")

MAX_ARRAY_SIZE = 10_000
MAX_DEPENDS_ON = 20
MAX_TAGS = 50
MAX_EVALUATE_ON_EXIT = 5
MIN_TIMEOUT_SECONDS = 60
MAX_REASON_LENGTH = 1024


def check_resource_name(kind: str, name: str) -> str:
    if not RESOURCE_NAME.fullmatch(name):
        raise client_error(
            f"{kind} name {name!r} is invalid: use up to 128 letters, numbers, hyphens and "
            "underscores"
        )
    return name


def check_job_name(kind: str, name: str) -> str:
    if not JOB_NAME.fullmatch(name):
        raise client_error(
            f"{kind} name {name!r} is invalid: up to 128 characters, starting with a letter or "
            "number, then letters, numbers, hyphens and underscores"
        )
    return name


def check_tags(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > MAX_TAGS:
        raise client_error(f"Too many tags: {len(tags)} given, at most {MAX_TAGS} are allowed")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128:
            raise client_error(f"Tag key {key[:140]!r} must be 1 to 128 characters long")
        if len(value) > 256:
            raise client_error(f"Tag value for {key!r} must be at most 256 characters long")
        if key.lower().startswith("aws:"):
            raise client_error(f"Tag key {key!r} uses the reserved prefix 'aws:'")
    return tags


def check_reason(reason: str) -> str:
    if len(reason) > MAX_REASON_LENGTH:
        raise client_error(f"reason must be at most {MAX_REASON_LENGTH} characters long")
    return reason


def check_timeout(timeout: dict[str, Any] | None) -> int | None:
    if not timeout or timeout.get("attemptDurationSeconds") is None:
        return None
    seconds = timeout["attemptDurationSeconds"]
    if seconds < MIN_TIMEOUT_SECONDS:
        raise client_error(
            f"timeout.attemptDurationSeconds must be at least {MIN_TIMEOUT_SECONDS} seconds, "
            f"got {seconds}"
        )
    return seconds


def check_retry_strategy(strategy: dict[str, Any] | None) -> dict[str, Any] | None:
    if not strategy:
        return None
    attempts = strategy.get("attempts", 1)
    if not 1 <= attempts <= 10:
        raise client_error(f"retryStrategy.attempts must be between 1 and 10, got {attempts}")
    rules = strategy.get("evaluateOnExit", [])
    if len(rules) > MAX_EVALUATE_ON_EXIT:
        raise client_error(
            f"retryStrategy.evaluateOnExit allows at most {MAX_EVALUATE_ON_EXIT} entries, "
            f"got {len(rules)}"
        )
    for rule in rules:
        action = rule.get("action", "")
        if action.upper() not in ("RETRY", "EXIT"):
            raise client_error(
                f"retryStrategy.evaluateOnExit action must be RETRY or EXIT, got {action!r}"
            )
        for field in ("onStatusReason", "onReason"):
            pattern = rule.get(field)
            if pattern is not None and (
                len(pattern) > 512 or not STATUS_PATTERN.fullmatch(pattern)
            ):
                raise client_error(
                    f"retryStrategy.evaluateOnExit {field} {pattern[:80]!r} is invalid: letters, "
                    "numbers, periods, colons and spaces, optionally ending with '*'"
                )
        code = rule.get("onExitCode")
        if code is not None and (len(code) > 512 or not EXIT_CODE_PATTERN.fullmatch(code)):
            raise client_error(
                f"retryStrategy.evaluateOnExit onExitCode {code[:80]!r} is invalid: digits, "
                "optionally ending with '*'"
            )
    return {"attempts": attempts, "evaluateOnExit": rules}


def check_array_size(size: int) -> int:
    if not 2 <= size <= MAX_ARRAY_SIZE:
        raise client_error(
            f"arrayProperties.size must be between 2 and {MAX_ARRAY_SIZE}, got {size}"
        )
    return size


def _number(kind: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise client_error(f"{kind} value {value!r} is not a number") from None
    if number <= 0:
        raise client_error(f"{kind} must be greater than 0, got {value}")
    return number


def check_resources(requirements: dict[str, str], platform: str) -> tuple[float, int, int]:
    """Validated (vCPUs, memory MiB, GPUs) of a job about to be submitted."""
    if "VCPU" not in requirements:
        raise client_error("Job must specify a VCPU resource requirement (or vcpus)")
    if "MEMORY" not in requirements:
        raise client_error("Job must specify a MEMORY resource requirement (or memory)")
    vcpus = _number("VCPU", requirements["VCPU"])
    memory = _number("MEMORY", requirements["MEMORY"])
    gpus = _number("GPU", requirements["GPU"]) if "GPU" in requirements else 0
    if memory != int(memory) or gpus != int(gpus):
        raise client_error("MEMORY and GPU must be whole numbers")
    if platform == "FARGATE":
        if gpus:
            raise client_error("GPU resources are not supported on Fargate")
        if int(memory) not in fargate_memory_choices(vcpus):
            raise client_error(
                f"Fargate resource requirements are invalid: {vcpus:g} vCPU with {memory:g} MiB "
                f"of memory ({describe_fargate_choices(vcpus)})"
            )
    else:
        if vcpus != int(vcpus):
            raise client_error(f"VCPU must be a whole number on EC2, got {requirements['VCPU']}")
        if memory < 4:
            raise client_error(f"MEMORY must be at least 4 MiB, got {memory:g}")
    return vcpus, int(memory), int(gpus)
