"""The default store: everything in this process's memory, safe under concurrent requests."""

import asyncio
from datetime import datetime
from itertools import islice
from typing import Any

from sortedcontainers import SortedKeyList

from ..auth.models import PersonalToken, User
from ..auth.roles import Role
from ..models import Run, Task, utcnow
from ..states import ACTIVE_STATES, FINAL_STATES, RunState, check_transition
from .base import RunNotFoundError, UserExistsError, UserNotFoundError, WorkPrefixBusyError
from .copies import detached


class MemoryStore:
    def __init__(self) -> None:
        self._runs: dict[str, Run] = {}
        """Each run as last stored. A stored run is never changed: a change stores a changed
        copy in its place, so the runs list_runs and active_runs hand out unchanged stay as
        they were read."""
        self._by_creation: SortedKeyList = SortedKeyList(key=creation_key)
        """The runs in (created_at, id) order, which never changes: a page of runs costs the
        runs it reads, not a sort of every run."""
        self._tasks: dict[str, dict[str, Task]] = {}
        self._logs: dict[str, list[str]] = {}
        self._users: dict[str, User] = {}
        self._tokens: dict[str, PersonalToken] = {}
        self._secrets: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    def _run(self, run_id: str) -> Run:
        run = self._runs.get(run_id)
        if run is None:
            raise RunNotFoundError(run_id)
        return run

    async def create_run(self, run: Run) -> Run:
        async with self._lock:
            if run.id in self._runs:
                raise ValueError(f"run {run.id} already exists")
            if run.reuses_work_of is not None and self._active_on_work_prefix(run):
                raise WorkPrefixBusyError(run.reuses_work_of)
            stored = detached(run)
            self._runs[run.id] = stored
            self._by_creation.add(stored)
            self._tasks[run.id] = {}
            self._logs[run.id] = []
            return detached(run)

    def _active_on_work_prefix(self, run: Run) -> bool:
        """Whether `run` and another run reusing the same work prefix are both active."""
        return run.state in ACTIVE_STATES and any(
            other.reuses_work_of == run.reuses_work_of and other.state in ACTIVE_STATES
            for other in self._runs.values()
        )

    async def get_run(self, run_id: str) -> Run:
        return detached(self._run(run_id))

    async def list_runs(
        self,
        *,
        state: RunState | None = None,
        tags: dict[str, str] | None = None,
        owner: str | None = None,
        before: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> list[Run]:
        newest_first = self._by_creation.irange_key(
            max_key=before, inclusive=(True, False), reverse=True
        )
        selected = (
            run
            for run in newest_first
            if (state is None or run.state == state)
            and (owner is None or run.owner == owner)
            and all(run.tags.get(k) == v for k, v in (tags or {}).items())
        )
        return list(islice(selected, limit))

    def _replace(self, run: Run) -> None:
        self._by_creation.remove(self._runs[run.id])
        self._by_creation.add(run)
        self._runs[run.id] = run

    async def set_state(self, run_id: str, state: RunState, *, reason: str | None = None) -> Run:
        async with self._lock:
            run = detached(self._run(run_id))
            if check_transition(run.state, state):
                run.state = state
                if reason:
                    run.reason = reason
                if state == RunState.RUNNING and run.started_at is None:
                    run.started_at = utcnow()
                if state in FINAL_STATES:
                    run.ended_at = utcnow()
                self._replace(run)
            return detached(run)

    async def update_run(
        self,
        run_id: str,
        *,
        outputs: dict[str, Any] | None = None,
        head_job_id: str | None = None,
        weblog_token_sha256: str | None = None,
    ) -> Run:
        async with self._lock:
            run = detached(self._run(run_id))
            if outputs is not None:
                run.outputs = dict(outputs)
            if head_job_id is not None:
                run.head_job_id = head_job_id
            if weblog_token_sha256 is not None:
                run.weblog_token_sha256 = weblog_token_sha256
            self._replace(run)
            return detached(run)

    async def upsert_task(self, task: Task) -> Task:
        async with self._lock:
            self._run(task.run_id)
            tasks = self._tasks[task.run_id]
            existing = tasks.get(task.id)
            stored = (
                task.model_copy(update={"created_at": existing.created_at}) if existing else task
            )
            tasks[task.id] = detached(stored)
            return stored

    async def get_task(self, run_id: str, task_id: str) -> Task | None:
        task = self._tasks.get(self._run(run_id).id, {}).get(task_id)
        return detached(task) if task else None

    async def list_tasks(
        self, run_id: str, *, after: str | None = None, limit: int = 100
    ) -> list[Task]:
        self._run(run_id)
        tasks = list(self._tasks[run_id].values())
        start = 0
        if after is not None:
            ids = [task.id for task in tasks]
            start = ids.index(after) + 1 if after in ids else len(tasks)
        return [detached(task) for task in tasks[start : start + limit]]

    async def append_log(self, run_id: str, lines: list[str]) -> None:
        async with self._lock:
            self._run(run_id)
            self._logs[run_id].extend(lines)

    async def read_log(self, run_id: str, offset: int, limit: int) -> tuple[list[str], int]:
        self._run(run_id)
        lines = self._logs[run_id][offset : offset + limit]
        return lines, offset + len(lines)

    async def state_counts(self) -> dict[RunState, int]:
        counts = dict.fromkeys(RunState, 0)
        for run in self._runs.values():
            counts[run.state] += 1
        return counts

    async def active_runs(self) -> list[Run]:
        return [run for run in self._runs.values() if run.state in ACTIVE_STATES]

    async def create_user(self, user: User) -> User:
        async with self._lock:
            if user.name in self._users:
                raise UserExistsError(user.name)
            self._users[user.name] = detached(user)
            return detached(user)

    async def get_user(self, name: str) -> User | None:
        user = self._users.get(name)
        return detached(user) if user else None

    async def list_users(self) -> list[User]:
        return [detached(self._users[name]) for name in sorted(self._users)]

    async def update_user(
        self,
        name: str,
        *,
        role: str | None = None,
        disabled: bool | None = None,
        password_hash: str | None = None,
    ) -> User:
        async with self._lock:
            user = self._users.get(name)
            if user is None:
                raise UserNotFoundError(name)
            if role is not None:
                user.role = Role(role)
            if disabled is not None:
                user.disabled = disabled
            if password_hash is not None:
                user.password_hash = password_hash
            return detached(user)

    async def create_token(self, token: PersonalToken) -> PersonalToken:
        async with self._lock:
            if token.owner not in self._users:
                raise UserNotFoundError(token.owner)
            self._tokens[token.id] = detached(token)
            return detached(token)

    async def get_token(self, token_id: str) -> PersonalToken | None:
        token = self._tokens.get(token_id)
        return detached(token) if token else None

    async def list_tokens(self, owner: str) -> list[PersonalToken]:
        owned = [token for token in self._tokens.values() if token.owner == owner]
        return [detached(t) for t in sorted(owned, key=lambda t: t.created_at)]

    async def delete_token(self, owner: str, token_id: str) -> bool:
        async with self._lock:
            token = self._tokens.get(token_id)
            if token is None or token.owner != owner:
                return False
            del self._tokens[token_id]
            return True

    async def keep_secret(self, name: str, value: str) -> str:
        async with self._lock:
            return self._secrets.setdefault(name, value)


def creation_key(run: Run) -> tuple[datetime, str]:
    return run.created_at, run.id
