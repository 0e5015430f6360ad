import pytest

from batchflow_service.states import (
    FINAL_STATES,
    InvalidTransitionError,
    RunState,
    check_transition,
)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (RunState.QUEUED, RunState.INITIALIZING),
        (RunState.INITIALIZING, RunState.RUNNING),
        (RunState.RUNNING, RunState.COMPLETE),
        (RunState.RUNNING, RunState.EXECUTOR_ERROR),
        (RunState.RUNNING, RunState.CANCELING),
        (RunState.CANCELING, RunState.CANCELED),
        (RunState.QUEUED, RunState.SYSTEM_ERROR),
    ],
)
def test_the_run_lifecycle_moves_forward(current, new) -> None:
    assert check_transition(current, new) is True


@pytest.mark.parametrize("final", sorted(FINAL_STATES))
def test_a_final_state_is_final(final) -> None:
    for new in RunState:
        if new != final:
            with pytest.raises(InvalidTransitionError):
                check_transition(final, new)


def test_moving_backwards_is_refused_with_both_states_named() -> None:
    with pytest.raises(InvalidTransitionError, match="from RUNNING to QUEUED"):
        check_transition(RunState.RUNNING, RunState.QUEUED)


def test_staying_put_is_not_a_change() -> None:
    assert check_transition(RunState.RUNNING, RunState.RUNNING) is False
