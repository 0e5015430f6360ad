"""Job status from AWS Batch's "Batch Job State Change" events, which an EventBridge rule puts
on an SQS queue: a daemon thread long-polls the queue and keeps each job's newest state.

One queue may serve several runs at once (a deployment has one). A run takes and deletes the
events of its own jobs (their names start with its run prefix), leaves other runs' events to
them (hidden from itself for a while, so that a backlog of them does not hide its own), and
deletes those nobody took for STALE_SECONDS: by then their run has found the job's state
with DescribeJobs, or has ended.
"""

import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from batchflow_aws import AwsError

if TYPE_CHECKING:
    from batchflow_aws.calls import AwsCaller

DETAIL_TYPE = "Batch Job State Change"
RECEIVE_WAIT_SECONDS = 20
RECEIVE_MAX_MESSAGES = 10
OTHERS_VISIBILITY_SECONDS = 30
"""How long another run's event stays hidden after this run saw it (this run's own are
deleted at once)."""
STALE_SECONDS = 120
"""Twice the default sweep: a run has asked DescribeJobs about its jobs by then."""
RETRY_SECONDS = 5
FINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED"})
STATUS_RANK = {
    "SUBMITTED": 0,
    "PENDING": 1,
    "RUNNABLE": 2,
    "STARTING": 3,
    "RUNNING": 4,
    "SUCCEEDED": 5,
    "FAILED": 5,
}

EventOrder = tuple[str, int, int]


def event_order(event: dict[str, Any]) -> EventOrder:
    """Sorts one job's events oldest first. EventBridge's `time` has whole seconds, so within a
    second the attempt count and the status break the tie (a retry goes back to RUNNABLE with
    one attempt more)."""
    detail = event["detail"]
    return event["time"], len(detail.get("attempts") or []), STATUS_RANK.get(detail["status"], 0)


def batch_job_event(body: str) -> dict[str, Any] | None:
    """The event in a message's body; None when the body is not a Batch job state change."""
    try:
        event = json.loads(body)
        detail = event["detail"]
        if event.get("detail-type") != DETAIL_TYPE or not isinstance(detail["jobId"], str):
            return None
        if not isinstance(detail["status"], str) or not isinstance(event["time"], str):
            return None
    except (ValueError, TypeError, KeyError):
        return None
    return event


class JobEventListener:
    """Reads the queue in a daemon thread. `owns(detail)` says whether an event's job belongs to
    this run; `news` (given, or its own) is set whenever one of them changed."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        owns: Callable[[dict[str, Any]], bool],
        warn: Callable[[str], None],
        call: "AwsCaller | None" = None,
        wait_seconds: int = RECEIVE_WAIT_SECONDS,
        stale_seconds: float = STALE_SECONDS,
        news: threading.Event | None = None,
    ) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.owns = owns
        self.warn = warn
        if call is None:
            from batchflow_aws.calls import AwsCaller

            call = AwsCaller(max_attempts=3, give_up_after_seconds=30)
        self.call = call
        self.wait_seconds = wait_seconds
        self.stale_seconds = stale_seconds
        self.news = news or threading.Event()
        self._newest: dict[str, tuple[EventOrder, dict[str, Any]]] = {}
        self._heard_at: dict[str, float] = {}
        self._ended: set[str] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="batchflow-events", daemon=True)

    def check_queue(self) -> None:
        """Raises AwsError when the queue cannot be read (missing, or no permission)."""
        self.call(
            f"GetQueueAttributes for the events queue {self.queue_url}",
            self.sqs.get_queue_attributes,
            QueueUrl=self.queue_url,
            AttributeNames=["QueueArn"],
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Returns at once: a long poll under way ends by itself, and its messages are left in
        the queue."""
        self._stopped.set()
        self.news.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    # What the status loop asks

    def newest(self, job_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Each job's newest state heard, as DescribeJobs would show it, for those heard of."""
        with self._lock:
            return {i: self._newest[i][1] for i in job_ids if i in self._newest}

    def not_heard_since(self, job_ids: list[str], seconds: float) -> list[str]:
        """The jobs with no event and no DescribeJobs for `seconds`; a job asked about for the
        first time counts as heard now."""
        now = time.monotonic()
        with self._lock:
            return [i for i in job_ids if now - self._heard_at.setdefault(i, now) >= seconds]

    def heard(self, job_ids: list[str]) -> None:
        """DescribeJobs answered for these jobs."""
        now = time.monotonic()
        with self._lock:
            self._heard_at.update(dict.fromkeys(job_ids, now))

    def forget(self, job_id: str) -> None:
        """The job ended; later events for it are dropped."""
        with self._lock:
            self._ended.add(job_id)
            self._newest.pop(job_id, None)
            self._heard_at.pop(job_id, None)

    # The thread

    def _listen(self) -> None:
        failing = False
        while not self._stopped.is_set():
            try:
                messages = self._receive()
                if self._stopped.is_set():
                    return
                self._delete(self._take(messages))
            except AwsError as error:
                if not failing:
                    self.warn(
                        f"reading job events failed, retrying every {RETRY_SECONDS} s (job "
                        f"status comes from DescribeJobs meanwhile): {error}"
                    )
                failing = True
                self._stopped.wait(RETRY_SECONDS)
                continue
            if failing:
                self.warn("reading job events works again")
            failing = False

    def _receive(self) -> list[dict[str, Any]]:
        response = self.call(
            "ReceiveMessage from the events queue",
            self.sqs.receive_message,
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=RECEIVE_MAX_MESSAGES,
            WaitTimeSeconds=self.wait_seconds,
            VisibilityTimeout=OTHERS_VISIBILITY_SECONDS,
            MessageSystemAttributeNames=["SentTimestamp"],
        )
        return response.get("Messages", [])

    def _take(self, messages: list[dict[str, Any]]) -> list[str]:
        """Keeps this run's events; returns the receipt handles of the messages to delete."""
        done: list[str] = []
        changed = False
        now_ms = time.time() * 1000
        for message in messages:
            event = batch_job_event(message.get("Body", ""))
            if event is not None and not self.owns(event["detail"]):
                sent = int(message.get("Attributes", {}).get("SentTimestamp", now_ms))
                if now_ms - sent >= self.stale_seconds * 1000:
                    done.append(message["ReceiptHandle"])
                continue
            done.append(message["ReceiptHandle"])
            if event is not None:
                changed = self._keep(event) or changed
        if changed:
            self.news.set()
        return done

    def _keep(self, event: dict[str, Any]) -> bool:
        job_id = event["detail"]["jobId"]
        order = event_order(event)
        with self._lock:
            if job_id in self._ended:
                return False
            self._heard_at[job_id] = time.monotonic()
            known = self._newest.get(job_id)
            if known is not None and known[0] >= order:
                return False
            self._newest[job_id] = (order, event["detail"])
            return True

    def _delete(self, receipts: list[str]) -> None:
        for start in range(0, len(receipts), RECEIVE_MAX_MESSAGES):
            entries = [
                {"Id": str(number), "ReceiptHandle": receipt}
                for number, receipt in enumerate(receipts[start : start + RECEIVE_MAX_MESSAGES])
            ]
            self.call(
                "DeleteMessageBatch on the events queue",
                self.sqs.delete_message_batch,
                QueueUrl=self.queue_url,
                Entries=entries,
            )
