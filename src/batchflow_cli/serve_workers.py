"""The app of one of `batchflow serve --workers N`'s processes.

uvicorn's worker processes outlive a supervisor that was killed (SIGKILL, the OOM killer):
they would go on serving the port and running their reconcilers with nobody to stop them.
Each worker here watches its parent and, once the parent is gone, ends itself as a SIGTERM
would end it."""

import os
import signal
import threading
import time

from fastapi import FastAPI

PARENT_CHECK_SECONDS = 1.0
SERVE_PID_VARIABLE = "BATCHFLOW_SERVE_PID"
"""Set by serve for its workers: a worker whose serve died while it was still starting has
another parent by the time it gets here, so its own parent id would not say so."""


def create_worker_app() -> FastAPI:
    from batchflow_service.app import create_app

    end_with_parent(int(os.environ.get(SERVE_PID_VARIABLE, os.getppid())))
    return create_app()


def end_with_parent(parent: int) -> None:
    """SIGTERM to this process once its parent is no longer `parent` (it died, and this
    process was handed to another)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="batchflow-parent-watch", daemon=True).start()
