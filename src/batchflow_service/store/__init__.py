"""Where runs and tasks are kept: one async protocol, in memory or in PostgreSQL."""

from .base import RunNotFoundError, RunStore
from .memory import MemoryStore

__all__ = ["MemoryStore", "RunNotFoundError", "RunStore"]
