"""Fault: SIGTERM or SIGKILL, at a random moment of a run, to the Snakemake that plans it or
to the run's head job. Guarantee: afterwards no job of the run is alive in Batch and no
process of it is left on the machine, and the run ends in a state that tells the truth:
COMPLETE with every output, or EXECUTOR_ERROR with a reason and no task still running."""

import os
import random
import signal
import time
from collections.abc import Callable
from contextlib import suppress

import pytest

from ..service.serving import FINAL, wait_for
from .processes import active_jobs, head_of, processes_of, snakemake_of

pytestmark = pytest.mark.slow

SHARDS = 3
TARGETS: dict[str, Callable[[str], int | None]] = {"snakemake": snakemake_of, "head": head_of}
CASES = [
    pytest.param(target, signum, seed, id=f"{signum.name}-{target}-seed{seed}")
    for target in TARGETS
    for signum in (signal.SIGTERM, signal.SIGKILL)
    for seed in (1, 2)
]


def until(found: Callable[[], int | None], timeout: float, what: str) -> int:
    deadline = time.monotonic() + timeout
    while (pid := found()) is None:
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.1)
    return pid


@pytest.mark.parametrize(("target", "signum", "seed"), CASES)
def test_a_signal_at_a_random_moment_leaves_no_job_and_a_true_state(
    start_service, batch, s3, target, signum, seed
) -> None:
    service = start_service()
    moment = random.Random(seed).uniform(0.0, 8.0)
    answer = service.post(
        "/runs", json={"workflow": "naps", "params": {"shards": SHARDS, "seconds": 4}}
    )
    assert answer.status_code == 201, answer.text
    run_id = answer.json()["id"]

    pid = until(lambda: TARGETS[target](run_id), 120, f"the run's {target} process")
    time.sleep(moment)
    with suppress(ProcessLookupError):
        os.kill(pid, signum)
    run = wait_for(
        lambda: service.get(f"/runs/{run_id}").json(),
        lambda run: run["state"] in FINAL,
        timeout=180,
        interval=1,
    )

    tasks = service.get(f"/runs/{run_id}/tasks").json()["tasks"]
    print(f"\n{signum.name} to {target} after {moment:.1f} s: {run['state']}, {run['reason']}")
    assert [task for task in tasks if task["state"] not in FINAL] == []
    if run["state"] == "COMPLETE":
        count = s3.get_object(Bucket="batchflow-local", Key=f"runs/{run_id}/outputs/count.txt")
        assert int(count["Body"].read()) == SHARDS
    else:
        assert run["state"] == "EXECUTOR_ERROR", run
        assert run["reason"]
    assert active_jobs(batch, run) == []
    deadline = time.monotonic() + 15
    while processes := processes_of(run_id):
        assert time.monotonic() < deadline, f"processes of the run still alive: {processes}"
        time.sleep(0.2)
