import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from batchflow_local.server import LocalAwsServer

FINAL = ("SUCCEEDED", "FAILED")


@pytest.fixture(scope="session")
def shell_job(batch: Any) -> str:
    """A job definition for small shell commands: 1 vCPU, 64 MiB."""
    batch.register_job_definition(
        jobDefinitionName="shell",
        type="container",
        containerProperties={
            "image": "public.ecr.aws/docker/library/busybox:1.36",
            "command": ["true"],
            "resourceRequirements": [
                {"type": "VCPU", "value": "1"},
                {"type": "MEMORY", "value": "64"},
            ],
        },
    )
    return "shell"


@pytest.fixture
def submit(batch: Any, shell_job: str) -> Callable[..., dict[str, Any]]:
    """Submits `command` to the `local` queue with the shell job definition."""

    def submit_command(name: str, command: list[str] | None = None, **extra: Any) -> dict[str, Any]:
        overrides = {"containerOverrides": {"command": command}} if command else {}
        return batch.submit_job(
            jobName=name, jobQueue="local", jobDefinition=shell_job, **overrides, **extra
        )

    return submit_command


@pytest.fixture
def run(batch: Any, shell_job: str) -> Callable[..., dict[str, Any]]:
    """Submits a shell command to the `local` queue and returns its description once final."""

    def submit_and_wait(script: str, wait_seconds: float = 60, **submit: Any) -> dict[str, Any]:
        overrides = submit.pop("containerOverrides", {})
        job = batch.submit_job(
            jobName=submit.pop("jobName", "test"),
            jobQueue=submit.pop("jobQueue", "local"),
            jobDefinition=submit.pop("jobDefinition", shell_job),
            containerOverrides={"command": ["sh", "-c", script], **overrides},
            **submit,
        )
        return wait_for(batch, job["jobId"], FINAL, wait_seconds)

    return submit_and_wait


def wait_for(
    batch: Any, job_id: str, statuses: tuple[str, ...] = FINAL, timeout: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = batch.describe_jobs(jobs=[job_id])["jobs"][0]
        if job["status"] in statuses:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")
        time.sleep(0.05)


def log_messages(logs: Any, job: dict[str, Any], group: str = "/aws/batch/job") -> list[str]:
    events = logs.get_log_events(
        logGroupName=group, logStreamName=job["container"]["logStreamName"], startFromHead=True
    )["events"]
    return [event["message"] for event in events]


def scratch_root(local_aws: LocalAwsServer) -> Path:
    return Path(local_aws.config.workdir) / "jobs"
