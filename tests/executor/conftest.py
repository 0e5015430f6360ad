import os

import pytest

from batchflow_executor.local import LocalAwsServer


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
