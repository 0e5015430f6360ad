"""After a restart: the runs recorded in S3 that the store no longer holds.

A record is data any job of the deployment could have written (they share the bucket), so
one that names another run's id, or outputs outside its own run's folder, is not believed.
Nor is one the service could not keep (storable.py): it is skipped with a log line, and every
other run still comes back; one bad record never keeps the rest out.
"""

import json
import logging
import re

from batchflow_aws import AwsError

from ..models import Run
from ..resume import believable_resumes
from ..storable import MAX_DEPTH, check_storable, shown
from ..store import RunStore, StoreUnavailableError
from .staging import RECORD, RunStaging

log = logging.getLogger(__name__)
RUN_ID = re.compile(r"[0-9a-f]{32}")
"""A run's id as RunService.submit makes it (uuid4().hex); a folder named otherwise holds no
run of this service."""
RECORD_LEVELS = 2
"""How deep a record keeps a request's values (run.request.workflow_params), beyond the
MAX_DEPTH levels each may nest."""


def recorded_runs(staging: RunStaging) -> list[Run]:
    """Every believable run record under s3://BUCKET/runs/."""
    runs = []
    for run_id in staging.run_ids():
        if not RUN_ID.fullmatch(run_id):
            log.warning("ignoring runs/%s/: not a run id of this service", shown(run_id))
            continue
        try:
            body = staging.read(staging.prefix(run_id), RECORD)
        except AwsError as error:
            log.warning("ignoring run %s: its record cannot be read: %s", run_id, error)
            continue
        if body is None:
            continue
        run = parse_record(run_id, body)
        if run is not None:
            runs.append(_own_outputs_only(run, f"{staging.outputs_prefix(run_id).uri}/"))
    return believable_resumes(runs)


def parse_record(run_id: str, body: bytes) -> Run | None:
    """The run runs/RUN_ID/run.json holds, or None (and a log line saying why not)."""
    try:
        record = json.loads(body.decode("utf-8"))
        check_storable(record, "", MAX_DEPTH + RECORD_LEVELS)
        run = Run.model_validate(record)
    except (ValueError, RecursionError) as error:  # not UTF-8, not JSON, unstorable, not a run
        log.warning("ignoring the malformed record of run %s: %s", run_id, error)
        return None
    if run.id != run_id:
        log.warning("ignoring runs/%s/%s: it names run %s", run_id, RECORD, shown(run.id))
        return None
    return run


def _own_outputs_only(run: Run, prefix: str) -> Run:
    if run.outputs and run.outputs.get("prefix") != prefix:
        log.warning("ignoring the outputs run %s's record names outside %s", run.id, prefix)
        return run.model_copy(update={"outputs": {}})
    return run


async def restore_missing(store: RunStore, runs: list[Run]) -> int:
    """Puts back the runs the store lacks; how many it put back. A run the store refuses is
    logged and skipped; a store that cannot be reached stops it (the next start tries again)."""
    restored = 0
    for run in runs:
        try:
            await store.get_run(run.id)
            continue
        except LookupError:
            pass
        try:
            await store.create_run(run)
        except StoreUnavailableError:
            raise
        except Exception as error:  # the store's own error type, whichever store it is
            log.warning("could not restore run %s from its record: %s", run.id, error)
            continue
        restored += 1
    return restored
