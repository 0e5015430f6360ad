"""The local AWS inside another program (`batchflow serve`, `batchflow demo`): in a thread, on a
free loopback port, with this process's AWS settings pointed at it."""

import os
import tempfile
from pathlib import Path

from .config import LocalAwsConfig
from .server import LocalAwsServer


def start_local_aws(workdir: Path | None = None) -> LocalAwsServer:
    """Serves the local AWS in a thread; without `workdir`, in a scratch directory that is
    removed when the server stops."""
    config = LocalAwsConfig(
        workdir=workdir or Path(tempfile.mkdtemp(prefix="batchflow-local-")),
        port=0,
        keep_workdir=workdir is not None,
    )
    server = LocalAwsServer(config).start_in_thread()
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(server.client_environment())
    return server
