"""AWS clients that never leave this process: botocore's Stubber answers for AWS."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.stub import Stubber

from batchflow_aws.clients import CLIENT_CONFIG


def offline_client(service: str) -> Any:
    """A client configured as batchflow's own, with fake credentials and region."""
    return boto3.client(
        service,
        region_name="us-east-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
        config=CLIENT_CONFIG,
    )


@contextmanager
def stubbed(service: str) -> Iterator[tuple[Any, Stubber]]:
    """An offline client and its Stubber; every queued answer must be used."""
    client = offline_client(service)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()
