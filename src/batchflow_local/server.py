"""Serving the local AWS on a loopback port: from the CLI, or in a thread of another program."""

import asyncio
import ipaddress
import logging
import os
import shutil
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import uvicorn

from .app import LocalAws
from .config import LocalAwsConfig, client_environment
from .guard import HostGuard
from .sqs import queue_url

log = logging.getLogger(__name__)

EXIT_CHECK_SECONDS = 0.2


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
        # asyncio sets TCP_NODELAY only on sockets made with proto IPPROTO_TCP, and this one
        # (proto 0) passes that on to every connection it accepts: without it, each response
        # written in two parts waits ~40 ms for the client's delayed ACK.
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.socket.bind((address, config.port))
        self.port = self.socket.getsockname()[1]
        host = f"[{address}]" if family == socket.AF_INET6 else address
        self.endpoint = f"http://{host}:{self.port}"
        self.local = LocalAws(config, self.job_environment())
        self.app = HostGuard(self.local, address, self.port)
        self._server: AnnouncingServer | None = None
        self._thread: threading.Thread | None = None

    def client_environment(self) -> dict[str, str]:
        """What a client needs to use this local AWS (see config.client_environment)."""
        events = self.config.events_queue
        return client_environment(
            self.endpoint,
            self.config.region,
            self.config.access_key_id,
            self.config.secret_access_key,
            queue_url(self.endpoint, events) if events else None,
        )

    def job_environment(self) -> dict[str, str]:
        """Jobs get the client environment (as a job role would) and this Python on PATH."""
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        return {**self.client_environment(), "PATH": path}

    async def serve(self, on_ready: Callable[[], None] | None = None) -> None:
        """Serves until told to exit (a signal, `stop()`, `POST /_batchflow/shutdown`, or a
        lease nobody renewed); then ends every job still running."""
        self.local.bootstrap()
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self._server = AnnouncingServer(config, on_ready)
        watcher = asyncio.create_task(self._exit_when_due(self._server))
        try:
            await self._server.serve(sockets=[self.socket])
        finally:
            watcher.cancel()
            await self.local.shutdown()
            if not self.config.keep_workdir:
                shutil.rmtree(self.config.workdir, ignore_errors=True)

    async def _exit_when_due(self, server: uvicorn.Server) -> None:
        while not server.should_exit:
            reason = self.local.lifetime.stop_reason()
            if reason is not None:
                log.warning("%s: ending every job and exiting", reason)
                server.should_exit = True
                return
            await asyncio.sleep(EXIT_CHECK_SECONDS)

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
