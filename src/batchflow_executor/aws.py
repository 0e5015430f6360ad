"""boto3 clients with one retry policy: throttling, 5xx and connection errors back off and retry."""

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    HTTPClientError,
    NoRegionError,
)
from snakemake_interface_common.exceptions import WorkflowError
from tenacity import (
    Retrying,
    before_sleep_log,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "RequestThrottled",
    }
)
# botocore's own retries are off: tenacity is the single retry policy, so its limits hold.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 1},
    user_agent_extra="batchflow",
)


def is_transient(error: BaseException) -> bool:
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in THROTTLING_CODES or status >= 500
    return isinstance(error, ConnectionError | HTTPClientError)


class AwsCaller:
    """Calls AWS with backoff on transient errors; other errors become WorkflowErrors."""

    def __init__(
        self,
        max_attempts: int = 10,
        max_wait_seconds: float = 20.0,
        give_up_after_seconds: float = 300.0,
    ) -> None:
        self._retrying = Retrying(
            retry=retry_if_exception(is_transient),
            wait=wait_random_exponential(multiplier=0.5, max=max_wait_seconds),
            stop=stop_after_attempt(max_attempts) | stop_after_delay(give_up_after_seconds),
            before_sleep=before_sleep_log(log, logging.DEBUG),
            reraise=True,
        )

    def __call__(self, what: str, call: Callable[..., T], **kwargs: Any) -> T:
        """Runs `call(**kwargs)`; `what` says what it was for, in any error."""
        try:
            return self._retrying(call, **kwargs)
        except ClientError as error:
            details = error.response.get("Error", {})
            raise WorkflowError(
                f"{what} failed: {details.get('Code', 'error')}: {details.get('Message', error)}"
            ) from error
        except BotoCoreError as error:
            raise WorkflowError(f"{what} failed: {error}") from error


def make_clients(region: str | None) -> tuple[Any, Any]:
    """Batch and CloudWatch Logs clients from the standard AWS configuration."""
    session = boto3.session.Session(region_name=region)
    try:
        return (
            session.client("batch", config=CLIENT_CONFIG),
            session.client("logs", config=CLIENT_CONFIG),
        )
    except NoRegionError:
        raise WorkflowError(
            "No AWS region is configured: set --batchflow-region, AWS_REGION or a profile's region"
        ) from None
