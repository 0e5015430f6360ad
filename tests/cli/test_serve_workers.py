"""`batchflow serve --workers N`: its worker processes end with it, even when it is killed."""

import os
import signal
import subprocess
import sys
import time

import httpx

from batchflow_cli.serve_workers import ORPHANED_EXIT_CODE, SHUTDOWN_GRACE_SECONDS

from ..service.serving import start_serve
from .serve_processes import PROC, alive


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid`."""
    found = set()
    for entry in PROC.iterdir():
        if entry.name.isdigit() and alive(int(entry.name)):
            try:
                parent = (entry / "stat").read_text().rpartition(")")[2].split()[1]
            except OSError:
                continue
            if int(parent) == pid:
                found.add(int(entry.name))
    return found


def command_line(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:300]
    except OSError:
        return "(gone)"


def test_the_workers_end_when_serve_is_killed(tmp_path, free_tcp_port, postgres_url) -> None:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BATCHFLOW_"))},
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "BATCHFLOW_DATABASE_URL": postgres_url,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    serve = start_serve(free_tcp_port, environment, tmp_path / "serve.log", "--workers", "2")
    workers = children(serve.pid)

    serve.send_signal(signal.SIGKILL)
    serve.wait(timeout=10)
    deadline = time.monotonic() + 30
    while any(alive(worker) for worker in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = {worker: command_line(worker) for worker in workers if alive(worker)}
    for worker in left:
        os.kill(worker, signal.SIGKILL)

    assert len(workers) >= 2, "serve --workers 2 had its worker processes"
    assert left == {}, (tmp_path / "serve.log").read_text()[-3000:]
    try:
        answered = httpx.get(f"http://127.0.0.1:{free_tcp_port}/healthz", timeout=2).status_code
    except httpx.HTTPError:
        answered = None
    assert answered is None, "nothing serves the port once serve and its workers are gone"


def test_a_worker_whose_serve_died_while_it_started_ends_itself(tmp_path) -> None:
    """The worker is handed to another parent before it looks: serve's own pid tells it."""
    program = "from batchflow_cli.serve_workers import create_worker_app\n"
    program += "create_worker_app()\nimport time\ntime.sleep(60)\n"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BATCHFLOW_")},
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "AWS_DEFAULT_REGION": "us-east-1",
        "BATCHFLOW_ENGINES": '["mock"]',
        "BATCHFLOW_SERVE_PID": "1",  # not this worker's parent: that serve is gone
    }

    started = time.monotonic()
    worker = subprocess.run(
        [sys.executable, "-c", program], env=environment, timeout=60, check=False
    )

    assert worker.returncode == -signal.SIGTERM
    assert time.monotonic() - started < 30


def test_a_worker_that_does_not_finish_shutting_down_is_ended() -> None:
    """As one would whose shutdown waits on an AWS call retrying for minutes."""
    program = "import signal, time\n"
    program += "from batchflow_cli.serve_workers import end_with_parent\n"
    program += "signal.signal(signal.SIGTERM, lambda *_: None)\n"
    program += "end_with_parent(1)\ntime.sleep(120)\n"

    started = time.monotonic()
    worker = subprocess.run([sys.executable, "-c", program], timeout=60, check=False)

    assert worker.returncode == ORPHANED_EXIT_CODE
    assert SHUTDOWN_GRACE_SECONDS <= time.monotonic() - started < SHUTDOWN_GRACE_SECONDS + 20
