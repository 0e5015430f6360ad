import asyncio
from collections.abc import Iterator

import psycopg
import pytest

from batchflow_service.store import PostgresStore

from .clients import ADMIN_PASSWORD


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def migrated_postgres_url(postgres_url: str) -> str:
    async def migrate() -> None:
        store = PostgresStore(postgres_url)
        await store.open()
        await store.close()

    asyncio.run(migrate())
    return postgres_url


@pytest.fixture(params=["memory", "postgres"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for the in-memory store, else the URL of an emptied PostgreSQL database."""
    if request.param == "memory":
        yield None
        return
    url = request.getfixturevalue("migrated_postgres_url")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE runs, users, service_secrets CASCADE")
    yield url


@pytest.fixture(autouse=True)
def admin_password(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every service these tests start creates user admin with this password."""
    monkeypatch.setenv("BATCHFLOW_ADMIN_PASSWORD", ADMIN_PASSWORD)
    return ADMIN_PASSWORD
