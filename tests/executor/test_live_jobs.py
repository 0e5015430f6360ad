"""Every job the run submitted is terminated once, whichever list it was on."""

import threading

from batchflow_executor.live_jobs import LiveJobs


class Terminations:
    def __init__(self, failing: set[str] = frozenset()) -> None:
        self.calls: list[str] = []
        self.failing = failing
        self.lock = threading.Lock()

    def __call__(self, job_id: str) -> Exception | None:
        with self.lock:
            self.calls.append(job_id)
        return RuntimeError(f"TerminateJob {job_id} failed") if job_id in self.failing else None


def test_stop_terminates_live_and_named_jobs_once_and_ended_jobs_not_at_all() -> None:
    terminate = Terminations()
    live = LiveJobs(terminate, 4, lambda error: None)
    for job_id in ("a", "b", "c"):
        live.add(job_id)
    live.discard("c")

    first = live.stop(also=["d"])
    second = live.stop(also=["a", "e"])

    assert sorted(terminate.calls) == ["a", "b", "d", "e"]
    assert (first, second) == (3, 1)
    assert len(live) == 0


def test_a_job_submitted_after_stop_is_terminated_at_once() -> None:
    terminate = Terminations()
    live = LiveJobs(terminate, 4, lambda error: None)
    live.stop()

    live.add("late")

    assert live.stopping
    assert terminate.calls == ["late"]


def test_failed_terminations_are_reported_and_the_rest_still_go_out() -> None:
    terminate = Terminations(failing={"b"})
    reported: list[str] = []
    live = LiveJobs(terminate, 2, lambda error: reported.append(str(error)))
    for job_id in ("a", "b", "c"):
        live.add(job_id)

    live.stop()

    assert sorted(terminate.calls) == ["a", "b", "c"]
    assert reported == ["TerminateJob b failed"]
