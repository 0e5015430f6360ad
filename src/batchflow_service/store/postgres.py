"""The production store: runs, tasks and log lines in PostgreSQL, through a connection pool.

A run's state changes under a row lock, so concurrent requests see the same transitions the
in-memory store allows; log lines are numbered from a counter on the run row.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection, errors, sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from pydantic import BaseModel

from ..auth.models import PersonalToken, User
from ..models import Run, Task, dump_stored
from ..states import ACTIVE_STATES, FINAL_STATES, RunState, check_transition
from .base import (
    RunNotFoundError,
    StoreUnavailableError,
    UserExistsError,
    UserNotFoundError,
    WorkPrefixBusyError,
)
from .schema import migrate
from .user_cache import CHANNEL as USER_CHANGES
from .user_cache import UserCache

RUN_COLUMNS = tuple(Run.model_fields)
ONE_ACTIVE_RUN_PER_WORK_PREFIX = "runs_one_active_run_per_work_prefix"  # migration 0004
TASK_COLUMNS = tuple(Task.model_fields)
TASK_UPDATABLE = tuple(c for c in TASK_COLUMNS if c not in ("run_id", "id", "created_at"))


def _row(model: BaseModel) -> dict[str, Any]:
    values = dump_stored(model)
    return {k: Jsonb(v) if isinstance(v, dict) else v for k, v in values.items()}


def _insert(table: str, columns: Iterable[str]) -> sql.Composed:
    columns = list(columns)
    return sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(map(sql.Placeholder, columns)),
    )


RUN_FIELDS = sql.SQL(", ").join(map(sql.Identifier, RUN_COLUMNS))


def _select_runs(where: sql.Composable) -> sql.Composed:
    """Each run as one JSON text (`run`), which pydantic parses in one pass: cheaper than
    psycopg converting every column and the json module decoding every jsonb one."""
    return sql.SQL("SELECT to_json(runs)::text AS run FROM runs WHERE {}").format(where)


def _runs(rows: list[dict[str, Any]]) -> list[Run]:
    return [Run.model_validate_json(row["run"]) for row in rows]


def _update_run(assignments: str) -> sql.Composed:
    """UPDATE one run (`WHERE id = %(id)s`), giving back the row as it now is."""
    return sql.SQL("UPDATE runs SET {} WHERE id = %(id)s RETURNING {}").format(
        sql.SQL(assignments), RUN_FIELDS
    )


SET_STATE = _update_run(
    "state = %(state)s, reason = COALESCE(%(reason)s, reason),"
    " started_at = CASE WHEN %(running)s THEN COALESCE(started_at, now()) ELSE started_at END,"
    " ended_at = CASE WHEN %(final)s THEN now() ELSE ended_at END"
)
UPDATE_RUN = _update_run(
    "outputs = COALESCE(%(outputs)s, outputs),"
    " head_job_id = COALESCE(%(head_job_id)s, head_job_id),"
    " weblog_token_sha256 = COALESCE(%(weblog_token_sha256)s, weblog_token_sha256)"
)


UPSERT_TASK = sql.SQL("{} ON CONFLICT (run_id, id) DO UPDATE SET {} RETURNING {}").format(
    _insert("tasks", TASK_COLUMNS),
    sql.SQL(", ").join(
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in TASK_UPDATABLE
    ),
    sql.SQL(", ").join(map(sql.Identifier, TASK_COLUMNS)),
)
USER_COLUMNS = tuple(User.model_fields)
TOKEN_COLUMNS = tuple(PersonalToken.model_fields)
SELECT_USERS = sql.SQL("SELECT {} FROM users").format(
    sql.SQL(", ").join(map(sql.Identifier, USER_COLUMNS))
)
SELECT_TOKENS = sql.SQL("SELECT {} FROM personal_tokens").format(
    sql.SQL(", ").join(map(sql.Identifier, TOKEN_COLUMNS))
)
UPDATE_USER = sql.SQL(
    "UPDATE users SET role = COALESCE(%(role)s, role),"
    " disabled = COALESCE(%(disabled)s, disabled),"
    " password_hash = COALESCE(%(password_hash)s, password_hash)"
    " WHERE name = %(name)s RETURNING {}"
).format(sql.SQL(", ").join(map(sql.Identifier, USER_COLUMNS)))
SELECT_TASKS = sql.SQL("SELECT {} FROM tasks").format(
    sql.SQL(", ").join(map(sql.Identifier, TASK_COLUMNS))
)


async def _use_utc(conn: AsyncConnection) -> None:
    await conn.execute("SET TIME ZONE 'UTC'")
    await conn.commit()


class PostgresStore:
    def __init__(
        self,
        conninfo: str,
        *,
        password: str | None = None,
        max_connections: int = 10,
        connect_timeout: float = 30,
    ) -> None:
        self._connect_timeout = connect_timeout
        extra = {"password": password} if password else {}
        self._users = UserCache(
            conninfo, {"connect_timeout": max(1, int(connect_timeout)), **extra}
        )
        self._pool = AsyncConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_connections,
            # Autocommit: a read is one round trip, not BEGIN, the query and COMMIT; what must
            # be atomic runs in `conn.transaction()`.
            kwargs={"row_factory": dict_row, "autocommit": True, **extra},
            configure=_use_utc,
            open=False,
        )

    async def open(self) -> None:
        """Connects (failing after `connect_timeout` seconds if the database is unreachable),
        then brings the schema up to date."""
        timeout = self._connect_timeout
        try:
            await self._pool.open(wait=True, timeout=timeout)
        except PoolTimeout:
            await self._pool.close()
            raise StoreUnavailableError(
                f"could not connect to PostgreSQL at {self._where()} within {timeout:g} s"
            ) from None
        async with self._pool.connection() as conn:
            await migrate(conn)
        await self._users.start()

    async def close(self) -> None:
        await self._users.stop()
        await self._pool.close()

    def _where(self) -> str:
        params = conninfo_to_dict(self._pool.conninfo)
        host, port = params.get("host", "localhost"), params.get("port", 5432)
        return f"{host}:{port}/{params.get('dbname', '')}"

    async def create_run(self, run: Run) -> Run:
        async with self._pool.connection() as conn:
            try:
                await conn.execute(_insert("runs", RUN_COLUMNS), _row(run))
            except errors.UniqueViolation as error:
                if error.diag.constraint_name == ONE_ACTIVE_RUN_PER_WORK_PREFIX:
                    raise WorkPrefixBusyError(run.reuses_work_of or run.id) from None
                raise ValueError(f"run {run.id} already exists") from None
        return run.model_copy(deep=True)

    async def get_run(self, run_id: str) -> Run:
        async with self._pool.connection() as conn:
            return await self._get_run(conn, run_id)

    async def _get_run(self, conn: AsyncConnection, run_id: str, *, lock: bool = False) -> Run:
        query = _select_runs(sql.SQL("id = %s"))
        if lock:
            query += sql.SQL(" FOR UPDATE")
        row = await (await conn.execute(query, (run_id,))).fetchone()
        if row is None:
            raise RunNotFoundError(run_id)
        return Run.model_validate_json(row["run"])

    async def list_runs(
        self,
        *,
        state: RunState | None = None,
        tags: dict[str, str] | None = None,
        owner: str | None = None,
        before: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> list[Run]:
        conditions: list[sql.Composable] = [sql.SQL("TRUE")]
        params: list[Any] = []
        if state is not None:
            conditions.append(sql.SQL("state = %s"))
            params.append(state.value)
        if owner is not None:
            conditions.append(sql.SQL("owner = %s"))
            params.append(owner)
        if tags:
            conditions.append(sql.SQL("tags @> %s"))
            params.append(Jsonb(tags))
        if before is not None:
            conditions.append(sql.SQL("(created_at, id) < (%s, %s)"))
            params.extend(before)
        query = _select_runs(sql.SQL(" AND ").join(conditions)) + sql.SQL(
            " ORDER BY created_at DESC, id DESC LIMIT %s"
        )
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(query, [*params, limit])).fetchall()
        return _runs(rows)

    async def set_state(self, run_id: str, state: RunState, *, reason: str | None = None) -> Run:
        async with self._pool.connection() as conn, conn.transaction():
            run = await self._get_run(conn, run_id, lock=True)
            if not check_transition(run.state, state):
                return run
            cursor = await conn.execute(
                SET_STATE,
                {
                    "id": run_id,
                    "state": state.value,
                    "reason": reason or None,
                    "running": state == RunState.RUNNING,
                    "final": state in FINAL_STATES,
                },
            )
            return Run.model_validate(await cursor.fetchone())

    async def update_run(
        self,
        run_id: str,
        *,
        outputs: dict[str, Any] | None = None,
        head_job_id: str | None = None,
        weblog_token_sha256: str | None = None,
    ) -> Run:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                UPDATE_RUN,
                {
                    "id": run_id,
                    "outputs": Jsonb(outputs) if outputs is not None else None,
                    "head_job_id": head_job_id,
                    "weblog_token_sha256": weblog_token_sha256,
                },
            )
            row = await cursor.fetchone()
        if row is None:
            raise RunNotFoundError(run_id)
        return Run.model_validate(row)

    async def upsert_task(self, task: Task) -> Task:
        async with self._pool.connection() as conn:
            try:
                row = await (await conn.execute(UPSERT_TASK, _row(task))).fetchone()
            except errors.ForeignKeyViolation:
                raise RunNotFoundError(task.run_id) from None
        return Task.model_validate(row)

    async def get_task(self, run_id: str, task_id: str) -> Task | None:
        async with self._pool.connection() as conn:
            await self._get_run(conn, run_id)
            query = SELECT_TASKS + sql.SQL(" WHERE run_id = %s AND id = %s")
            row = await (await conn.execute(query, (run_id, task_id))).fetchone()
        return Task.model_validate(row) if row else None

    async def list_tasks(
        self, run_id: str, *, after: str | None = None, limit: int = 100
    ) -> list[Task]:
        query = SELECT_TASKS + sql.SQL(
            " WHERE run_id = %(run)s AND seq > CASE WHEN %(after)s::text IS NULL THEN 0 ELSE"
            " COALESCE((SELECT seq FROM tasks WHERE run_id = %(run)s AND id = %(after)s),"
            " 'Infinity'::numeric) END ORDER BY seq LIMIT %(limit)s"
        )
        async with self._pool.connection() as conn:
            await self._get_run(conn, run_id)
            params = {"run": run_id, "after": after, "limit": limit}
            rows = await (await conn.execute(query, params)).fetchall()
        return [Task.model_validate(row) for row in rows]

    async def append_log(self, run_id: str, lines: list[str]) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            row = await (
                await conn.execute(
                    "UPDATE runs SET log_lines = log_lines + %s WHERE id = %s"
                    " RETURNING log_lines - %s AS first",
                    (len(lines), run_id, len(lines)),
                )
            ).fetchone()
            if row is None:
                raise RunNotFoundError(run_id)
            async with conn.cursor() as cursor:
                await cursor.executemany(
                    "INSERT INTO run_log_lines (run_id, line_no, line) VALUES (%s, %s, %s)",
                    [(run_id, row["first"] + index, line) for index, line in enumerate(lines)],
                )

    async def read_log(self, run_id: str, offset: int, limit: int) -> tuple[list[str], int]:
        async with self._pool.connection() as conn:
            await self._get_run(conn, run_id)
            rows = await (
                await conn.execute(
                    "SELECT line FROM run_log_lines WHERE run_id = %s AND line_no >= %s"
                    " ORDER BY line_no LIMIT %s",
                    (run_id, offset, limit),
                )
            ).fetchall()
        lines = [row["line"] for row in rows]
        return lines, offset + len(lines)

    async def state_counts(self) -> dict[RunState, int]:
        async with self._pool.connection() as conn:
            cursor = await conn.execute("SELECT state, count(*) AS n FROM runs GROUP BY state")
            rows = await cursor.fetchall()
        return dict.fromkeys(RunState, 0) | {RunState(r["state"]): r["n"] for r in rows}

    async def active_runs(self) -> list[Run]:
        states = [state.value for state in ACTIVE_STATES]
        async with self._pool.connection() as conn:
            cursor = await conn.execute(_select_runs(sql.SQL("state = ANY(%s)")), (states,))
            rows = await cursor.fetchall()
        return _runs(rows)

    async def create_user(self, user: User) -> User:
        async with self._pool.connection() as conn:
            try:
                await conn.execute(_insert("users", USER_COLUMNS), dump_stored(user))
            except errors.UniqueViolation:
                raise UserExistsError(user.name) from None
        return user.model_copy(deep=True)

    async def get_user(self, name: str) -> User | None:
        if (kept := self._users.get(name)) is not None:
            return kept
        read_started = self._users.read_starts()
        async with self._pool.connection() as conn:
            query = SELECT_USERS + sql.SQL(" WHERE name = %s")
            row = await (await conn.execute(query, (name,))).fetchone()
        if row is None:
            return None
        user = User.model_validate(row)
        self._users.keep(user, read_started)
        return user

    async def list_users(self) -> list[User]:
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(SELECT_USERS + sql.SQL(" ORDER BY name"))).fetchall()
        return [User.model_validate(row) for row in rows]

    async def update_user(
        self,
        name: str,
        *,
        role: str | None = None,
        disabled: bool | None = None,
        password_hash: str | None = None,
    ) -> User:
        values = {"name": name, "role": role, "disabled": disabled, "password_hash": password_hash}
        async with self._pool.connection() as conn, conn.transaction():
            row = await (await conn.execute(UPDATE_USER, values)).fetchone()
            await conn.execute("SELECT pg_notify(%s, %s)", (USER_CHANGES, name))
        self._users.drop(name)
        if row is None:
            raise UserNotFoundError(name)
        return User.model_validate(row)

    async def create_token(self, token: PersonalToken) -> PersonalToken:
        async with self._pool.connection() as conn:
            try:
                await conn.execute(_insert("personal_tokens", TOKEN_COLUMNS), dump_stored(token))
            except errors.ForeignKeyViolation:
                raise UserNotFoundError(token.owner) from None
        return token.model_copy(deep=True)

    async def get_token(self, token_id: str) -> PersonalToken | None:
        async with self._pool.connection() as conn:
            query = SELECT_TOKENS + sql.SQL(" WHERE id = %s")
            row = await (await conn.execute(query, (token_id,))).fetchone()
        return PersonalToken.model_validate(row) if row else None

    async def list_tokens(self, owner: str) -> list[PersonalToken]:
        async with self._pool.connection() as conn:
            query = SELECT_TOKENS + sql.SQL(" WHERE owner = %s ORDER BY created_at, id")
            rows = await (await conn.execute(query, (owner,))).fetchall()
        return [PersonalToken.model_validate(row) for row in rows]

    async def delete_token(self, owner: str, token_id: str) -> bool:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "DELETE FROM personal_tokens WHERE id = %s AND owner = %s", (token_id, owner)
            )
        return cursor.rowcount > 0

    async def keep_secret(self, name: str, value: str) -> str:
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO service_secrets (name, value) VALUES (%s, %s)"
                " ON CONFLICT (name) DO NOTHING",
                (name, value),
            )
            row = await (
                await conn.execute("SELECT value FROM service_secrets WHERE name = %s", (name,))
            ).fetchone()
        return row["value"]
