"""Login throttling: after too many failures for one name, that name waits."""

import time
from collections import deque


class LoginThrottle:
    """At most `max_failures` failed logins per name in `window_seconds`; kept in memory, so
    each service process counts its own (behind a load balancer, N processes allow N times).
    A name that is not a user is throttled like one that is: the answers stay identical."""

    def __init__(
        self, max_failures: int = 5, window_seconds: float = 15 * 60, max_names: int = 100_000
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.max_names = max_names
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, name: str) -> int:
        """Seconds until `name` may try again; 0 if it may now."""
        failures = self._recent(name)
        if len(failures) < self.max_failures:
            return 0
        return max(1, int(failures[0] + self.window - time.monotonic()) + 1)

    def failed(self, name: str) -> None:
        if name not in self._failures and len(self._failures) >= self.max_names:
            self._forget_stale()
        self._failures.setdefault(name, deque(maxlen=self.max_failures)).append(time.monotonic())

    def succeeded(self, name: str) -> None:
        self._failures.pop(name, None)

    def _recent(self, name: str) -> deque[float]:
        failures = self._failures.get(name, deque())
        cutoff = time.monotonic() - self.window
        while failures and failures[0] < cutoff:
            failures.popleft()
        return failures

    def _forget_stale(self) -> None:
        cutoff = time.monotonic() - self.window
        for name in [n for n, f in self._failures.items() if not f or f[-1] < cutoff]:
            del self._failures[name]
        if len(self._failures) >= self.max_names:
            self._failures.pop(next(iter(self._failures)))
