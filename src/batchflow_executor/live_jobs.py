"""The run's Batch jobs from SubmitJob's answer until DescribeJobs shows them ended, and their
termination.

Snakemake's own list of active jobs is not enough to cancel from: its status thread empties the
list while it polls, and a job whose SubmitJob answered after an interrupt never reaches it.
"""

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor


def array_parent(job_id: str) -> str:
    """The array job a child (`PARENT:INDEX`) belongs to; any other job itself."""
    return job_id.partition(":")[0]


class LiveJobs:
    def __init__(
        self,
        terminate: Callable[[str], Exception | None],
        concurrency: int,
        report: Callable[[Exception], None],
    ) -> None:
        self._terminate = terminate
        self._concurrency = max(1, concurrency)
        self._report = report
        self._live: set[str] = set()
        self._terminated: set[str] = set()
        self._called: set[str] = set()
        """The ids TerminateJob was called with: jobs, and array parents for their children."""
        self._stopping = False
        self._lock = threading.Lock()

    @property
    def stopping(self) -> bool:
        return self._stopping

    def __len__(self) -> int:
        with self._lock:
            return len(self._live - self._terminated)

    def add(self, job_id: str) -> None:
        """A job SubmitJob accepted; after stop() it is terminated at once."""
        with self._lock:
            self._live.add(job_id)
            late = self._stopping
        if late:
            self.stop()

    def discard(self, job_id: str) -> None:
        """A job that ended."""
        with self._lock:
            self._live.discard(job_id)

    def stop(self, also: Iterable[str] = ()) -> int:
        """Terminates every live job (and `also`) not terminated yet, and from now on every job
        added; returns how many jobs it terminated. Array children are terminated through
        their parent, one call for all of them."""
        with self._lock:
            self._stopping = True
            targets = sorted((self._live | set(also)) - self._terminated)
            self._terminated.update(targets)
            calls = sorted(set(map(array_parent, targets)) - self._called)
            self._called.update(calls)
        if not calls:
            return len(targets)
        with ThreadPoolExecutor(min(self._concurrency, len(calls))) as pool:
            failures = [error for error in pool.map(self._terminate, calls) if error]
        for error in failures:
            self._report(error)
        return len(targets)
