"""Which platform (EC2 or FARGATE) a job queue runs, read from its compute environments."""

import threading
from typing import TYPE_CHECKING, Any

from .errors import AwsError

if TYPE_CHECKING:  # botocore loads only when a workflow runs, not on `snakemake --version`
    from .calls import AwsCaller

FARGATE_TYPES = frozenset({"FARGATE", "FARGATE_SPOT"})


class QueuePlatforms:
    def __init__(self, batch: Any, call: "AwsCaller") -> None:
        self._batch = batch
        self._call = call
        self._platforms: dict[str, str] = {}
        self._lock = threading.Lock()

    def platform(self, queue: str) -> str:
        with self._lock:
            if queue not in self._platforms:
                self._platforms[queue] = self._look_up(queue)
            return self._platforms[queue]

    def _look_up(self, queue: str) -> str:
        found = self._call(
            f"DescribeJobQueues for {queue}", self._batch.describe_job_queues, jobQueues=[queue]
        )["jobQueues"]
        if not found:
            raise AwsError(
                f"DescribeJobQueues for {queue}",
                f"job queue {queue!r} does not exist in this account and region",
                "JobQueueNotFound",
            )
        environments = [
            entry["computeEnvironment"] for entry in found[0]["computeEnvironmentOrder"]
        ]
        described = self._call(
            f"DescribeComputeEnvironments for queue {queue}",
            self._batch.describe_compute_environments,
            computeEnvironments=environments,
        )["computeEnvironments"]
        types = {ce.get("computeResources", {}).get("type", "EC2") for ce in described}
        return "FARGATE" if types and types <= FARGATE_TYPES else "EC2"
