"""The users a PostgreSQL store has read, kept until any service process changes one.

Every request looks its caller up, so that a disabled user's tokens stop working at once, and
reading the user's row was about a sixth of a PostgreSQL page request's CPU. So the store
keeps the users it reads, and listens (LISTEN) on a channel that each change of a user
notifies (pg_notify, delivered on commit), dropping that user in every process that serves.

What keeps it exact: nothing is kept while the listening connection is down (a change sent
then would be missed), a read that overlapped a change is not kept, and an entry lives at most
MAX_AGE_SECONDS, which bounds how long a connection lost without a word (no FIN, no RST)
could keep a changed user.
"""

import asyncio
import logging
import time
from typing import Any

import psycopg

from ..auth.models import User
from .copies import detached

CHANNEL = "batchflow_users"
MAX_AGE_SECONDS = 5.0
MAX_USERS = 10_000
RECONNECT_SECONDS = 1.0

log = logging.getLogger(__name__)


class UserCache:
    def __init__(self, conninfo: str, connect_options: dict[str, Any]) -> None:
        self._conninfo = conninfo
        self._connect_options = connect_options
        self._users: dict[str, tuple[User, float]] = {}
        self._changes = 0
        """Counts the changes heard (and the times the cache was emptied): a read that began
        before one of them may be stale, so it is not kept."""
        self._listening = False
        self._listener: asyncio.Task[None] | None = None

    def get(self, name: str) -> User | None:
        kept = self._users.get(name)
        if not self._listening or kept is None:
            return None
        user, kept_at = kept
        if time.monotonic() - kept_at > MAX_AGE_SECONDS:
            return None
        return detached(user)

    def read_starts(self) -> int:
        """A mark to hand back to `keep` with what the read found."""
        return self._changes

    def keep(self, user: User, read_started: int) -> None:
        if self._listening and read_started == self._changes:
            if len(self._users) >= MAX_USERS:
                self._users.clear()
            self._users[user.name] = (detached(user), time.monotonic())

    def drop(self, name: str) -> None:
        self._changes += 1
        self._users.pop(name, None)

    def _forget_all(self) -> None:
        self._changes += 1
        self._users.clear()

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="batchflow-user-changes")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None

    async def _listen(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, **self._connect_options
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._forget_all()
                    self._listening = True
                    async for note in conn.notifies():
                        self.drop(note.payload)
            except psycopg.Error as error:
                log.warning("not hearing of user changes, so keeping no users: %s", error)
            finally:
                self._listening = False
                self._forget_all()
            await asyncio.sleep(RECONNECT_SECONDS)
