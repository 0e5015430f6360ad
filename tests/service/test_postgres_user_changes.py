"""A PostgreSQL store keeps the users it reads, and every service process on the database
hears at once when one changes, so a disabled user's tokens stop working everywhere."""

import asyncio
import time
from collections.abc import AsyncIterator

import psycopg
import pytest

from batchflow_service.auth.models import User
from batchflow_service.auth.roles import Role
from batchflow_service.store import PostgresStore
from batchflow_service.store.user_cache import CHANNEL, MAX_AGE_SECONDS

pytestmark = pytest.mark.anyio


@pytest.fixture
async def two_services(postgres_url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    stores = (PostgresStore(postgres_url), PostgresStore(postgres_url))
    for store in stores:
        await store.open()
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute("TRUNCATE users CASCADE")
    await stores[0].create_user(User(name="ann", role=Role.MAINTAINER, password_hash="h"))
    await listening(postgres_url, count=2)
    try:
        yield stores
    finally:
        for store in stores:
            await store.close()


async def listening(url: str, count: int) -> list[int]:
    """The server processes of the connections listening for user changes, once `count` are."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for _ in range(100):
            cursor = await conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE query = %s", (f"LISTEN {CHANNEL}",)
            )
            pids = [pid for (pid,) in await cursor.fetchall()]
            if len(pids) >= count:
                return pids
            await asyncio.sleep(0.05)
    raise AssertionError(f"{count} connections never listened for user changes")


async def disabled_within(store: PostgresStore, name: str, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if (await store.get_user(name)).disabled:
            return time.monotonic() - started
        await asyncio.sleep(0.01)
    raise AssertionError(f"{name} still read as enabled after {seconds} s")


async def test_a_user_disabled_by_another_service_is_read_disabled_at_once(two_services) -> None:
    here, elsewhere = two_services
    assert not (await here.get_user("ann")).disabled  # read, and kept

    await elsewhere.update_user("ann", disabled=True)

    assert await disabled_within(here, "ann", seconds=MAX_AGE_SECONDS / 5) < 1


async def test_a_user_disabled_here_is_read_disabled_here_at_once(two_services) -> None:
    here, _ = two_services
    assert not (await here.get_user("ann")).disabled

    await here.update_user("ann", disabled=True)

    assert (await here.get_user("ann")).disabled


async def test_nothing_is_kept_while_changes_cannot_be_heard(postgres_url, two_services) -> None:
    here, _ = two_services
    assert not (await here.get_user("ann")).disabled
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        for pid in await listening(postgres_url, count=2):
            await conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        await asyncio.sleep(0.2)
        # A change nobody is told of, as one made while the listeners were away would be.
        await conn.execute("UPDATE users SET disabled = true WHERE name = 'ann'")

    assert (await here.get_user("ann")).disabled
