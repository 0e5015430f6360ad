"""SIGTERM ends a command the way Ctrl-C does: through its `finally` blocks, so that whatever
it started (the local AWS, its jobs) is stopped before it exits.

Python's default for SIGTERM is to die on the spot, and uvicorn, which handles SIGTERM while it
serves, raises it again once it has shut down, with that default back in place."""

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def sigterm_exits(code: int) -> Iterator[None]:
    """Within the block, SIGTERM raises SystemExit(`code`) in the main thread."""

    def exit_with_code(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(code)

    previous = signal.signal(signal.SIGTERM, exit_with_code)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
