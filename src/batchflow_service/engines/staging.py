"""Where a run lives in S3, and putting it there (the workflow's files, the files the engine
writes for it, the run record a restarted service recovers it from) and back (in the head job).

s3://BUCKET/runs/RUN_ID/  workflow/, run.json, the engine's files, events, outputs/ (kept),
                          logs/stdout and logs/stderr (the workflow engine's own streams) and
                          failure.txt (its first error), written by the head job
s3://BUCKET/work/RUN_ID/  the workflow engine's own files (the deployed bucket expires them);
                          a resumed run reuses the work prefix of the run it resumes
"""

import json
from pathlib import Path
from typing import Any

from batchflow_aws import AwsError
from batchflow_aws.calls import AwsCaller
from batchflow_aws.s3paths import S3Prefix

from ..attachments import Attachment
from ..models import Run, dump_stored
from ..sources import workflow_files

RECORD = "run.json"
STREAM_FILES = {"stdout": "logs/stdout", "stderr": "logs/stderr"}
FAILURE_FILE = "failure.txt"


class RunStaging:
    """Every S3 call goes through `call`, the AWS layer's retry policy."""

    def __init__(self, s3: Any, bucket: str, call: AwsCaller) -> None:
        self._s3 = s3
        self.bucket = bucket
        self._call = call

    def prefix(self, run_id: str) -> S3Prefix:
        """Where a run's record, workflow, events and outputs are kept."""
        return S3Prefix(self.bucket, f"runs/{run_id}")

    def storage_prefix(self, work_id: str) -> S3Prefix:
        """Where the workflow engine keeps a run's files (`Run.work_id`: the run's own id, or
        that of the first run of its chain of resumes); the deployed bucket expires `work/`."""
        return S3Prefix(self.bucket, f"work/{work_id}")

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
            self._put(prefix, f"workflow/{attachment.name}", attachment.content)
        if folder is not None:
            for path in workflow_files(folder):
                name = f"workflow/{path.relative_to(folder.resolve()).as_posix()}"
                self._put(prefix, name, path.read_bytes())
        for name, body in files.items():
            self._put(prefix, name, body)
        self.write_record(run)

    def write_record(self, run: Run) -> None:
        body = json.dumps(dump_stored(run, mode="json")).encode()
        self._put(self.prefix(run.id), RECORD, body)

    def _put(self, prefix: S3Prefix, name: str, body: bytes) -> None:
        key = prefix.key(name)
        self._call(
            f"PutObject s3://{prefix.bucket}/{key}",
            self._s3.put_object,
            Bucket=prefix.bucket,
            Key=key,
            Body=body,
        )

    def read(self, location: S3Prefix, name: str, last_bytes: int | None = None) -> bytes | None:
        """An object's content, or only its last `last_bytes`; None if there is no such
        object."""
        tail = {"Range": f"bytes=-{last_bytes}"} if last_bytes else {}
        try:
            found = self._call(
                f"GetObject {location.uri}/{name}",
                self._s3.get_object,
                Bucket=location.bucket,
                Key=location.key(name),
                **tail,
            )
        except AwsError as error:
            if error.code == "NoSuchKey":
                return None
            if error.code == "InvalidRange":
                return b""  # an empty object has no last bytes
            raise
        return found["Body"].read()

    def run_ids(self) -> list[str]:
        """The runs that have a folder under s3://BUCKET/runs/."""
        folders = self._call.pages(
            f"ListObjectsV2 s3://{self.bucket}/runs/",
            self._s3,
            "list_objects_v2",
            "CommonPrefixes",
            Bucket=self.bucket,
            Prefix="runs/",
            Delimiter="/",
        )
        return [folder["Prefix"].removeprefix("runs/").rstrip("/") for folder in folders]

    def list_files(self, location: S3Prefix) -> list[str]:
        """The keys under `location`, relative to it."""
        return list(self.file_sizes(location))

    def file_sizes(self, location: S3Prefix) -> dict[str, int]:
        """The keys under `location`, relative to it, with their sizes in bytes."""
        start = location.key("")
        found = self._call.pages(
            f"ListObjectsV2 {location.uri}",
            self._s3,
            "list_objects_v2",
            "Contents",
            Bucket=location.bucket,
            Prefix=start,
        )
        return {item["Key"][len(start) :]: item.get("Size", 0) for item in found}

    def copy(self, source: S3Prefix, target: S3Prefix, name: str) -> None:
        """Copies `name` from under one prefix to under another (a managed copy: any size)."""
        self._call(
            f"CopyObject {source.uri}/{name}",
            self._s3.copy,
            CopySource={"Bucket": source.bucket, "Key": source.key(name)},
            Bucket=target.bucket,
            Key=target.key(name),
        )


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
