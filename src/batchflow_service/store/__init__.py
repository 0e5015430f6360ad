"""Where runs and tasks are kept: one async protocol, in memory or in PostgreSQL."""

from .base import (
    RunNotFoundError,
    RunStore,
    StoreUnavailableError,
    UserExistsError,
    UserNotFoundError,
    WorkPrefixBusyError,
)
from .memory import MemoryStore
from .postgres import PostgresStore

__all__ = [
    "MemoryStore",
    "PostgresStore",
    "RunNotFoundError",
    "RunStore",
    "StoreUnavailableError",
    "UserExistsError",
    "UserNotFoundError",
    "WorkPrefixBusyError",
]
