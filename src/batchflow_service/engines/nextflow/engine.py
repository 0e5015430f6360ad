"""The nextflow engine: stage a run to S3, run Nextflow in a Batch head job, follow it.

Nextflow's `awsbatch` executor submits each task as a Batch job of its own; the head job only
plans. Each run gets a generated nextflow.config (the task queue and image, its work
directory `s3://BUCKET/work/RUN_ID` (a resumed run: that of the run it resumes, with `-resume`),
and a weblog URL carrying a secret made for this run), and
its results go to `s3://BUCKET/runs/RUN_ID/outputs/` (the pipeline's `outdir`). Tasks arrive
as nf-weblog events (`record_event`); the run's state follows its head job, as for Snakemake.
"""

import asyncio
import json
from typing import Any
from weakref import WeakValueDictionary

from ...models import Run, Task
from ...settings import Settings
from ...states import FINAL_STATES, InvalidTransitionError, RunState
from ...store import RunStore
from ..base import EngineError
from ..batch_head import BatchHeadEngine
from ..ownership import RUN_TAG
from .config import AwsBatchConfig, run_config
from .events import EventOutcome, WeblogEvent, task_from_trace, updated_task
from .head import NextflowHead, nextflow_run_name
from .tokens import new_token

SERVICE_PARAMS = ("outdir",)


class NextflowEngine(BatchHeadEngine):
    name = "nextflow"
    label = "Nextflow"
    entry = "main.nf"

    def __init__(self, store: RunStore, settings: Settings) -> None:
        if settings.public_url is None:
            raise ValueError(
                "the nextflow engine needs BATCHFLOW_PUBLIC_URL, the URL at which head jobs "
                "reach this service to post Nextflow's weblog events (for `batchflow serve` "
                "on this machine: http://127.0.0.1:8000)"
            )
        super().__init__(store, settings)
        self._public_url = settings.public_url
        self._task_locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    # Launching

    def _check_params(self, params: dict[str, Any]) -> dict[str, Any]:
        taken = [name for name in SERVICE_PARAMS if name in params]
        if taken:
            raise EngineError(
                f"params {', '.join(taken)} are set by the service: a Nextflow run publishes "
                "its results to s3://BUCKET/runs/RUN_ID/outputs/; leave them out"
            )
        return params

    async def _prepare(self, run: Run) -> tuple[Run, dict[str, bytes]]:
        token, digest = new_token()
        run = await self._store.update_run(run.id, weblog_token_sha256=digest)
        params = {**run.params, "outdir": self.staging.outputs_prefix(run.id).uri}
        return run, {
            "params.json": json.dumps(params).encode(),
            "nextflow.config": self.run_config(run.id, token, work_id=run.work_id).encode(),
        }

    def run_config(self, run_id: str, token: str, work_id: str | None = None) -> str:
        """The run's nextflow.config; `work_id` names its work directory (default: its own)."""
        settings = self._settings
        batch = AwsBatchConfig(
            region=self._batch.meta.region_name,
            queue=settings.task_queue,
            container=settings.task_image,
            work_dir=self.staging.storage_prefix(work_id or run_id).uri,
            job_role=settings.task_role,
            execution_role=settings.execution_role,
            labels={RUN_TAG: run_id, "batchflow:role": "task"},
        )
        weblog_url = f"{self._public_url}/nextflow/events/{run_id}?token={token}"
        return run_config(batch, run_id=run_id, weblog_url=weblog_url)

    def _head_image(self) -> str:
        return self._settings.nextflow_head_image

    def _head_command(self, run: Run) -> list[str]:
        resumed = run.resumed_from
        return NextflowHead(
            prefix=self.prefix(run.id).uri,
            run_name=nextflow_run_name(run.id),
            main_script=self._entry_of(run),
            resume_from=self.prefix(resumed).uri if resumed else None,
        ).cli_command()

    # Following

    async def _collect_tasks(self, run: Run) -> None:
        """Nothing to fetch: Nextflow posts its tasks' events to the service (record_event)."""

    async def record_event(self, run: Run, event: WeblogEvent) -> EventOutcome:
        """Applies one nf-weblog event to the run's tasks and, for `started`, its state.

        The run's final state is the head job's, as for every head-job engine: `completed` and
        `error` only add to the run's log, and the reconciler ends the run when Nextflow's
        process has exited (a `completed` event can be lost; an exit code cannot). Once the
        run has ended, events are ignored: a final state is final, and so are its tasks.
        """
        expected = nextflow_run_name(run.id)
        if event.run_name != expected:
            raise EngineError(
                f"runName {event.run_name[:100]!r} is not run {run.id}'s Nextflow run ({expected})"
            )
        task_id = str(event.trace.task_id) if event.trace is not None else None
        run = await self._store.get_run(run.id)  # as it is now, not as the request found it
        if run.state in FINAL_STATES:
            return EventOutcome(
                run_id=run.id,
                event=event.event,
                task_id=task_id,
                applied=False,
                ignored=f"run {run.id} has ended ({run.state}); its tasks no longer change",
            )
        applied = False
        if event.trace is not None:
            applied = await self._apply_task(task_from_trace(run.id, event.trace))
        if event.event == "started" and run.state in (RunState.QUEUED, RunState.INITIALIZING):
            try:
                await self._advance(run, RunState.RUNNING)
                applied = True
            except InvalidTransitionError:
                pass  # the run moved on meanwhile (canceled, or ended)
        line = event.log_line()
        if line:
            await self._store.append_log(run.id, [line])
        return EventOutcome(run_id=run.id, event=event.event, task_id=task_id, applied=applied)

    async def _apply_task(self, reported: Task) -> bool:
        lock = self._task_locks.get(reported.run_id)
        if lock is None:
            lock = self._task_locks[reported.run_id] = asyncio.Lock()
        async with lock:
            if (await self._store.get_run(reported.run_id)).state in FINAL_STATES:
                return False  # the run ended while this event waited
            stored = await self._store.get_task(reported.run_id, reported.id)
            task = updated_task(stored, reported)
            if task is None:
                return False
            await self._store.upsert_task(task)
            return True

    def _outputs(self, run: Run) -> dict[str, Any]:
        """What the pipeline published to its `outdir`."""
        outputs = self.staging.outputs_prefix(run.id)
        files = [
            f"s3://{outputs.bucket}/{outputs.key(name)}"
            for name in self.staging.list_files(outputs)
        ]
        return {"prefix": f"{outputs.uri}/", "files": files}

    def _named_job_ids(self, run: Run) -> list[str]:
        """None: Nextflow names its jobs after its tasks, not the run. A canceled run's jobs
        are those its tasks record, and Nextflow terminates its own jobs when it is stopped."""
        return []
