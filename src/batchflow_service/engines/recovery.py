"""After a restart: the runs recorded in S3 that the store no longer holds."""

from ..models import Run
from ..store import RunStore
from .staging import RECORD, RunStaging


def recorded_runs(staging: RunStaging) -> list[Run]:
    """Every run record under s3://BUCKET/runs/."""
    runs = []
    for run_id in staging.run_ids():
        body = staging.read(staging.prefix(run_id), RECORD)
        if body is not None:
            runs.append(Run.model_validate_json(body))
    return runs


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
