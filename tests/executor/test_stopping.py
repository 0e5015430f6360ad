"""Stopping `snakemake --executor batchflow` by signal: no Batch job outlives it."""

import signal
import time
from typing import Any

import pytest

from .workflow_runs import ACTIVE, Run

pytestmark = pytest.mark.slow

# Measured on a 2-core machine under load: the jobs are terminated within a second of the
# signal, and Snakemake exits 0.2-12 s after it.
STOP_SECONDS = 20


def wait_until_none_active(batch: Any, ids: list[str], timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        jobs = batch.describe_jobs(jobs=ids)["jobs"]
        active = [job["jobId"] for job in jobs if job["status"] in ACTIVE]
        if not active:
            return jobs
        assert time.monotonic() < deadline, f"still active {timeout} s after the signal: {active}"
        time.sleep(0.2)


def started_run(tmp_path, aws_environment) -> tuple[Run, Any, list[str]]:
    """Three jobs that would sleep ten minutes, one of them running."""
    run = Run("sleepy", tmp_path, aws_environment)
    process = run.start("--config", "count=3", "seconds=600")
    ids = [event["batch_job_id"] for event in run.wait_for_events("submitted", 3)]
    run.wait_for_events("running", 1)
    return run, process, ids


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_terminates_every_batch_job_within_seconds_and_exits_non_zero(
    signum, tmp_path, aws_environment, batch
) -> None:
    run, process, ids = started_run(tmp_path, aws_environment)

    process.send_signal(signum)
    jobs = wait_until_none_active(batch, ids, timeout=STOP_SECONDS)
    process.wait(timeout=STOP_SECONDS)

    assert process.returncode == 1, run.output()
    assert {job["statusReason"] for job in jobs} == {"Cancelled by Snakemake"}
    said = f"batchflow: {signal.Signals(signum).name} received: terminating"
    assert said in run.output(tail=None)


def test_a_second_signal_ends_snakemake_at_once_after_the_jobs_are_terminated(
    tmp_path, aws_environment, batch
) -> None:
    """As when SIGTERM reaches a whole process group and a parent forwards it as SIGINT (the
    run service's head job does): the first signal terminates the jobs, the second ends the
    process at once, with status 128 + its number, instead of Snakemake's way out."""
    run, process, ids = started_run(tmp_path, aws_environment)

    process.send_signal(signal.SIGTERM)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=STOP_SECONDS)

    assert process.returncode in (128 + signal.SIGTERM, 128 + signal.SIGINT), run.output()
    assert "batchflow: second signal" in run.output(tail=None)
    # TerminateJob went out before the exit; a RUNNING job ends when its process has stopped.
    jobs = wait_until_none_active(batch, ids, timeout=STOP_SECONDS)
    assert {job["statusReason"] for job in jobs} == {"Cancelled by Snakemake"}
