"""After a restart: the runs recorded in S3 that the store no longer holds."""

import contextlib
from typing import Any

from ..models import Run
from ..store import RunStore
from .staging import RECORD


def recorded_runs(s3: Any, bucket: str) -> list[Run]:
    """Every run record under s3://BUCKET/runs/."""
    runs = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix="runs/", Delimiter="/"):
        for common in page.get("CommonPrefixes", []):
            with contextlib.suppress(s3.exceptions.NoSuchKey):
                body = s3.get_object(Bucket=bucket, Key=f"{common['Prefix']}{RECORD}")["Body"]
                runs.append(Run.model_validate_json(body.read()))
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
