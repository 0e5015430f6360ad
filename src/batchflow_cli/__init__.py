"""The `batchflow` command line: serve, local, demo, submit, runs, workflows, profile."""

from batchflow_service.version import DISTRIBUTION


def main() -> None:
    """The console script; without the server extra, says how to get it."""
    try:
        from .main import app
    except ImportError as error:
        import sys

        sys.exit(
            f"batchflow: the command line needs the server extra ({error.name} is missing): "
            f"pip install '{DISTRIBUTION}[server]'"
        )
    app()
