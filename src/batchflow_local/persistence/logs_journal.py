"""CloudWatch Logs groups, streams and events, written as they come and read back at start."""

from pathlib import Path

from ..logs import LogEvent, LogGroup, LogsBackend, LogStream
from ..recording import LogRecorder
from .buffered import TurnBuffered
from .database import as_blob, from_blob, open_database, transaction

SCHEMA = """
CREATE TABLE groups (name BLOB PRIMARY KEY, arn BLOB NOT NULL, created INTEGER NOT NULL);
CREATE TABLE streams (
    id INTEGER PRIMARY KEY, group_name BLOB NOT NULL, name BLOB NOT NULL, arn BLOB NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE events (
    stream INTEGER NOT NULL, timestamp INTEGER NOT NULL, message BLOB NOT NULL,
    ingestion_time INTEGER NOT NULL
)
"""
VERSION = 1


class LogsJournal(TurnBuffered, LogRecorder):
    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.database = open_database(directory / "logs.sqlite3", SCHEMA, VERSION)
        self._stream_ids: dict[str, int] = {}
        self._next_id = (
            self.database.execute("SELECT coalesce(max(id), 0) FROM streams").fetchone()[0] + 1
        )
        self._groups: list[tuple[bytes, bytes, int]] = []
        self._streams: list[tuple[int, bytes, bytes, bytes, int]] = []
        self._events: list[tuple[int, int, bytes, int]] = []

    def group_created(self, group: LogGroup) -> None:
        with self._lock:
            self._groups.append((as_blob(group.name), as_blob(group.arn), group.created))
        self._schedule()

    def stream_created(self, group: LogGroup, stream: LogStream) -> None:
        with self._lock:
            stream_id = self._next_id
            self._next_id += 1
            self._stream_ids[stream.arn] = stream_id
            self._streams.append(
                (
                    stream_id,
                    as_blob(group.name),
                    as_blob(stream.name),
                    as_blob(stream.arn),
                    stream.created,
                )
            )
        self._schedule()

    def event_added(self, stream: LogStream, event: LogEvent) -> None:
        with self._lock:
            self._events.append(
                (
                    self._stream_ids[stream.arn],
                    event.timestamp,
                    as_blob(event.message),
                    event.ingestion_time,
                )
            )
        self._schedule()

    def _write(self) -> None:
        if not (self._groups or self._streams or self._events):
            return
        groups, streams, events = self._groups, self._streams, self._events
        self._groups, self._streams, self._events = [], [], []
        with transaction(self.database):
            self.database.executemany("INSERT OR REPLACE INTO groups VALUES (?, ?, ?)", groups)
            self.database.executemany("INSERT INTO streams VALUES (?, ?, ?, ?, ?)", streams)
            self.database.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", events)

    def restore(self, backend: LogsBackend) -> int:
        """Puts every kept group, stream and event into `backend`; returns how many events."""
        for name, arn, created in self.database.execute("SELECT * FROM groups"):
            group = LogGroup(from_blob(name), from_blob(arn), created)
            backend.groups[group.name] = group
        streams: dict[int, LogStream] = {}
        rows = self.database.execute("SELECT * FROM streams ORDER BY id")
        for stream_id, group_name, name, arn, created in rows:
            group = backend.groups.get(from_blob(group_name))
            if group is None:
                continue
            stream = LogStream(from_blob(name), from_blob(arn), created)
            group.streams[stream.name] = stream
            streams[stream_id] = stream
            self._stream_ids[stream.arn] = stream_id
        count = 0
        rows = self.database.execute("SELECT * FROM events ORDER BY rowid")
        for stream_id, timestamp, message, ingestion_time in rows:
            stream = streams.get(stream_id)
            if stream is None:
                continue
            stream.events.append(LogEvent(timestamp, from_blob(message), ingestion_time))
            stream.last_ingestion = ingestion_time
            count += 1
        return count

    def _close(self) -> None:
        self.database.close()
