"""Job queues as the Batch API describes them: state, platform (EC2 or FARGATE), and the
limits their compute environments declare."""

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import AwsError

if TYPE_CHECKING:  # botocore loads only when a workflow runs, not on `snakemake --version`
    from .calls import AwsCaller

FARGATE_TYPES = frozenset({"FARGATE", "FARGATE_SPOT"})


@dataclass(frozen=True)
class ComputeEnvironment:
    name: str
    compute_type: str
    """EC2, SPOT, FARGATE or FARGATE_SPOT; UNMANAGED for an unmanaged environment."""
    max_vcpus: float | None
    """maxvCpus of a managed environment; None when the API does not say (unmanaged)."""
    state: str

    @property
    def fargate(self) -> bool:
        return self.compute_type in FARGATE_TYPES


@dataclass(frozen=True)
class JobQueue:
    name: str
    state: str
    status: str
    compute_environments: tuple[ComputeEnvironment, ...]

    @property
    def platform(self) -> str:
        environments = self.compute_environments
        return "FARGATE" if environments and all(ce.fargate for ce in environments) else "EC2"

    @property
    def max_vcpus(self) -> float | None:
        """The most vCPUs any one job could get, or None when an environment does not say.

        Memory and GPUs are absent on purpose: for EC2 environments the Batch API names instance
        types, not their sizes, and Fargate's limits are the Fargate size table (fargate.py).
        """
        limits = [ce.max_vcpus for ce in self.compute_environments]
        if not limits or any(limit is None for limit in limits):
            return None
        return max(limit for limit in limits if limit is not None)


def _compute_environment(described: dict[str, Any]) -> ComputeEnvironment:
    resources = described.get("computeResources") or {}
    managed = described.get("type", "MANAGED") == "MANAGED"
    max_vcpus = resources.get("maxvCpus") if managed else None
    return ComputeEnvironment(
        name=described["computeEnvironmentName"],
        compute_type=resources.get("type", "EC2") if managed else "UNMANAGED",
        max_vcpus=float(max_vcpus) if max_vcpus is not None else None,
        state=described.get("state", "ENABLED"),
    )


QUEUE_NOT_FOUND = "JobQueueNotFound"


class JobQueues:
    """Each queue described once (DescribeJobQueues + DescribeComputeEnvironments), then cached;
    so is a missing queue, which costs one call however many jobs name it. Any other failure
    (throttling that outlasted the retries, no connection) is tried again next time."""

    def __init__(self, batch: Any, call: "AwsCaller") -> None:
        self._batch = batch
        self._call = call
        self._queues: dict[str, JobQueue | AwsError] = {}
        self._lock = threading.Lock()

    def describe(self, queue: str) -> JobQueue:
        with self._lock:
            if queue not in self._queues:
                try:
                    self._queues[queue] = self._look_up(queue)
                except AwsError as error:
                    if error.code != QUEUE_NOT_FOUND:
                        raise
                    self._queues[queue] = error
            found = self._queues[queue]
        if isinstance(found, AwsError):
            raise found
        return found

    def platform(self, queue: str) -> str:
        return self.describe(queue).platform

    def _look_up(self, queue: str) -> JobQueue:
        found = self._call(
            f"DescribeJobQueues for {queue}", self._batch.describe_job_queues, jobQueues=[queue]
        )["jobQueues"]
        if not found:
            raise AwsError(
                f"DescribeJobQueues for {queue}",
                f"job queue {queue!r} does not exist in this account and region",
                QUEUE_NOT_FOUND,
            )
        described_queue = found[0]
        names = [
            entry["computeEnvironment"] for entry in described_queue["computeEnvironmentOrder"]
        ]
        environments = (
            self._call(
                f"DescribeComputeEnvironments for queue {queue}",
                self._batch.describe_compute_environments,
                computeEnvironments=names,
            )["computeEnvironments"]
            if names
            else []
        )
        return JobQueue(
            name=described_queue["jobQueueName"],
            state=described_queue.get("state", "ENABLED"),
            status=described_queue.get("status", "VALID"),
            compute_environments=tuple(_compute_environment(ce) for ce in environments),
        )
