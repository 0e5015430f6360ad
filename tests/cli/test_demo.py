"""`batchflow demo` logs in to its own service by itself, stores no token, and leaves nothing
running behind it, whether stopped by SIGTERM or killed."""

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from batchflow_cli.credentials import credentials_file
from batchflow_cli.demo import LEASE_GRACE_SECONDS, run_demo

from .serve_processes import WORKFLOWS, alive, left_behind, processes_using, wait_until


@pytest.fixture
def environment_kept() -> Iterator[None]:
    """The demo points this process's AWS_* variables at its local AWS; put them back."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_the_demo_runs_with_nothing_to_type_and_stores_no_token(environment_kept, tmp_path) -> None:
    console = Console(file=io.StringIO(), width=200)

    code = run_demo("demo", {"steps": 1, "delay_seconds": 0}, console, tmp_path / "results")

    shown = console.file.getvalue()
    assert code == 0, shown
    assert "Logged in as admin, with a password made for this demo" in shown
    assert "Run COMPLETE" in shown
    assert not credentials_file().exists()


def start_demo_of_a_long_run(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path, dict]:
    """`batchflow demo` of a run whose one task sleeps for 10 minutes, once that task runs;
    the demo, its log, and its local AWS's endpoint record."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BATCHFLOW_"))},
        "BATCHFLOW_CATALOG_DIR": str(WORKFLOWS),
        "TMPDIR": str(tmp_path),
    }
    log = tmp_path / "demo.log"
    command = [sys.executable, "-m", "batchflow_cli", "demo", "sleepy"]
    command += ["--param", "count=1", "--param", "seconds=600"]
    with log.open("wb") as output:
        demo = subprocess.Popen(
            command,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    endpoint_file = wait_until(
        lambda: next(tmp_path.glob("batchflow-demo-*/endpoint.json"), None),
        60,
        "the demo's local AWS",
    )
    local_aws = json.loads(endpoint_file.read_text())
    wait_until(
        lambda: len(processes_using(local_aws["endpoint"])) >= 2 or demo.poll() is not None,
        120,
        "the head job and its task to run",
    )
    assert demo.poll() is None, log.read_text()[-3000:]
    return demo, endpoint_file.parent, local_aws


@pytest.mark.slow
def test_sigterm_to_the_demo_stops_its_service_local_aws_and_jobs(tmp_path) -> None:
    demo, state_dir, local_aws = start_demo_of_a_long_run(tmp_path)
    try:
        demo.send_signal(signal.SIGTERM)
        code = demo.wait(timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()

    assert code == 143
    assert left_behind(local_aws["endpoint"], local_aws["pid"]) == {}
    assert not state_dir.exists()


@pytest.mark.slow
def test_after_sigkill_of_the_demo_its_local_aws_and_jobs_end_within_the_grace_period(
    tmp_path,
) -> None:
    demo, state_dir, local_aws = start_demo_of_a_long_run(tmp_path)
    demo.send_signal(signal.SIGKILL)
    demo.wait()
    killed_at = time.monotonic()

    wait_until(lambda: not alive(local_aws["pid"]), LEASE_GRACE_SECONDS + 30, "the local AWS")

    assert time.monotonic() - killed_at < LEASE_GRACE_SECONDS + 5
    assert left_behind(local_aws["endpoint"], local_aws["pid"]) == {}
    assert not state_dir.exists()
