"""Ready jobs of one rule that ask AWS Batch for the same thing go out as one array job.

Snakemake hands the executor every job it has made ready at once. Jobs whose SubmitJob
requests differ only in their name, command and job id tag become the children of one array
job: one SubmitJob call instead of one per job. The commands, in order, make a manifest;
each child finds its own by `AWS_BATCH_JOB_ARRAY_INDEX` and runs it. A manifest small enough
once compressed (children of one rule differ in a few words) goes inside the array's own
command; a larger one is written to S3 before the submit and read by each child. Snakemake
still sees one job per child, with the child's own id (`PARENT:INDEX`), status, retries and
log stream.
"""

import base64
import json
import shlex
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from batchflow_aws.s3paths import S3Prefix

from .job_command import BOTH_STEPS
from .settings import MAX_ARRAY_SIZE

MANIFEST_FOLDER = ".batchflow/arrays"
INLINE = "--inline"
"""The child program's first argument when the manifest follows it (no bucket name starts
with a dash)."""
MAX_INLINE_MANIFEST_BYTES = 4096
"""The largest compressed manifest carried in the command. Every child's DescribeJobs answer
and state change event repeats the command, so a larger one goes to S3."""

# The child's program: its command from the manifest (entry 0 for a job that is not an
# array's child), then, when the command is the usual one-start command, that command's
# Python program in this same interpreter.
CHILD_PROGRAM = f"""
import gc
gc.disable()
import base64, json, os, sys, zlib
where, what = sys.argv[1], sys.argv[2]
if where == {INLINE!r}:
    body = zlib.decompress(base64.b64decode(what))
else:
    import boto3
    body = boto3.client("s3").get_object(Bucket=where, Key=what)["Body"].read()
index = int(os.environ.get("AWS_BATCH_JOB_ARRAY_INDEX", "0"))
entry = json.loads(body)["children"][index]
if "shell" in entry:
    sys.stdout.flush()
    os.execv("/bin/bash", ["/bin/bash", "-c", entry["shell"]])
sys.argv = [sys.argv[0], *entry["argv"]]
{BOTH_STEPS}
""".strip()

ONE_START_PREFIX = f"python -c {shlex.quote(BOTH_STEPS)} "

Request = TypeVar("Request")


@dataclass
class Batch(Generic[Request]):
    """Requests that go out together: one array job when `is_array`, else one job each."""

    requests: list[Request]
    is_array: bool


def sameness_key(params: dict[str, Any]) -> str:
    """What must be equal for two SubmitJob requests to be children of one array job."""
    overrides = {k: v for k, v in params["containerOverrides"].items() if k != "command"}
    tags = {k: v for k, v in params.get("tags", {}).items() if k != "batchflow:job"}
    rest = {k: v for k, v in params.items() if k not in ("jobName", "containerOverrides", "tags")}
    return json.dumps([rest, overrides, tags], sort_keys=True, default=str)


def plan_batches(
    requests: Sequence[Request],
    params_of: Callable[[Request], dict[str, Any] | None],
    min_size: int,
) -> list[Batch[Request]]:
    """Requests grouped into array jobs of `min_size` to 10,000 children; the rest alone.
    `params_of` gives None for a request that must not join an array (a job group)."""
    alike: dict[str, list[Request]] = {}
    alone: list[Request] = []
    for request in requests:
        params = params_of(request)
        if params is None or min_size < 1:
            alone.append(request)
        else:
            alike.setdefault(sameness_key(params), []).append(request)
    batches: list[Batch[Request]] = []
    for group in alike.values():
        for start in range(0, len(group), MAX_ARRAY_SIZE):
            part = group[start : start + MAX_ARRAY_SIZE]
            if len(part) >= max(2, min_size):
                batches.append(Batch(part, is_array=True))
            else:
                alone.extend(part)
    batches.extend(Batch([request], is_array=False) for request in alone)
    return batches


def manifest_entry(command: str) -> dict[str, Any]:
    """How a child runs its command: in the child program's interpreter when it is the
    one-start command alone, else through bash."""
    if command.startswith(ONE_START_PREFIX):
        return {"argv": shlex.split(command.removeprefix(ONE_START_PREFIX))}
    return {"shell": command}


def manifest_body(commands: Sequence[str]) -> bytes:
    return json.dumps({"children": [manifest_entry(c) for c in commands]}).encode()


def inline_manifest(body: bytes) -> list[str] | None:
    """The child program's arguments carrying `body` itself, or None if it is too large."""
    packed = base64.b64encode(zlib.compress(body, 9)).decode()
    return [INLINE, packed] if len(packed) <= MAX_INLINE_MANIFEST_BYTES else None


def stored_manifest(uri: str) -> list[str]:
    """The child program's arguments reading the manifest at the s3:// `uri`."""
    manifest = S3Prefix.parse(uri)
    return [manifest.bucket, manifest.prefix]


def array_params(
    children: Sequence[dict[str, Any]], name: str, manifest: list[str], first_jobid: int
) -> dict[str, Any]:
    """The array job's SubmitJob request, made from its children's (alike) requests."""
    params = reading_manifest(children[0], manifest)
    params["jobName"] = name
    params["arrayProperties"] = {"size": len(children)}
    params["tags"] = {
        **{k: v for k, v in children[0]["tags"].items() if k != "batchflow:job"},
        "batchflow:array-first-job": str(first_jobid),
    }
    return params


def reading_manifest(params: dict[str, Any], manifest: list[str]) -> dict[str, Any]:
    """The request with its command replaced by the child program reading `manifest` (from
    inline_manifest or stored_manifest)."""
    command = ["python", "-c", CHILD_PROGRAM, *manifest]
    return {**params, "containerOverrides": {**params["containerOverrides"], "command": command}}


def payload_bytes(params: dict[str, Any]) -> int:
    """The size of the SubmitJob request body botocore sends for `params`."""
    return len(json.dumps(params).encode())


def child_command(params: dict[str, Any]) -> str:
    """The shell command a single-job request runs (`/bin/bash -c COMMAND`)."""
    return params["containerOverrides"]["command"][-1]


def manifest_key(prefix: S3Prefix, run_id: str, name: str) -> str:
    return prefix.key(f"{MANIFEST_FOLDER}/{run_id}/{name}.json")
