"""A throwaway PostgreSQL server for the tests: initdb in a temporary folder, loopback only.

PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user
(Debian's package creates it) and its commands run through `runuser`.
"""

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

DATABASE = "batchflow_test"


def find_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.insert(0, str(Path(on_path).resolve().parent))
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "postgres").exists():
            return Path(folder)
    return None


def _version(path: str) -> int:
    digits = Path(path).parent.name
    return int(digits) if digits.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def throwaway_postgres(bindir: Path) -> Iterator[str]:
    """Yields the URL of a fresh database on a server that is removed afterwards."""
    as_root = os.geteuid() == 0
    owner = pwd.getpwnam("postgres") if as_root else None
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    home = Path(tempfile.mkdtemp(prefix="batchflow-pg-"))
    data = home / "data"
    if owner:
        os.chown(home, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    subprocess.run(
        [*prefix, bindir / "initdb", "-D", data, "-U", "batchflow", "-A", "trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [
            *prefix,
            bindir / "postgres",
            "-D",
            data,
            "-p",
            str(port),
            "-k",
            home,
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(home / "server.log").open("wb"),
    )
    try:
        _wait_until_ready(bindir, port, server)
        subprocess.run(
            [bindir / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "batchflow", DATABASE],
            check=True,
            capture_output=True,
        )
        yield f"postgresql://batchflow@127.0.0.1:{port}/{DATABASE}"
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)


def _wait_until_ready(bindir: Path, port: int, server: subprocess.Popen, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"postgres exited with {server.returncode} before it was ready")
        ready = subprocess.run(
            [bindir / "pg_isready", "-h", "127.0.0.1", "-p", str(port)], capture_output=True
        )
        if ready.returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"postgres was not ready within {timeout} s")
