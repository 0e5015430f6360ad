"""The local AWS that `batchflow serve` and `batchflow demo` carry: a process of its own in a state
directory, found again or started, kept by a lease while its owner runs, stopped when its owner
stops, and with this process's AWS settings pointed at it."""

import os
import shutil
from pathlib import Path

from .lease_keeper import LeaseKeeper
from .state_dir import FileLock, StateDir, StateDirError
from .supervisor import AdminError, LocalAwsProcess, LocalAwsUnavailableError, find_or_start

DEFAULT_LEASE_GRACE_SECONDS = 300.0


class EmbeddedLocalAws:
    def __init__(
        self,
        state: StateDir,
        owner_lock: FileLock,
        process: LocalAwsProcess,
        keeper: LeaseKeeper,
        scratch: bool,
    ) -> None:
        self.state = state
        self.process = process
        self._owner_lock = owner_lock
        self._keeper = keeper
        self._scratch = scratch

    @property
    def endpoint(self) -> str:
        return self.process.endpoint

    def release(self) -> None:
        """Stops renewing the lease and leaves the local AWS running: it ends its jobs and
        exits when the grace period is over, unless a new owner takes it over first."""
        self._keeper.stop()
        self._owner_lock.release()

    def stop(self) -> None:
        """Ends every job of the local AWS and the local AWS itself; waits until it is gone."""
        self._keeper.stop()
        try:
            self.process.stop()
        finally:
            self._owner_lock.release()
            if self._scratch:
                shutil.rmtree(self.state.path, ignore_errors=True)


def start_local_aws(
    state_dir: Path,
    lease_grace_seconds: float = DEFAULT_LEASE_GRACE_SECONDS,
    scratch: bool = False,
) -> EmbeddedLocalAws:
    """Takes over the local AWS living in `state_dir`, or starts one there, and points this
    process's AWS settings at it. `scratch`: the state dir is removed when it stops.

    Raises StateDirError when the directory cannot be used or another owner holds it, and
    supervisor.LocalAwsUnavailableError when no local AWS could be found or started."""
    state = StateDir(state_dir).prepare()
    owner_lock = FileLock.try_acquire(state.owner_lock)
    if owner_lock is None:
        raise StateDirError(
            f"the state dir {state.path} is in use by another batchflow serve (pid "
            f"{FileLock.holder(state.owner_lock)}); stop that one, or pass another --state-dir"
        )
    try:
        process = find_or_start(state, lease_grace_seconds, scratch)
    except BaseException:
        owner_lock.release()
        raise
    try:
        try:
            process.renew(lease_grace_seconds)
        except AdminError as error:
            raise LocalAwsUnavailableError(
                f"the local AWS at {process.endpoint} (pid {process.pid}) refused the lease: "
                f"{error}; see {state.log_file}"
            ) from None
        keeper = LeaseKeeper(process, lease_grace_seconds).start()
    except BaseException:
        if not process.adopted:
            process.stop()
        owner_lock.release()
        raise
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(process.record.client_environment())
    return EmbeddedLocalAws(state, owner_lock, process, keeper, scratch)
