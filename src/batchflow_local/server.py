"""Serving the local AWS on a loopback port: from the CLI, or in a thread of another program."""

import asyncio
import ipaddress
import os
import shutil
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import uvicorn

from .app import LocalAws
from .config import DEFAULT_BUCKET, DEFAULT_QUEUE, LocalAwsConfig
from .guard import HostGuard


class NotLoopbackError(ValueError):
    pass


def loopback_address(host: str) -> str:
    """The loopback IP to bind for `host`; anything else is refused, since jobs run commands."""
    try:
        address = ipaddress.ip_address(socket.gethostbyname(host) if host == "localhost" else host)
    except ValueError:
        raise NotLoopbackError(f"--host must be a loopback address, got {host!r}") from None
    if not address.is_loopback:
        raise NotLoopbackError(
            f"--host {host} is not a loopback address: batchflow local runs the commands it is "
            "sent on this machine, so it only listens on loopback (127.0.0.1 or ::1)"
        )
    return str(address)


class AnnouncingServer(uvicorn.Server):
    """A uvicorn server that says when it is listening."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self._on_ready:
            self._on_ready()


class LocalAwsServer:
    def __init__(self, config: LocalAwsConfig) -> None:
        self.config = config
        address = loopback_address(config.host)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((address, config.port))
        self.port = self.socket.getsockname()[1]
        host = f"[{address}]" if family == socket.AF_INET6 else address
        self.endpoint = f"http://{host}:{self.port}"
        self.local = LocalAws(config, self.job_environment())
        self.app = HostGuard(self.local, address, self.port)
        self._server: AnnouncingServer | None = None
        self._thread: threading.Thread | None = None

    def client_environment(self) -> dict[str, str]:
        """What a boto3 client needs to use this local AWS, and the queue and bucket settings
        under the names the executor (SNAKEMAKE_BATCHFLOW_*) and the service (BATCHFLOW_*)
        read."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": self.config.region,
            "AWS_REGION": self.config.region,
            "AWS_ACCESS_KEY_ID": self.config.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.config.secret_access_key,
            "SNAKEMAKE_BATCHFLOW_JOB_QUEUE": DEFAULT_QUEUE,
            "BATCHFLOW_HEAD_QUEUE": DEFAULT_QUEUE,
            "BATCHFLOW_TASK_QUEUE": DEFAULT_QUEUE,
            "BATCHFLOW_BUCKET": DEFAULT_BUCKET,
        }

    def job_environment(self) -> dict[str, str]:
        """Jobs get the client environment (as a job role would) and this Python on PATH."""
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        return {**self.client_environment(), "PATH": path}

    async def serve(self, on_ready: Callable[[], None] | None = None) -> None:
        """Serves until told to exit; then ends every job still running."""
        self.local.bootstrap()
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self._server = AnnouncingServer(config, on_ready)
        try:
            await self._server.serve(sockets=[self.socket])
        finally:
            await self.local.shutdown()
            if not self.config.keep_workdir:
                shutil.rmtree(self.config.workdir, ignore_errors=True)

    def start_in_thread(self, timeout: float = 30.0) -> "LocalAwsServer":
        ready = threading.Event()
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self.serve(ready.set)), name="batchflow-local", daemon=True
        )
        self._thread.start()
        if not ready.wait(timeout):
            raise RuntimeError(f"batchflow local did not start within {timeout} s")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)
