"""boto3 clients configured for the retry policy in calls.py."""

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import NoRegionError

from .errors import AwsError

# botocore's own retries are off: tenacity (calls.py) is the single retry policy, so its
# limits hold.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 1},
    connect_timeout=10,
    user_agent_extra="batchflow",
)


def make_clients(region: str | None, *services: str) -> list[Any]:
    """One client per service from the standard AWS configuration, in the order asked."""
    session = boto3.session.Session(region_name=region)
    try:
        return [session.client(service, config=CLIENT_CONFIG) for service in services]
    except NoRegionError:
        raise AwsError(
            f"Creating {', '.join(services)} clients",
            "no AWS region is configured: set AWS_DEFAULT_REGION, a profile's region, or the "
            "region setting of batchflow",
        ) from None
