"""Task events as JSON lines, appended to a file the run service reads."""

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class EventLog:
    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, event: str, **fields: Any) -> None:
        if self._path is None:
            return
        record = {"event": event, "time": datetime.now(UTC).isoformat(), **fields}
        line = json.dumps(record, default=str, sort_keys=True)
        with self._lock, self._path.open("a", encoding="utf-8") as stream:
            stream.write(line + "\n")
