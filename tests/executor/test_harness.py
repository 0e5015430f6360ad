"""Snakemake's own executor test harness, pointed at the local S3 and the local Batch."""

import pytest
from snakemake.common.tests import TestWorkflowsMinioPlayStorageBase
from snakemake.settings import types as settings

from batchflow_executor.settings import ExecutorSettings

ENDPOINT_KEY = "AWS_ENDPOINT_URL"


class TestSnakemakeHarness(TestWorkflowsMinioPlayStorageBase):
    __test__ = True

    @pytest.fixture(autouse=True)
    def _local_aws(self, aws_environment: dict[str, str]) -> None:
        self.environment = aws_environment

    def get_executor(self) -> str:
        return "batchflow"

    def get_executor_settings(self) -> ExecutorSettings:
        return ExecutorSettings(job_queue="local", image="batchflow-local")

    def get_assume_shared_fs(self) -> bool:
        return False

    def get_remote_execution_settings(self) -> settings.RemoteExecutionSettings:
        return settings.RemoteExecutionSettings(seconds_between_status_checks=1)

    @property
    def endpoint_url(self) -> str:
        return self.environment[ENDPOINT_KEY]

    @property
    def access_key(self) -> str:
        return self.environment["AWS_ACCESS_KEY_ID"]

    @property
    def secret_key(self) -> str:
        return self.environment["AWS_SECRET_ACCESS_KEY"]
