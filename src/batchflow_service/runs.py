"""The runs service layer: what the native and the WES routers both do with runs.

Routers translate HTTP to these calls and back; everything a run request means (which engine,
which checks, what is stored, what is launched) happens here.
"""

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from batchflow_aws import AwsError

from .api import pages
from .attachments import Attachment, AttachmentError, safe_relative_path
from .auth.identity import Identity
from .auth.roles import Role
from .engines import Engine, EngineError, OutputFile
from .engines.base import Stream
from .models import ResumeRequest, Run, RunRequest, Task
from .resume import check_resumable, check_same_workflow, resumed_request
from .states import FINAL_STATES, RunState
from .store import RunNotFoundError, RunStore

FOLLOW_POLL_SECONDS = 0.5
FOLLOW_LIMIT_SECONDS = 3600
FOLLOW_RECHECK_SECONDS = 15
FOLLOWS_PER_USER = 8
MAX_LOG_LINES = 1_000_000
RECOVERY_WAIT_SECONDS = 10.0


class RunEndedError(Exception):
    """The run has ended, so it cannot be canceled (HTTP 409)."""


class NotFoundError(LookupError):
    """A task or an output the run does not have (HTTP 404)."""


class ForbiddenError(Exception):
    """The caller's role does not allow this (HTTP 403)."""


class TooManyFollowsError(Exception):
    """The caller already follows FOLLOWS_PER_USER logs (HTTP 429)."""


class RunsRecoveringError(LookupError):
    """A run the store lacks, asked for while the service still restores runs (HTTP 503)."""

    def __init__(self, run_id: str) -> None:
        super().__init__(
            f"run {run_id[:64]!r} is not in the store yet: the service has just started and is "
            "still restoring runs from their records in S3; ask again in a few seconds"
        )


