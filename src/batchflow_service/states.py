"""Run states (GA4GH WES's) and the one place their transitions are checked."""

from enum import StrEnum


class RunState(StrEnum):
    UNKNOWN = "UNKNOWN"
    QUEUED = "QUEUED"
    INITIALIZING = "INITIALIZING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    COMPLETE = "COMPLETE"
    EXECUTOR_ERROR = "EXECUTOR_ERROR"
    SYSTEM_ERROR = "SYSTEM_ERROR"
    CANCELED = "CANCELED"
    CANCELING = "CANCELING"
    PREEMPTED = "PREEMPTED"


FINAL_STATES = frozenset(
    {RunState.COMPLETE, RunState.EXECUTOR_ERROR, RunState.SYSTEM_ERROR, RunState.CANCELED}
)
ACTIVE_STATES = frozenset(
    {RunState.QUEUED, RunState.INITIALIZING, RunState.RUNNING, RunState.CANCELING}
)
_ENDINGS = {RunState.COMPLETE, RunState.EXECUTOR_ERROR, RunState.SYSTEM_ERROR}

ALLOWED: dict[RunState, frozenset[RunState]] = {
    RunState.QUEUED: frozenset(
        {RunState.INITIALIZING, RunState.RUNNING, RunState.CANCELING, RunState.CANCELED} | _ENDINGS
    ),
    RunState.INITIALIZING: frozenset({RunState.RUNNING, RunState.CANCELING} | _ENDINGS),
    RunState.RUNNING: frozenset({RunState.CANCELING} | _ENDINGS),
    RunState.CANCELING: frozenset({RunState.CANCELED} | _ENDINGS),
}


class InvalidTransitionError(ValueError):
    def __init__(self, current: RunState, new: RunState) -> None:
        super().__init__(f"a run cannot go from {current} to {new}")
        self.current = current
        self.new = new


def check_transition(current: RunState, new: RunState) -> bool:
    """True if the state changes, False if it is already `new`; raises if not allowed."""
    if current == new:
        return False
    if new not in ALLOWED.get(current, frozenset()):
        raise InvalidTransitionError(current, new)
    return True
