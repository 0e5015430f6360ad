"""The events listener against a real SQS queue (the local AWS's): what it keeps, what it
deletes, what it leaves to other runs, and how fast it wakes and stops."""

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from batchflow_aws import AwsError
from batchflow_executor.job_events import JobEventListener

RUN_PREFIX = "bf-thisrun-"


def event_body(
    job_id: str,
    status: str,
    time_: str = "2026-01-01T00:00:01Z",
    attempts: int = 0,
    name: str = f"{RUN_PREFIX}square-3",
) -> str:
    return json.dumps(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Batch Job State Change",
            "source": "aws.batch",
            "account": "123456789012",
            "time": time_,
            "region": "us-east-1",
            "resources": [f"arn:aws:batch:us-east-1:123456789012:job/{job_id}"],
            "detail": {
                "jobId": job_id,
                "jobName": name,
                "status": status,
                "attempts": [{"container": {}}] * attempts,
            },
        }
    )


@pytest.fixture
def sqs(client_factory: Callable[..., Any]) -> Any:
    return client_factory("sqs")


@pytest.fixture
def queue(sqs: Any) -> Iterator[str]:
    url = sqs.create_queue(QueueName=f"events-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    yield url
    sqs.delete_queue(QueueUrl=url)


@pytest.fixture
def listen(sqs: Any, queue: str) -> Iterator[Callable[..., JobEventListener]]:
    started: list[JobEventListener] = []
    warnings: list[str] = []

    def start(**options: Any) -> JobEventListener:
        options.setdefault("wait_seconds", 1)
        listener = JobEventListener(
            sqs,
            queue,
            lambda detail: detail["jobName"].startswith(RUN_PREFIX),
            warnings.append,
            **options,
        )
        listener.start()
        started.append(listener)
        return listener

    yield start
    for listener in started:
        listener.stop()
    assert not warnings


def send(sqs: Any, queue: str, *bodies: str) -> None:
    for body in bodies:
        sqs.send_message(QueueUrl=queue, MessageBody=body)


def messages_left(sqs: Any, queue: str) -> int:
    """Visible and in flight: what nobody deleted."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_keeps_each_job_s_newest_state_whatever_order_its_events_arrive_in(
    sqs: Any, queue: str, listen: Callable[..., JobEventListener]
) -> None:
    send(
        sqs,
        queue,
        event_body("done", "RUNNING", "2026-01-01T00:00:02Z"),
        event_body("done", "SUCCEEDED", "2026-01-01T00:00:02Z", attempts=1),
        event_body("done", "SUBMITTED", "2026-01-01T00:00:01Z"),
        event_body("retried", "RUNNING", "2026-01-01T00:00:05Z"),
        event_body("retried", "RUNNABLE", "2026-01-01T00:00:05Z", attempts=1),
    )
    listener = listen()

    eventually(lambda: messages_left(sqs, queue) == 0)
    newest = listener.newest(["done", "retried", "never-heard-of"])
    assert {job: detail["status"] for job, detail in newest.items()} == {
        "done": "SUCCEEDED",
        "retried": "RUNNABLE",
    }


def test_leaves_other_runs_events_in_the_queue_and_deletes_its_own(
    sqs: Any, queue: str, listen: Callable[..., JobEventListener]
) -> None:
    send(
        sqs,
        queue,
        event_body("mine", "RUNNING"),
        event_body("theirs", "RUNNING", name="bf-otherrun-square-1"),
    )
    listener = listen()

    eventually(lambda: "mine" in listener.newest(["mine"]))
    eventually(lambda: messages_left(sqs, queue) == 1)
    time.sleep(1.5)  # more long polls came and went: the other run's event is still there
    assert messages_left(sqs, queue) == 1
    assert listener.newest(["theirs"]) == {}


def test_deletes_stale_events_of_other_runs_and_bodies_that_are_no_job_events(
    sqs: Any, queue: str, listen: Callable[..., JobEventListener]
) -> None:
    send(
        sqs,
        queue,
        event_body("theirs", "RUNNING", name="bf-otherrun-square-1"),
        "not json",
        json.dumps({"detail-type": "EC2 Instance State-change Notification", "detail": {}}),
    )
    listen(stale_seconds=0)

    eventually(lambda: messages_left(sqs, queue) == 0)


def test_an_event_wakes_the_status_loop_at_once(
    sqs: Any, queue: str, listen: Callable[..., JobEventListener]
) -> None:
    listener = listen(wait_seconds=20)
    time.sleep(0.5)  # the long poll is under way
    listener.news.clear()

    sent = time.monotonic()
    send(sqs, queue, event_body("mine", "SUCCEEDED", attempts=1))

    assert listener.news.wait(5)
    assert time.monotonic() - sent < 1
    assert listener.newest(["mine"])["mine"]["status"] == "SUCCEEDED"


def test_stop_returns_at_once_during_a_long_poll_and_the_thread_ends_after_it(
    listen: Callable[..., JobEventListener],
) -> None:
    listener = listen(wait_seconds=2)
    time.sleep(0.3)

    began = time.monotonic()
    listener.stop()
    assert time.monotonic() - began < 0.1
    assert listener.news.is_set(), "stop must wake a status loop waiting for news"
    eventually(lambda: not listener.running, timeout=5)


def test_a_job_is_due_for_describe_only_after_a_quiet_while(
    sqs: Any, queue: str, listen: Callable[..., JobEventListener]
) -> None:
    listener = listen()
    assert listener.not_heard_since(["quiet", "loud"], 0.5) == []
    time.sleep(0.6)
    send(sqs, queue, event_body("loud", "RUNNING"))
    eventually(lambda: "loud" in listener.newest(["loud"]))

    assert listener.not_heard_since(["quiet", "loud"], 0.5) == ["quiet"]
    listener.heard(["quiet"])
    assert listener.not_heard_since(["quiet", "loud"], 0.5) == []


def test_events_of_a_job_that_ended_are_dropped(
    sqs: Any, queue: str, listen: Callable[..., JobEventListener]
) -> None:
    listener = listen()
    listener.forget("ended")
    send(sqs, queue, event_body("ended", "SUCCEEDED", attempts=1))

    eventually(lambda: messages_left(sqs, queue) == 0)
    assert listener.newest(["ended"]) == {}


def test_a_queue_that_does_not_exist_is_an_aws_error(sqs: Any, queue: str) -> None:
    missing = queue.rsplit("/", 1)[0] + "/no-such-queue"
    listener = JobEventListener(sqs, missing, lambda detail: True, print)

    with pytest.raises(AwsError, match="no-such-queue"):
        listener.check_queue()
