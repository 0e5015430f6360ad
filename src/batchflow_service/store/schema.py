"""Brings a PostgreSQL database up to the newest schema, once, however many services start.

Each file in `migrations/` is applied in name order, in its own transaction, and recorded in
`batchflow_migrations`; an advisory lock keeps two services starting together from racing.
"""

import logging
from importlib.resources import files

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

log = logging.getLogger(__name__)

MIGRATIONS = files(__package__) / "migrations"
LOCK_KEY = 0x62617463_68666C77  # "batchflw"


def migration_files() -> list[tuple[str, str]]:
    """(version, sql) of every migration, oldest first."""
    scripts = sorted(p for p in MIGRATIONS.iterdir() if p.name.endswith(".sql"))
    return [(path.name.removesuffix(".sql"), path.read_text()) for path in scripts]


async def migrate(conn: AsyncConnection) -> list[str]:
    """Applies the migrations this database lacks; returns their versions."""
    applied_now = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS batchflow_migrations ("
            " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        async with conn.cursor(row_factory=tuple_row) as cursor:
            await cursor.execute("SELECT version FROM batchflow_migrations")
            done = {version for (version,) in await cursor.fetchall()}
        for version, sql in migration_files():
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(sql.encode())
                await conn.execute(
                    "INSERT INTO batchflow_migrations (version) VALUES (%s)", (version,)
                )
            log.info("applied migration %s", version)
            applied_now.append(version)
    return applied_now
