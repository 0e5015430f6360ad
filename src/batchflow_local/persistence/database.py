"""SQLite files as the state uses them: WAL, written at each commit, one schema version each."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def as_blob(text: str) -> bytes:
    """Client-chosen strings are stored as bytes, so that any of them (a lone surrogate, NUL)
    goes in and comes back unchanged."""
    return text.encode("utf-8", "surrogatepass")


def from_blob(blob: bytes) -> str:
    return blob.decode("utf-8", "surrogatepass")


class StateError(Exception):
    """The state directory cannot be used (in use, or written by another version)."""


def open_database(path: Path, schema: str, version: int) -> sqlite3.Connection:
    """Opens (or creates) `path` with `schema`. Commits reach the operating system at once, so
    a killed process loses nothing it committed; only a power cut can (no fsync per commit)."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    found = connection.execute("PRAGMA user_version").fetchone()[0]
    if found == 0:
        with transaction(connection):
            for statement in schema.split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version={version}")
    elif found != version:
        connection.close()
        raise StateError(
            f"{path} holds state in format {found}, but this batchflow reads format {version}; "
            f"start batchflow local with another --workdir, or remove {path.parent} to start empty"
        )
    return connection


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    connection.execute("BEGIN")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
