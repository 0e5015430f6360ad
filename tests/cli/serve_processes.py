"""`batchflow serve` and `batchflow demo` as real processes, and a look at what they leave
behind: every process whose environment points at their local AWS (the local AWS's jobs and
everything those started), found by scanning /proc."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..service.clients import ADMIN_PASSWORD

WORKFLOWS = Path(__file__).resolve().parents[1] / "executor" / "workflows"
PROC = Path("/proc")


def serve_environment(tmp_path: Path) -> dict[str, str]:
    """This environment without AWS or batchflow settings, plus what a service of the test
    workflows needs; the user data directory is the test's own."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BATCHFLOW_"))}
    return {
        **base,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "BATCHFLOW_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "BATCHFLOW_ENGINES": '["snakemake"]',
        "BATCHFLOW_CATALOG_DIR": str(WORKFLOWS),
        "BATCHFLOW_RECONCILE_SECONDS": "0.5",
    }


def start_serve(
    port: int, state_dir: Path, environment: dict[str, str], log: Path, *options: str
) -> subprocess.Popen[bytes]:
    """`batchflow serve` with its local AWS in `state_dir`, once it answers /healthz."""
    command = [sys.executable, "-m", "batchflow_cli", "serve", "--port", str(port)]
    command += ["--state-dir", str(state_dir), *options]
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    wait_until(
        lambda: answers(f"http://127.0.0.1:{port}/healthz") or process.poll() is not None,
        60,
        "batchflow serve to answer",
    )
    assert process.poll() is None, log.read_text()[-3000:]
    return process


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def endpoint_record(state_dir: Path) -> dict[str, Any]:
    return json.loads((state_dir / "endpoint.json").read_text())


def processes_using(endpoint: str) -> set[int]:
    """Every live process whose environment has AWS_ENDPOINT_URL=`endpoint`: the local AWS's
    jobs and their descendants (the local AWS itself and serve do not have it)."""
    wanted = f"AWS_ENDPOINT_URL={endpoint}\0".encode()
    found = set()
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if wanted in (entry / "environ").read_bytes() and alive(int(entry.name)):
                found.add(int(entry.name))
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, ended but not yet reaped, does not)."""
    try:
        status = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return False
    return status.rpartition(")")[2].split()[0] != "Z"


def listening(endpoint: str) -> bool:
    address = urlsplit(endpoint)
    try:
        with socket.create_connection((address.hostname, address.port), timeout=2):
            return True
    except OSError:
        return False


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.2)
    return result


def left_behind(endpoint: str, local_aws_pid: int) -> dict[str, Any]:
    """What still runs of a local AWS that should be gone; empty when nothing does."""
    remains: dict[str, Any] = {}
    if alive(local_aws_pid):
        remains["local AWS"] = local_aws_pid
    if jobs := processes_using(endpoint):
        remains["job processes"] = sorted(jobs)
    if listening(endpoint):
        remains["listening"] = endpoint
    return remains
