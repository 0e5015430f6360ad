"""Helpers for tests that run the service for real: as `batchflow serve`, waiting on runs."""

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from .clients import ADMIN_PASSWORD, login

FINAL = {"COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"}


def wait_for(get_run, predicate, timeout: float = 240, interval: float = 0.5) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run = get_run()
        if predicate(run):
            return run
        assert time.monotonic() < deadline, f"run still {run.get('state')} after {timeout} s"
        time.sleep(interval)


def wait_until_final(client: Any, run_id: str, timeout: float = 30) -> dict[str, Any]:
    """Polls an in-process client (TestClient) until the run has ended."""
    return wait_for(
        lambda: client.get(f"/runs/{run_id}").json(),
        lambda run: run["state"] in FINAL,
        timeout=timeout,
        interval=0.02,
    )


def admin_session(url: str) -> httpx.Client:
    """A client of a running service, logged in as its first admin (close it when done)."""
    client = httpx.Client(base_url=url, timeout=30)
    client.headers.update(login(client, "admin", ADMIN_PASSWORD))
    return client


def start_serve(
    port: int, environment: dict[str, str], log: Path, *options: str
) -> subprocess.Popen[bytes]:
    """`batchflow serve --no-local-aws OPTIONS` whose first admin has ADMIN_PASSWORD."""
    environment = {**environment, "BATCHFLOW_ADMIN_PASSWORD": ADMIN_PASSWORD}
    command = [
        sys.executable,
        "-m",
        "batchflow_cli",
        "serve",
        "--no-local-aws",
        "--port",
        str(port),
        *options,
    ]
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        assert process.poll() is None, log.read_text()[-2000:]
        if time.monotonic() > deadline:
            process.terminate()
            process.wait(timeout=30)
            raise AssertionError(f"batchflow serve did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
