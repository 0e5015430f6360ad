import threading
from time import monotonic

import pytest

from batchflow_executor.submit_pace import SubmitPace


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def test_calls_are_spaced_evenly_from_the_first() -> None:
    time = FakeTime()
    pace = SubmitPace(40, time.clock, time.sleep)
    started = []
    for _ in range(5):
        pace.wait()
        started.append(time.now)

    assert started == pytest.approx([100.0, 100.025, 100.05, 100.075, 100.1])


def test_a_caller_after_a_quiet_spell_does_not_wait() -> None:
    time = FakeTime()
    pace = SubmitPace(10, time.clock, time.sleep)
    pace.wait()
    time.now += 5

    pace.wait()

    assert time.now == 105.0


def test_threads_share_one_pace() -> None:
    slots: list[float] = []
    lock = threading.Lock()
    pace = SubmitPace(1000)

    def submit() -> None:
        for _ in range(25):
            pace.wait()
            with lock:
                slots.append(monotonic())

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(slots) == 200
    assert max(slots) - min(slots) >= 199 / 1000


@pytest.mark.parametrize("rate", [0, -1])
def test_a_rate_must_be_positive(rate: float) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        SubmitPace(rate)
