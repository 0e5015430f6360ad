"""How a local AWS is sized and where it keeps its files."""

import os
from dataclasses import dataclass, field
from pathlib import Path

ACCOUNT_ID = "123456789012"
DEFAULT_PORT = 4566
DEFAULT_QUEUE = "local"
DEFAULT_BUCKET = "batchflow-local"
DEFAULT_COMPUTE_ENVIRONMENT = "local"
ACCESS_KEY = "batchflow-local"


MIN_VCPUS = 8


def machine_vcpus() -> int:
    """The CPU count, but at least MIN_VCPUS: jobs are processes sharing the cores, and on a
    small machine a head job and a multi-threaded rule job must still fit side by side, or
    the head would wait forever for a job that waits for the head's vCPU."""
    return max(os.cpu_count() or 1, MIN_VCPUS)


def machine_memory_mib() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)


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
