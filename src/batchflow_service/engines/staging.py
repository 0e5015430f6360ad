"""Where a run lives in S3, and putting it there (the workflow's files, the files the engine
writes for it, the run record a restarted service recovers it from) and back (in the head job).

s3://BUCKET/runs/RUN_ID/  workflow/, run.json, the engine's files, events, outputs/ (kept)
s3://BUCKET/work/RUN_ID/  the workflow engine's own files (the deployed bucket expires them)
"""

import json
from pathlib import Path
from typing import Any

from batchflow_aws.s3paths import S3Prefix

from ..attachments import Attachment
from ..models import Run, dump_stored
from ..sources import workflow_files

RECORD = "run.json"


class RunStaging:
    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self.bucket = bucket

    def prefix(self, run_id: str) -> S3Prefix:
        """Where a run's record, workflow, events and outputs are kept."""
        return S3Prefix(self.bucket, f"runs/{run_id}")

    def storage_prefix(self, run_id: str) -> S3Prefix:
        """Where the workflow engine keeps the run's files; the deployed bucket expires `work/`."""
        return S3Prefix(self.bucket, f"work/{run_id}")

    def outputs_prefix(self, run_id: str) -> S3Prefix:
        """The run's results, kept when `work/` expires."""
        return self.prefix(run_id).child("outputs")

    def stage(
        self,
        run: Run,
        attachments: list[Attachment],
        folder: Path | None,
        files: dict[str, bytes],
    ) -> None:
        """Uploads the attachments, or the catalog folder's files, then `files` and the record."""
        prefix = self.prefix(run.id)
        for attachment in attachments:
            key = prefix.key(f"workflow/{attachment.name}")
            self._s3.put_object(Bucket=prefix.bucket, Key=key, Body=attachment.content)
        if folder is not None:
            for path in workflow_files(folder):
                key = prefix.key(f"workflow/{path.relative_to(folder.resolve()).as_posix()}")
                self._s3.upload_file(str(path), prefix.bucket, key)
        for name, body in files.items():
            self._s3.put_object(Bucket=prefix.bucket, Key=prefix.key(name), Body=body)
        self.write_record(run)

    def write_record(self, run: Run) -> None:
        prefix = self.prefix(run.id)
        body = json.dumps(dump_stored(run, mode="json")).encode()
        self._s3.put_object(Bucket=prefix.bucket, Key=prefix.key(RECORD), Body=body)

    def list_files(self, location: S3Prefix) -> list[str]:
        """The keys under `location`, relative to it."""
        start = location.key("")
        return [
            item["Key"][len(start) :]
            for page in self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=location.bucket, Prefix=start
            )
            for item in page.get("Contents", [])
        ]


def download_tree(s3: Any, source: S3Prefix, destination: Path) -> int:
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=source.bucket, Prefix=source.key("")
    ):
        for item in page.get("Contents", []):
            relative = item["Key"][len(source.key("")) :]
            target = (destination / relative).resolve()
            if not target.is_relative_to(destination.resolve()):
                raise ValueError(f"refusing to write {item['Key']!r} outside {destination}")
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(source.bucket, item["Key"], str(target))
            count += 1
    return count
