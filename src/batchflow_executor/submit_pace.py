"""SubmitJob calls spaced out so that a run stays under AWS Batch's quota of 50 per second
per account, instead of bursting into throttling and retrying."""

import threading
import time
from collections.abc import Callable


class SubmitPace:
    """Spaces calls, from any number of threads, at least 1/`per_second` seconds apart.
    Even spacing, not bursts: whatever the delay between here and AWS, no second-long window
    there sees more than about `per_second` calls."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_second <= 0:
            raise ValueError(f"the SubmitJob rate must be positive, not {per_second}")
        self._interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next_slot = float("-inf")
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Returns when the caller's turn has come."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
        if slot > now:
            self._sleep(slot - now)
