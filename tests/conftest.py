"""Fixtures every part of the suite shares: one local AWS for the whole session."""

import os
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from batchflow_local.config import LocalAwsConfig
from batchflow_local.server import LocalAwsServer

from .postgres_server import find_bindir, throwaway_postgres
from .prerequisites import missing

NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})
EVENTS_QUEUE = "batchflow-test-events"


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


@pytest.fixture(scope="module")
def events_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAwsServer]:
    """A local AWS of the module's own that sends job state events to EVENTS_QUEUE, so that
    only the module's jobs publish events."""
    config = LocalAwsConfig(
        workdir=tmp_path_factory.mktemp("events-aws"),
        port=0,
        vcpus=8,
        memory_mib=16_384,
        stop_timeout_seconds=2,
        events_queue=EVENTS_QUEUE,
    )
    server = LocalAwsServer(config).start_in_thread()
    yield server
    server.stop()


def aws_client(
    server: LocalAwsServer, service: str, config: Config | None = None, secret: str | None = None
) -> Any:
    """A boto3 client of `server`, signed with its credentials (or with another `secret`)."""
    environment = server.client_environment()
    return boto3.client(
        service,
        endpoint_url=environment["AWS_ENDPOINT_URL"],
        region_name=environment["AWS_DEFAULT_REGION"],
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=secret or environment["AWS_SECRET_ACCESS_KEY"],
        config=config,
    )


@pytest.fixture(scope="session")
def client_factory(local_aws: LocalAwsServer) -> Callable[..., Any]:
    def make(service: str, config: Config | None = None) -> Any:
        return aws_client(local_aws, service, config)

    return make


@pytest.fixture(scope="session")
def admin(local_aws: LocalAwsServer) -> Iterator[httpx.Client]:
    credentials = (local_aws.config.access_key_id, local_aws.config.secret_access_key)
    with httpx.Client(
        base_url=f"{local_aws.endpoint}/_batchflow", auth=credentials, timeout=10
    ) as client:
        yield client


@pytest.fixture
def faults(admin: httpx.Client) -> Iterator[Callable[..., None]]:
    def configure(**settings: Any) -> None:
        admin.put("/faults", json=settings).raise_for_status()

    yield configure
    admin.put("/faults", json={}).raise_for_status()


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
def spot_queue(batch: Any) -> str:
    """A job queue on a Spot compute environment, beside the on-demand `local` queue."""
    name = "spot-tasks"
    batch.create_compute_environment(
        computeEnvironmentName=name,
        type="MANAGED",
        computeResources={"type": "SPOT", "maxvCpus": 8},
    )
    batch.create_job_queue(
        jobQueueName=name,
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": name}],
    )
    return name


@pytest.fixture
def aws_environment(local_aws: LocalAwsServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This process's environment pointed at the local AWS, as `batchflow local` prints it."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    environment = local_aws.client_environment()
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return environment


@pytest.fixture
def clean_stats(admin) -> None:
    admin.delete("/stats").raise_for_status()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server for the session; CI must have one (.ci/run installs it)."""
    bindir = find_bindir()
    if bindir is None:
        missing("PostgreSQL's server programs (initdb, postgres) are not installed")
    with throwaway_postgres(bindir) as url:
        yield url
