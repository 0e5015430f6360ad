"""The manifest objects in S3 of array jobs whose manifest is too large to go inline, and of
commands too long for SubmitJob: written before the SubmitJob, deleted when the run ends."""

import threading
from typing import TYPE_CHECKING, Any

from batchflow_aws import AwsError

if TYPE_CHECKING:
    from batchflow_aws.calls import AwsCaller
from batchflow_aws.s3paths import S3Prefix

from .arrays import manifest_key

DELETE_BATCH = 1000


class ArrayManifests:
    def __init__(self, s3: Any, call: "AwsCaller", prefix: S3Prefix, run_id: str) -> None:
        self._s3 = s3
        self._call = call
        self._prefix = prefix
        self._run_id = run_id
        self._written: list[str] = []
        self._lock = threading.Lock()

    def write(self, name: str, body: bytes) -> str:
        """Stores a manifest (arrays.manifest_body); returns its s3:// URI."""
        key = manifest_key(self._prefix, self._run_id, name)
        self._call(
            f"PutObject s3://{self._prefix.bucket}/{key}",
            self._s3.put_object,
            Bucket=self._prefix.bucket,
            Key=key,
            Body=body,
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
