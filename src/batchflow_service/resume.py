"""Resuming a run: a new run that reuses an ended run's work prefix (s3://BUCKET/work/RUN_ID/),
so that the workflow engine reruns only what failed or is missing.

A run that did not complete may be resumed, by its owner or an admin, with parameters changed
(that is how a wrong parameter is fixed). Every resume of a chain of resumes shares the first
run's work prefix, and at most one run using a prefix is active at a time (the store refuses a
second: WorkPrefixBusyError).
"""

import logging

from pydantic import ValidationError

from .engines import EngineError
from .models import ResumeRequest, Run, RunRequest
from .states import RunState
from .validation import describe_errors

RESUMABLE_STATES = frozenset({RunState.EXECUTOR_ERROR, RunState.SYSTEM_ERROR, RunState.CANCELED})
RESUME_TAG = "batchflow:resume_from"
"""The WES tag that makes a RunWorkflow request a resume of the run it names."""
log = logging.getLogger(__name__)


class RunNotResumableError(Exception):
    """The run is active, or complete (HTTP 409)."""


def check_resumable(run: Run) -> None:
    if run.state in RESUMABLE_STATES:
        return
    if run.state == RunState.COMPLETE:
        raise RunNotResumableError(
            f"run {run.id} is COMPLETE: it has nothing left to rerun; submit a new run to run "
            "its workflow again"
        )
    raise RunNotResumableError(
        f"run {run.id} is {run.state}: only a run that has ended without completing "
        f"({', '.join(sorted(RESUMABLE_STATES))}) can be resumed; wait for it to end, or "
        "cancel it first"
    )


def check_same_workflow(run: Run, engine: str, workflow: str) -> None:
    """A resume request that names a workflow must name the old run's."""
    if (engine, workflow) != (run.engine, run.workflow):
        raise EngineError(
            f"run {run.id} ran {run.engine} workflow {run.workflow[:100]!r}, not {engine} "
            f"workflow {workflow[:100]!r}: a resume reruns the old run's own workflow"
        )


def resumed_request(run: Run, changes: ResumeRequest) -> RunRequest:
    """The run request of the resumed run: the old run's, with the changes made."""
    tags = {key: value for key, value in (run.tags | changes.tags).items() if key != RESUME_TAG}
    try:
        return RunRequest(
            workflow=run.workflow,
            engine=run.engine,
            params=run.params | changes.params,
            tags=tags,
            name=changes.name or run.name,
        )
    except ValidationError as error:
        raise EngineError(
            f"the resumed run cannot be made: {describe_errors(error.errors())}"
        ) from None


def believable_resumes(runs: list[Run]) -> list[Run]:
    """Runs read back from their S3 records, with a resume link kept only where the records
    agree: the run it resumes is recorded too, has the same owner, and uses the work prefix the
    link names. A record is data any job of the deployment could have written; believed blindly,
    `reuses_work_of` would copy another run's files into this run's outputs."""
    believed: dict[str, Run] = {}
    for run in sorted(runs, key=lambda run: run.created_at):  # a run after the one it resumes
        resumed = believed.get(run.resumed_from or "")
        linked = run.resumed_from is not None or run.reuses_work_of is not None
        if linked and not (
            resumed is not None
            and resumed.owner == run.owner
            and resumed.work_id == run.reuses_work_of
        ):
            log.warning(
                "ignoring run %s's resume link (resumed_from %r, reuses_work_of %r): the "
                "records do not agree",
                run.id,
                (run.resumed_from or "")[:64],
                (run.reuses_work_of or "")[:64],
            )
            run = run.model_copy(update={"resumed_from": None, "reuses_work_of": None})
        believed[run.id] = run
    return [believed[run.id] for run in runs]
