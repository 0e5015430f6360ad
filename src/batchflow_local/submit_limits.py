"""AWS Batch's SubmitJob quotas as AWS answers them: a ClientException for a request over
30 KiB, TooManyRequestsException for calls over the rate."""

import time
from collections import deque
from collections.abc import Callable

from batchflow_aws.quotas import MAX_SUBMIT_JOB_BYTES

from .errors import AwsError, client_error


def check_submit_job_size(body: bytes) -> None:
    if len(body) > MAX_SUBMIT_JOB_BYTES:
        raise client_error(
            f"The SubmitJob request is {len(body):,} bytes; AWS Batch accepts at most "
            f"{MAX_SUBMIT_JOB_BYTES:,} bytes (30 KiB)"
        )


class CallRateLimit:
    """At most `calls` accepted in any `seconds`-long window; refused calls do not count."""

    def __init__(
        self, calls: int, seconds: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if calls < 1 or seconds <= 0:
            raise ValueError("a rate limit needs at least one call per positive window")
        self.calls = calls
        self.seconds = seconds
        self._clock = clock
        self._accepted: deque[float] = deque()

    def admit(self) -> None:
        """Counts one call, or raises AWS's throttling error when the window is full."""
        now = self._clock()
        while self._accepted and self._accepted[0] <= now - self.seconds:
            self._accepted.popleft()
        if len(self._accepted) >= self.calls:
            raise AwsError(
                "TooManyRequestsException",
                f"Too Many Requests: at most {self.calls} SubmitJob calls per {self.seconds:g} s",
                429,
            )
        self._accepted.append(now)
