"""After a restart: the runs recorded in S3 that the store no longer holds.

A record is data any job of the deployment could have written (they share the bucket), so
one that names another run's id, or outputs outside its own run's folder, is not believed."""

import logging

from pydantic import ValidationError

from ..models import Run
from ..store import RunStore
from .staging import RECORD, RunStaging

log = logging.getLogger(__name__)


def recorded_runs(staging: RunStaging) -> list[Run]:
    """Every believable run record under s3://BUCKET/runs/."""
    runs = []
    for run_id in staging.run_ids():
        body = staging.read(staging.prefix(run_id), RECORD)
        if body is None:
            continue
        try:
            run = Run.model_validate_json(body)
        except ValidationError as error:
            log.warning("ignoring the malformed record of run %s: %s", run_id, error)
            continue
        if run.id != run_id:
            log.warning("ignoring runs/%s/%s: it names run %r", run_id, RECORD, run.id[:64])
            continue
        runs.append(_own_outputs_only(run, f"{staging.outputs_prefix(run_id).uri}/"))
    return runs


def _own_outputs_only(run: Run, prefix: str) -> Run:
    if run.outputs and run.outputs.get("prefix") != prefix:
        log.warning("ignoring the outputs run %s's record names outside %s", run.id, prefix)
        return run.model_copy(update={"outputs": {}})
    return run


async def restore_missing(store: RunStore, runs: list[Run]) -> int:
    """Puts back the runs the store lacks; how many it put back."""
    restored = 0
    for run in runs:
        try:
            await store.get_run(run.id)
        except LookupError:
            await store.create_run(run)
            restored += 1
    return restored
