"""Renews the lease on a detached local AWS from a background thread, for as long as its owner
runs: the heartbeat that tells it its owner is still there."""

import logging
import threading

from .supervisor import AdminError, LocalAwsProcess

log = logging.getLogger(__name__)

MAX_RENEW_INTERVAL_SECONDS = 10.0


def renew_interval(grace_seconds: float) -> float:
    """Every 10 s, or three times per grace period when that is shorter."""
    return min(MAX_RENEW_INTERVAL_SECONDS, grace_seconds / 3)


class LeaseKeeper:
    def __init__(self, local_aws: LocalAwsProcess, grace_seconds: float) -> None:
        self._local_aws = local_aws
        self._grace_seconds = grace_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-aws-lease", daemon=True)

    def start(self) -> "LeaseKeeper":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        failing = False
        pid = self._local_aws.pid
        while not self._stopped.wait(renew_interval(self._grace_seconds)):
            try:
                self._local_aws.renew(self._grace_seconds)
            except AdminError as error:
                if not failing:
                    log.error(
                        "cannot renew the lease on the local AWS (pid %s) at %s: %s; unless a "
                        "renewal gets through, it ends every job and exits within %g s",
                        pid,
                        self._local_aws.endpoint,
                        error,
                        self._grace_seconds,
                    )
                failing = True
            else:
                if failing:
                    log.info(
                        "the lease on the local AWS (pid %s) is renewed again", self._local_aws.pid
                    )
                failing = False
