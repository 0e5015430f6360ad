"""The array jobs' manifest objects in S3: written before each array's SubmitJob, deleted
when the run ends."""

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from batchflow_aws import AwsError

if TYPE_CHECKING:
    from batchflow_aws.calls import AwsCaller
from batchflow_aws.s3paths import S3Prefix

from .arrays import manifest_body, manifest_key

DELETE_BATCH = 1000


class ArrayManifests:
    def __init__(self, s3: Any, call: "AwsCaller", prefix: S3Prefix, run_id: str) -> None:
        self._s3 = s3
        self._call = call
        self._prefix = prefix
        self._run_id = run_id
        self._written: list[str] = []
        self._lock = threading.Lock()

    def write(self, name: str, commands: Sequence[str]) -> str:
        """Stores the children's commands; returns the manifest's s3:// URI."""
        key = manifest_key(self._prefix, self._run_id, name)
        self._call(
            f"PutObject s3://{self._prefix.bucket}/{key}",
            self._s3.put_object,
            Bucket=self._prefix.bucket,
            Key=key,
            Body=manifest_body(commands),
            ContentType="application/json",
        )
        with self._lock:
            self._written.append(key)
        return f"s3://{self._prefix.bucket}/{key}"

    def delete_all(self) -> AwsError | None:
        """Deletes every manifest this run wrote; returns the first error, if any."""
        with self._lock:
            keys, self._written = self._written, []
        for start in range(0, len(keys), DELETE_BATCH):
            objects = [{"Key": key} for key in keys[start : start + DELETE_BATCH]]
            try:
                self._call(
                    f"DeleteObjects in s3://{self._prefix.bucket}",
                    self._s3.delete_objects,
                    Bucket=self._prefix.bucket,
                    Delete={"Objects": objects, "Quiet": True},
                )
            except AwsError as error:
                return error
        return None
