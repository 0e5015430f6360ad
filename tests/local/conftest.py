import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from batchflow_executor.local import LocalAwsConfig, LocalAwsServer

FINAL = ("SUCCEEDED", "FAILED")
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture(scope="session")
def local_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAwsServer]:
    config = LocalAwsConfig(
        workdir=tmp_path_factory.mktemp("local-aws"),
        port=0,
        vcpus=8,
        memory_mib=16_384,
        stop_timeout_seconds=2,
        timeout_scale=0.05,
    )
    server = LocalAwsServer(config).start_in_thread()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def client_factory(local_aws: LocalAwsServer) -> Callable[..., Any]:
    environment = local_aws.client_environment()

    def make(service: str, config: Config | None = None) -> Any:
        return boto3.client(
            service,
            endpoint_url=environment["AWS_ENDPOINT_URL"],
            region_name=environment["AWS_DEFAULT_REGION"],
            aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
            config=config,
        )

    return make


@pytest.fixture(scope="session")
def batch(client_factory: Callable[..., Any]) -> Any:
    return client_factory("batch")


@pytest.fixture(scope="session")
def logs(client_factory: Callable[..., Any]) -> Any:
    return client_factory("logs")


@pytest.fixture(scope="session")
def s3(client_factory: Callable[..., Any]) -> Any:
    return client_factory("s3")


@pytest.fixture(scope="session")
def admin(local_aws: LocalAwsServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{local_aws.endpoint}/_batchflow", timeout=10) as client:
        yield client


@pytest.fixture
def faults(admin: httpx.Client) -> Iterator[Callable[..., None]]:
    def configure(**settings: Any) -> None:
        admin.put("/faults", json=settings).raise_for_status()

    yield configure
    admin.put("/faults", json={}).raise_for_status()


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
