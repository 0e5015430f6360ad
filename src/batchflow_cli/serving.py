"""The run service in a background thread of this process, for `batchflow demo`."""

import threading

import uvicorn

from batchflow_service.app import create_app
from batchflow_service.settings import Settings


class ServiceThread:
    """The service on a loopback port in a background thread (for `batchflow demo`)."""

    def __init__(self, settings: Settings) -> None:
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, name="batchflow-service", daemon=True
        )

    def start(self, timeout: float = 30) -> str:
        self._thread.start()
        for _ in range(int(timeout / 0.05)):
            if self._server.started:
                break
            threading.Event().wait(0.05)
        else:
            raise RuntimeError("the batchflow service did not start")
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
