"""When a local AWS stops by itself: when asked to, or when its owner's lease runs out.

`batchflow serve` runs its local AWS as a process of its own and renews a lease on it every few
seconds. If serve dies without stopping it (SIGKILL, a crash), the jobs keep running for the
grace period so that a restarted serve can take them over; after that nothing runs forever."""

import time
from collections.abc import Callable


class NoLeaseError(Exception):
    """This local AWS was started without a lease (`batchflow local`): it runs until stopped."""


class Lifetime:
    def __init__(
        self, grace_seconds: float | None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.grace_seconds = grace_seconds
        self._clock = clock
        self._renewed_at = clock()
        self._stop_reason: str | None = None

    def renew(self, grace_seconds: float | None = None) -> float:
        """Starts the grace period again (with a new length if given); seconds until it ends."""
        if self.grace_seconds is None:
            raise NoLeaseError(
                "this local AWS has no lease (it was started by `batchflow local`); "
                "it runs until stopped"
            )
        if grace_seconds is not None:
            self.grace_seconds = grace_seconds
        self._renewed_at = self._clock()
        return self.grace_seconds

    def expires_in(self) -> float | None:
        """Seconds left until the lease runs out (0 once it has); None without a lease."""
        if self.grace_seconds is None:
            return None
        return max(0.0, self._renewed_at + self.grace_seconds - self._clock())

    def request_stop(self, reason: str) -> None:
        self._stop_reason = self._stop_reason or reason

    def stop_reason(self) -> str | None:
        """Why the local AWS should stop now, or None while it should go on."""
        if self._stop_reason is None and self.expires_in() == 0:
            self._stop_reason = (
                f"nobody renewed the lease for {self.grace_seconds:g} s "
                "(the batchflow serve that owns this local AWS is gone)"
            )
        return self._stop_reason
