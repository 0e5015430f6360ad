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
SHUTDOWN_GRACE_SECONDS = 10.0
"""How long a worker whose serve is gone may take to shut down before it is ended outright: its
shutdown waits for calls in flight, and an AWS call can retry for longer."""
ORPHANED_EXIT_CODE = 70
SERVE_PID_VARIABLE = "BATCHFLOW_SERVE_PID"
"""Set by serve for its workers: a worker whose serve died while it was still starting has
another parent by the time it gets here, so its own parent id would not say so."""


def create_worker_app() -> FastAPI:
    from batchflow_service.app import create_app

    end_with_parent(int(os.environ.get(SERVE_PID_VARIABLE, os.getppid())))
    return create_app()


def end_with_parent(parent: int) -> None:
    """SIGTERM to this process once its parent is no longer `parent` (it died, and this
    process was handed to another); an exit without cleanup if it is still here
    SHUTDOWN_GRACE_SECONDS later. Its runs are in the database, so nothing is lost."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(SHUTDOWN_GRACE_SECONDS)
        os._exit(ORPHANED_EXIT_CODE)

    threading.Thread(target=watch, name="batchflow-parent-watch", daemon=True).start()
