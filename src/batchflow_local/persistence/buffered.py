"""Changes noted during one turn of the event loop, written together at the end of that turn."""

import asyncio
import threading


class TurnBuffered:
    """Subclasses note changes and call `_schedule()`; `_write()` then runs once per loop turn
    (or at once, outside a loop), and `flush()` runs it now, e.g. before an API call answers."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._scheduled = False
        self._closed = False

    def _schedule(self) -> None:
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._scheduled = True
        loop.call_soon(self.flush)

    def flush(self) -> None:
        with self._lock:
            self._scheduled = False
            if not self._closed:
                self._write()

    def close(self) -> None:
        """Writes what is left; changes noted afterwards (a job's last output lines read
        while the server stops) are dropped."""
        with self._lock:
            self.flush()
            self._closed = True
            self._close()

    def _close(self) -> None:
        raise NotImplementedError

    def _write(self) -> None:
        raise NotImplementedError
