"""The store contract every backend passes (tests/service/test_store.py)."""

from datetime import datetime
from typing import Any, Protocol

from ..auth.models import PersonalToken, User
from ..models import Run, Task
from ..states import RunState


class RunNotFoundError(LookupError):
    def __init__(self, run_id: str) -> None:
        super().__init__(f"no run {run_id!r}")
        self.run_id = run_id


class UserNotFoundError(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no user {name[:64]!r}")
        self.name = name


class UserExistsError(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"user {name!r} already exists")


class WorkPrefixBusyError(ValueError):
    """Another active run already uses the work prefix a new run would reuse."""

    def __init__(self, work_id: str) -> None:
        super().__init__(
            f"another run using run {work_id}'s work prefix is still active; wait for it to "
            "end (or cancel it), then resume"
        )
        self.work_id = work_id


class StoreUnavailableError(RuntimeError):
    """The store cannot be reached; the service cannot start without it."""


class RunStore(Protocol):
    async def open(self) -> None:
        """Connects and prepares the store; called once before any other method."""
        ...

    async def close(self) -> None: ...

    async def create_run(self, run: Run) -> Run:
        """Raises WorkPrefixBusyError if the run reuses a work prefix (`reuses_work_of`) that
        an active run already uses."""
        ...

    async def get_run(self, run_id: str) -> Run:
        """Raises RunNotFoundError."""
        ...

    async def list_runs(
        self,
        *,
        state: RunState | None = None,
        tags: dict[str, str] | None = None,
        owner: str | None = None,
        before: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> list[Run]:
        """Newest first; `before` is the (created_at, id) of the last run already seen;
        `owner` keeps only that user's runs. The runs are to read, not to change: a store may
        hand out the runs it holds (the in-memory store does), which never change once
        stored."""
        ...

    async def set_state(self, run_id: str, state: RunState, *, reason: str | None = None) -> Run:
        """Moves a run to `state` if the transition is allowed (else InvalidTransitionError);
        stamps started_at on entering RUNNING and ended_at on entering a final state."""
        ...

    async def update_run(
        self,
        run_id: str,
        *,
        outputs: dict[str, Any] | None = None,
        head_job_id: str | None = None,
        weblog_token_sha256: str | None = None,
    ) -> Run:
        """Sets the fields given; a run's state changes only through set_state."""
        ...

    async def upsert_task(self, task: Task) -> Task: ...

    async def get_task(self, run_id: str, task_id: str) -> Task | None: ...

    async def list_tasks(
        self, run_id: str, *, after: str | None = None, limit: int = 100
    ) -> list[Task]:
        """In creation order; `after` is the id of the last task already seen."""
        ...

    async def append_log(self, run_id: str, lines: list[str]) -> None: ...

    async def read_log(self, run_id: str, offset: int, limit: int) -> tuple[list[str], int]:
        """Lines from `offset`, and the offset to read on from."""
        ...

    async def state_counts(self) -> dict[RunState, int]: ...

    async def active_runs(self) -> list[Run]:
        """Every run in an active state; to read, not to change, as from list_runs."""
        ...

    async def create_user(self, user: User) -> User:
        """Raises UserExistsError."""
        ...

    async def get_user(self, name: str) -> User | None: ...

    async def list_users(self) -> list[User]:
        """By name."""
        ...

    async def update_user(
        self,
        name: str,
        *,
        role: str | None = None,
        disabled: bool | None = None,
        password_hash: str | None = None,
    ) -> User:
        """Sets the fields given; raises UserNotFoundError."""
        ...

    async def create_token(self, token: PersonalToken) -> PersonalToken: ...

    async def get_token(self, token_id: str) -> PersonalToken | None: ...

    async def list_tokens(self, owner: str) -> list[PersonalToken]:
        """Oldest first."""
        ...

    async def delete_token(self, owner: str, token_id: str) -> bool:
        """False if the owner has no such token."""
        ...

    async def keep_secret(self, name: str, value: str) -> str:
        """Stores `value` under `name` unless a value is already there; returns the stored one
        (so services sharing a store agree on it)."""
        ...