class RunService:
    def __init__(
        self, store: RunStore, engines: dict[str, Engine], recovered: asyncio.Event
    ) -> None:
        self.store = store
        self.engines = engines
        self.recovered = recovered
        """Set once the runs the store lost in a restart are back (Reconciler.recovered)."""
        self._following: Counter[str] = Counter()

    def engine(self, name: str) -> Engine:
        engine = self.engines.get(name)
        if engine is None:
            raise EngineError(
                f"engine {name!r} is not enabled on this service "
                f"(enabled: {', '.join(sorted(self.engines))})"
            )
        return engine

    async def submit(
        self,
        caller: Identity,
        request: RunRequest,
        attachments: list[Attachment],
        wes_request: dict[str, Any] | None = None,
    ) -> Run:
        """Checks the caller's role and the request, records the run, and launches it."""
        if not caller.may_submit:
            raise ForbiddenError(f"{caller.name} is a {caller.role}: a viewer submits no runs")
        return await self._start(caller, request, attachments, wes_request)

    async def resume(
        self,
        caller: Identity,
        run_id: str,
        changes: ResumeRequest,
        wes_request: dict[str, Any] | None = None,
        workflow: tuple[str, str] | None = None,
    ) -> Run:
        """Starts a new run of an ended run's workflow, with `changes` made, that reuses the
        old run's work prefix (resume.py) and belongs to the old run's owner (an admin resumes
        it for them); `workflow` is the (engine, workflow) the caller expects the old run to
        have, if it names one."""
        old = await self.get(caller, run_id)
        if not caller.may_submit:
            raise ForbiddenError(f"{caller.name} is a {caller.role}: a viewer resumes no runs")
        if not (caller.owns(old.owner) or caller.role == Role.ADMIN):
            raise ForbiddenError(
                f"run {old.id} is {old.owner or 'nobody'}'s: only its owner or an admin may "
                "resume it"
            )
        if workflow is not None:
            check_same_workflow(old, *workflow)
        check_resumable(old)
        request = resumed_request(old, changes)
        engine = self.engine(old.engine)
        attachments = await engine.workflow_files(old) if old.uploaded else []
        return await self._start(caller, request, attachments, wes_request, resumes=old)

    async def _start(
        self,
        caller: Identity,
        request: RunRequest,
        attachments: list[Attachment],
        wes_request: dict[str, Any] | None,
        resumes: Run | None = None,
    ) -> Run:
        if attachments and not caller.may_upload:
            raise ForbiddenError(
                f"{caller.name} is a {caller.role}: a launcher runs catalog workflows only; "
                "uploading a workflow needs the maintainer role"
            )
        engine = self.engine(request.engine)
        params = engine.check_request(request, attachments)
        run = Run(
            id=uuid.uuid4().hex,
            name=request.name,
            workflow=request.workflow,
            engine=request.engine,
            params=params,
            tags=request.tags,
            owner=resumes.owner if resumes else caller.name,
            uploaded=bool(attachments),
            request=wes_request or {},
            resumed_from=resumes.id if resumes else None,
            reuses_work_of=resumes.work_id if resumes else None,
        )
        run = await self.store.create_run(run)
        await engine.launch(run, attachments)
        return run

    async def get(self, caller: Identity, run_id: str) -> Run:
        """The run, if the caller may see it; another user's run is as unknown as a missing one
        (404, never 403: run ids do not leak)."""
        run = await self._stored_run(run_id)
        if not (caller.sees_all_runs or caller.owns(run.owner)):
            raise RunNotFoundError(run_id)
        return run

    async def _stored_run(self, run_id: str) -> Run:
        """The stored run. Right after a start, one the store lacks may still be on its way
        back from its record in S3: the lookup waits for that, up to RECOVERY_WAIT_SECONDS."""
        try:
            return await self.store.get_run(run_id)
        except RunNotFoundError:
            if self.recovered.is_set():
                raise
        try:
            await asyncio.wait_for(self.recovered.wait(), RECOVERY_WAIT_SECONDS)
        except TimeoutError:
            raise RunsRecoveringError(run_id) from None
        return await self.store.get_run(run_id)

    async def list_runs(
        self,
        caller: Identity,
        page_size: int,
        page_token: str | None,
        state: RunState | None = None,
        tags: dict[str, str] | None = None,
        owner: str | None = None,
    ) -> tuple[list[Run], str]:
        """A page of runs, newest first, and the token of the next page ("" on the last);
        `owner` keeps one user's runs, and a caller who sees only its own asks for no other's."""
        before = pages.run_cursor(page_token) if page_token else None
        if not caller.sees_all_runs:
            if owner not in (None, caller.name):
                return [], ""
            owner = caller.name
        runs = await self.store.list_runs(
            state=state, tags=tags, owner=owner, before=before, limit=page_size + 1
        )
        if len(runs) <= page_size:
            return runs, ""
        runs = runs[:page_size]
        return runs, pages.encode(
            {"created_at": runs[-1].created_at.isoformat(), "id": runs[-1].id}
        )

    async def tasks(
        self, caller: Identity, run_id: str, page_size: int, page_token: str | None
    ) -> tuple[list[Task], str]:
        """A page of a run's tasks in creation order, and the next page's token."""
        await self.get(caller, run_id)
        after = pages.decode(page_token, "after")["after"] if page_token else None
        tasks = await self.store.list_tasks(run_id, after=after, limit=page_size + 1)
        if len(tasks) <= page_size:
            return tasks, ""
        tasks = tasks[:page_size]
        return tasks, pages.encode({"after": tasks[-1].id})

    async def task(self, caller: Identity, run_id: str, task_id: str) -> Task:
        await self.get(caller, run_id)
        task = await self.store.get_task(run_id, task_id)
        if task is None:
            raise NotFoundError(f"run {run_id} has no task {task_id[:100]!r}")
        return task

    async def task_log(self, caller: Identity, run_id: str, task_id: str) -> tuple[Task, list[str]]:
        """A task's own output (for a Snakemake run, its Batch job's CloudWatch log)."""
        run = await self.get(caller, run_id)
        task = await self.task(caller, run_id, task_id)
        return task, await self.engine(run.engine).task_log(task)

    async def log_lines(self, run: Run) -> list[str]:
        """The service's notes on the run, then the engine's log of it."""
        stored, _ = await self.store.read_log(run.id, 0, MAX_LOG_LINES)
        engine_lines, _ = await self.engine(run.engine).run_log(run, None)
        return stored + engine_lines

    async def engine_stream(self, run: Run, stream: Stream) -> list[str]:
        return await self.engine(run.engine).engine_stream(run, stream)

    def following(self, name: str) -> int:
        """How many logs the user follows now."""
        return self._following[name]

    def check_follow_allowed(self, caller: Identity) -> None:
        if self.following(caller.name) >= FOLLOWS_PER_USER:
            raise TooManyFollowsError(
                f"{caller.name} already follows {FOLLOWS_PER_USER} logs; close one first"
            )

    async def follow_log(
        self,
        caller: Identity,
        run: Run,
        offset: int,
        still_allowed: Callable[[], Awaitable[bool]],
    ) -> AsyncIterator[str]:
        """New lines of a run the caller may see, as they come, until the run has ended and
        nothing more is there. The response has started, so no status can say what went
        wrong later: a last line does (AWS stopped answering; the caller's token was revoked,
        or the caller disabled, which `still_allowed` finds out every few seconds)."""
        self._following[caller.name] += 1
        try:
            async for line in self._follow_log(run.id, offset, still_allowed):
                yield line
        except AwsError as error:
            yield f"batchflow: the log cannot be read on: {error}\n"
        finally:
            self._following[caller.name] -= 1
            if self._following[caller.name] <= 0:
                del self._following[caller.name]

    async def _follow_log(
        self, run_id: str, offset: int, still_allowed: Callable[[], Awaitable[bool]]
    ) -> AsyncIterator[str]:
        run = await self.store.get_run(run_id)
        engine = self.engine(run.engine)
        deadline = time.monotonic() + FOLLOW_LIMIT_SECONDS
        recheck = time.monotonic() + FOLLOW_RECHECK_SECONDS
        stored_offset, token, skip = 0, None, offset
        while time.monotonic() < deadline:
            if time.monotonic() >= recheck:
                if not await still_allowed():
                    yield "batchflow: the token that opened this stream is no longer valid\n"
                    return
                recheck = time.monotonic() + FOLLOW_RECHECK_SECONDS
            run = await self.store.get_run(run_id)
            stored, stored_offset = await self.store.read_log(run_id, stored_offset, MAX_LOG_LINES)
            engine_lines, token = await engine.run_log(run, token)
            lines = stored + engine_lines
            for line in lines[skip:]:
                yield line + "\n"
            skip = max(0, skip - len(lines))
            if run.state in FINAL_STATES and not lines:
                return
            if not lines:
                await asyncio.sleep(FOLLOW_POLL_SECONDS)

    async def cancel(self, caller: Identity, run_id: str, ended_ok: bool = False) -> Run:
        """Cancels the run; one that has ended is a RunEndedError, or left as it is."""
        run = await self.get(caller, run_id)
        if not caller.may_submit:
            raise ForbiddenError(f"{caller.name} is a {caller.role}: a viewer cancels no runs")
        if run.state in FINAL_STATES:
            if ended_ok:
                return run
            raise RunEndedError(f"run {run_id} has already ended ({run.state})")
        if run.state != RunState.CANCELING:
            await self.engine(run.engine).cancel(run)
        return await self.store.get_run(run_id)

    async def output_file(self, caller: Identity, run_id: str, path: str) -> OutputFile:
        """One of the run's output files, by its path under the run's outputs."""
        run, uri = await self.output_uri(caller, run_id, path)
        return await self.engine(run.engine).open_output(uri)

    async def output_uri(self, caller: Identity, run_id: str, path: str) -> tuple[Run, str]:
        """The run, and the URI of its output file at `path` (NotFoundError if it has none)."""
        run = await self.get(caller, run_id)
        try:
            wanted = safe_relative_path(path, "output")
        except AttachmentError as error:
            raise NotFoundError(str(error)) from None
        uri = output_paths(run.outputs).get(wanted)
        if uri is None:
            raise NotFoundError(f"run {run_id} has no output {path[:200]!r}")
        return run, uri


def output_paths(outputs: dict[str, Any]) -> dict[str, str]:
    """Each output file's path under the outputs prefix, and its URI."""
    prefix = outputs.get("prefix")
    files = outputs.get("files")
    if not isinstance(prefix, str) or not isinstance(files, list):
        return {}
    return {
        uri[len(prefix) :]: uri
        for uri in files
        if isinstance(uri, str) and uri.startswith(prefix) and len(uri) > len(prefix)
    }
