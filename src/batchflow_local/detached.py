"""The local AWS as a process of its own, living in a state directory, with a lease.

`batchflow serve` and `batchflow demo` start it (see supervisor.py) as

    python -m batchflow_local.detached --state-dir DIR --lease-grace SECONDS [--scratch]

in a session of its own, so a signal to their process group does not reach it. It writes
DIR/endpoint.json once it listens, reusing the port and credentials the file names when it can
(clients configured for the previous one keep working). It ends every job and exits on SIGTERM,
SIGINT, `POST /_batchflow/shutdown` or when nobody renewed its lease for SECONDS; with
--scratch it then removes the whole state directory."""

import argparse
import asyncio
import logging
import os
import shutil
import signal
import sys
from pathlib import Path
from urllib.parse import urlsplit

from .config import LocalAwsConfig
from .server import LocalAwsServer
from .state_dir import EndpointRecord, FileLock, StateDir, StateDirError

log = logging.getLogger("batchflow_local.detached")

EXIT_USAGE = 2
EXIT_BUSY = 3


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def bind(state: StateDir, lease_grace_seconds: float) -> LocalAwsServer:
    """A server on the port and with the credentials of the endpoint file, if there is one and
    its port is free; else on a free port (with new credentials when there was no file)."""
    previous = state.read_endpoint()
    config = LocalAwsConfig(workdir=state.workdir, port=0, lease_grace_seconds=lease_grace_seconds)
    if previous is not None:
        config.access_key_id = previous.access_key_id
        config.secret_access_key = previous.secret_access_key
        config.region = previous.region
        config.port = urlsplit(previous.endpoint).port or 0
    try:
        return LocalAwsServer(config)
    except OSError as error:
        log.info("port %s is taken (%s); listening on a free port", config.port, error.strerror)
        config.port = 0
        return LocalAwsServer(config)


def serve(state: StateDir, lease_grace_seconds: float) -> None:
    server = bind(state, lease_grace_seconds)
    record = EndpointRecord(
        pid=os.getpid(),
        endpoint=server.endpoint,
        region=server.config.region,
        access_key_id=server.config.access_key_id,
        secret_access_key=server.config.secret_access_key,
    )

    def announce() -> None:
        state.write_endpoint(record)
        log.info(
            "local AWS (pid %s) ready on %s, work directory %s, lease %g s",
            record.pid,
            record.endpoint,
            state.workdir,
            lease_grace_seconds,
        )

    # uvicorn re-raises SIGTERM once it has shut down; exit cleanly instead of dying by it.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        asyncio.run(server.serve(announce))
    except KeyboardInterrupt:
        pass
    finally:
        log.info("local AWS (pid %s) stopped", record.pid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m batchflow_local.detached")
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--lease-grace", type=float, required=True)
    parser.add_argument("--scratch", action="store_true", help="remove the state dir at exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.lease_grace <= 0:
        log.error("--lease-grace must be above 0, got %s", args.lease_grace)
        return EXIT_USAGE
    try:
        state = StateDir(args.state_dir).prepare()
    except StateDirError as error:
        log.error("%s", error)
        return EXIT_USAGE
    lock = FileLock.try_acquire(state.server_lock)
    if lock is None:
        log.error(
            "another local AWS (pid %s) already runs in %s",
            FileLock.holder(state.server_lock),
            state.path,
        )
        return EXIT_BUSY
    try:
        serve(state, args.lease_grace)
    finally:
        lock.release()
        if args.scratch:
            shutil.rmtree(state.path, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
