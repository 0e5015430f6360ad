"""AWS Batch's "Batch Job State Change" events, in EventBridge's shape, sent to an SQS queue as
Batch and an EventBridge rule would send them: one message each time a job's status changes."""

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from moto.sqs.exceptions import SQSException
from moto.sqs.models import SQSBackend

from .batch_models import Job
from .recording import JobRecorder

log = logging.getLogger(__name__)

DETAIL_TYPE = "Batch Job State Change"
SOURCE = "aws.batch"


def state_change_event(job: Job, account: str, region: str) -> dict[str, Any]:
    """The event EventBridge delivers; `detail` is the job as DescribeJobs shows it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE,
        "source": SOURCE,
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [job.arn],
        "detail": job.describe(),
    }


class StateChangePublisher(JobRecorder):
    """Sends an event for every status change, and passes every call on to `inner` (the
    recorder that keeps the local AWS's state)."""

    def __init__(
        self, inner: JobRecorder, backend: SQSBackend, queue: str, account: str, region: str
    ) -> None:
        self.inner = inner
        self.backend = backend
        self.queue = queue
        self.account = account
        self.region = region
        self._published: dict[str, str] = {}
        """The status last published per job."""

    def job_changed(self, job: Job) -> None:
        self.inner.job_changed(job)
        if self._published.get(job.job_id) == job.status:
            return
        self._published[job.job_id] = job.status
        event = state_change_event(job, self.account, self.region)
        try:
            self.backend.send_message(self.queue, json.dumps(event))
        except SQSException as error:
            log.warning("job %s: event not sent to SQS queue %s: %s", job.job_id, self.queue, error)

    def process_started(self, job: Job, pid: int) -> None:
        self.inner.process_started(job, pid)

    def process_ended(self, job: Job) -> None:
        self.inner.process_ended(job)
