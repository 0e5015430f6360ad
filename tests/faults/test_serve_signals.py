"""Fault: SIGTERM or SIGKILL to `batchflow serve` (the embedded default: its local AWS in a
process of its own) at a random moment of a run, then serve started again on the same state
dir. Guarantee: after SIGKILL the run is not lost and finishes COMPLETE under the new serve;
after SIGTERM nothing of the run is left running, and the restarted serve reports a final
state that tells the truth. When serve is finally stopped, no process is left behind."""

import random
import signal
import time
from pathlib import Path

import pytest

from ..cli.serve_processes import (
    endpoint_record,
    left_behind,
    serve_environment,
    start_serve,
)
from ..service.serving import FINAL, admin_session, wait_for

pytestmark = pytest.mark.slow

CASES = [
    pytest.param(signal.SIGKILL, 1, id="SIGKILL-seed1"),
    pytest.param(signal.SIGKILL, 2, id="SIGKILL-seed2"),
    pytest.param(signal.SIGTERM, 3, id="SIGTERM-seed3"),
]


@pytest.mark.parametrize(("signum", "seed"), CASES)
def test_serve_signalled_at_a_random_moment_loses_no_run_and_leaves_nothing_running(
    tmp_path: Path, free_tcp_port: int, signum: signal.Signals, seed: int
) -> None:
    environment = serve_environment(tmp_path)
    state_dir, log = tmp_path / "state", tmp_path / "serve.log"
    url = f"http://127.0.0.1:{free_tcp_port}"
    moment = random.Random(seed).uniform(0.0, 10.0)

    first = start_serve(free_tcp_port, state_dir, environment, log)
    try:
        answer = admin_session(url).post(
            "/runs", json={"workflow": "sleepy", "params": {"count": 2, "seconds": 5}}
        )
        assert answer.status_code == 201, answer.text
        run_id = answer.json()["id"]
        local_aws = endpoint_record(state_dir)
        time.sleep(moment)
    finally:
        first.send_signal(signum)
        first.wait(timeout=60)
    remains_after_stop = left_behind(local_aws["endpoint"], local_aws["pid"])

    second = start_serve(free_tcp_port, state_dir, environment, log)
    try:
        client = admin_session(url)
        run = wait_for(
            lambda: client.get(f"/runs/{run_id}").json(),
            lambda run: run.get("state") in FINAL,
            timeout=180,
        )
        tasks = client.get(f"/runs/{run_id}/tasks").json()["tasks"]
        local_aws = endpoint_record(state_dir)
    finally:
        second.send_signal(signal.SIGTERM)
        code = second.wait(timeout=60)

    print(f"\n{signum.name} to serve after {moment:.1f} s: {run['state']}, {run.get('reason')}")
    assert [task for task in tasks if task["state"] not in FINAL] == []
    if signum == signal.SIGKILL:
        assert run["state"] == "COMPLETE", (run, log.read_text()[-3000:])
        assert sorted(task["name"] for task in tasks) == ["nap", "nap"]
    else:
        assert remains_after_stop == {}, "SIGTERM to serve stopped every job"
        if run["state"] != "COMPLETE":
            assert run["reason"], run
    assert code == 0
    assert left_behind(local_aws["endpoint"], local_aws["pid"]) == {}
