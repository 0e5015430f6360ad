"""Calls to AWS with one retry policy: throttling, 5xx and connection errors back off and retry;
every other failure becomes an AwsError naming the call."""

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from botocore.retries.standard import (
    RetryContext,
    ThrottledRetryableChecker,
    TransientRetryableChecker,
)
from tenacity import (
    Retrying,
    before_sleep_log,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from .errors import AwsError

log = logging.getLogger(__name__)

T = TypeVar("T")
THROTTLED = ThrottledRetryableChecker()
TRANSIENT = TransientRetryableChecker()


def is_transient(error: BaseException) -> bool:
    """botocore's own classification: throttling codes, transient codes and connection errors;
    and any 5xx answer."""
    if isinstance(error, ClientError):
        context = RetryContext(attempt_number=1, parsed_response=error.response)
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return THROTTLED.is_retryable(context) or TRANSIENT.is_retryable(context) or status >= 500
    return TRANSIENT.is_retryable(RetryContext(attempt_number=1, caught_exception=error))


class AwsCaller:
    """Calls AWS with backoff on transient errors; other errors become AwsErrors."""

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
            raise AwsError(
                what, str(details.get("Message", error)), str(details.get("Code") or "Error")
            ) from error
        except BotoCoreError as error:
            raise AwsError(what, str(error)) from error

    def pages(self, what: str, client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
        """Every item under `key` of every page of a paginated operation (boto3's paginator);
        a transient failure on any page starts the listing again."""

        def collect() -> list[Any]:
            paginator = client.get_paginator(operation)
            return [item for page in paginator.paginate(**kwargs) for item in page.get(key, [])]

        return self(what, collect)
