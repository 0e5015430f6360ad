"""How a local AWS is sized and where it keeps its files."""

import os
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path

from batchflow_aws.quotas import SUBMIT_JOBS_PER_SECOND

ACCOUNT_ID = "123456789012"
DEFAULT_PORT = 4566
DEFAULT_QUEUE = "local"
DEFAULT_BUCKET = "batchflow-local"
DEFAULT_COMPUTE_ENVIRONMENT = "local"
ACCESS_KEY_ID_PREFIX = "BFL"


MIN_VCPUS = 8


def machine_vcpus() -> int:
    """The CPU count, but at least MIN_VCPUS: jobs are processes sharing the cores, and on a
    small machine a head job and a multi-threaded rule job must still fit side by side, or
    the head would wait forever for a job that waits for the head's vCPU."""
    return max(os.cpu_count() or 1, MIN_VCPUS)


def machine_memory_mib() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)


def client_environment(
    endpoint: str,
    region: str,
    access_key_id: str,
    secret_access_key: str,
    events_queue_url: str | None = None,
) -> dict[str, str]:
    """What a boto3 client needs to use a local AWS at `endpoint`, and its queue and bucket
    (and its events queue, if it has one) under the names the executor
    (SNAKEMAKE_BATCHFLOW_*) and the service (BATCHFLOW_*) read."""
    events = {"SNAKEMAKE_BATCHFLOW_EVENTS_QUEUE": events_queue_url} if events_queue_url else {}
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ACCESS_KEY_ID": access_key_id,
        "AWS_SECRET_ACCESS_KEY": secret_access_key,
        "SNAKEMAKE_BATCHFLOW_JOB_QUEUE": DEFAULT_QUEUE,
        "BATCHFLOW_HEAD_QUEUE": DEFAULT_QUEUE,
        "BATCHFLOW_TASK_QUEUE": DEFAULT_QUEUE,
        "BATCHFLOW_BUCKET": DEFAULT_BUCKET,
        **events,
    }


def new_access_key_id() -> str:
    """20 characters, as AWS's are: `BFL` and 17 random upper-case letters and digits."""
    alphabet = string.ascii_uppercase + string.digits
    return ACCESS_KEY_ID_PREFIX + "".join(secrets.choice(alphabet) for _ in range(17))


def new_secret_access_key() -> str:
    """40 random letters and digits (no `/` or `+`, so it pastes into a shell or a URL)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(40))


@dataclass
class LocalAwsConfig:
    workdir: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    region: str = "us-east-1"
    vcpus: int = field(default_factory=machine_vcpus)
    memory_mib: int = field(default_factory=machine_memory_mib)
    stop_timeout_seconds: float = 30.0
    timeout_scale: float = 1.0
    keep_workdir: bool = True
    """False: the work directory is removed when the server stops (a scratch directory)."""
    persist: bool = True
    """Keep S3, Batch and Logs state under `workdir/state` and find it again at the next start
    on the same work directory (only when the work directory is kept)."""
    access_key_id: str = field(default_factory=new_access_key_id)
    secret_access_key: str = field(default_factory=new_secret_access_key, repr=False)
    """Every request must be signed with these (the admin API takes them as Basic auth)."""
    lease_grace_seconds: float | None = None
    """None: runs until stopped (`batchflow local`). Else it holds a lease its owner renews
    (`PUT /_batchflow/lease`); when none came for this long, it ends every job and exits."""
    submit_jobs_per_second: int | None = SUBMIT_JOBS_PER_SECOND
    """AWS's SubmitJob rate quota, enforced with its throttling error; None: no limit."""
    events_queue: str | None = None
    """An SQS queue (created at start if absent) that gets a "Batch Job State Change" event,
    in EventBridge's shape, every time a job's status changes; None: no events."""
