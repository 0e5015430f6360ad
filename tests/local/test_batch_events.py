"""SQS on the local AWS, and the "Batch Job State Change" events it puts on its events queue."""

import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from batchflow_local.config import ACCOUNT_ID
from batchflow_local.server import LocalAwsServer

from ..conftest import EVENTS_QUEUE, aws_client
from .test_cli import batchflow

EVENT_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture(scope="module")
def sqs(events_aws: LocalAwsServer) -> Any:
    return aws_client(events_aws, "sqs")


@pytest.fixture(scope="module")
def events_batch(events_aws: LocalAwsServer) -> Any:
    batch = aws_client(events_aws, "batch")
    batch.register_job_definition(
        jobDefinitionName="shell",
        type="container",
        containerProperties={
            "image": "busybox",
            "command": ["true"],
            "resourceRequirements": [
                {"type": "VCPU", "value": "1"},
                {"type": "MEMORY", "value": "64"},
            ],
        },
    )
    return batch


@pytest.fixture(scope="module")
def queue_url(sqs: Any) -> str:
    return sqs.get_queue_url(QueueName=EVENTS_QUEUE)["QueueUrl"]


def events_until(
    sqs: Any, queue_url: str, done: set[str], timeout: float = 60
) -> list[dict[str, Any]]:
    """Reads and deletes events until each job id of `done` had a final one."""
    events: list[dict[str, Any]] = []
    ended: set[str] = set()
    deadline = time.monotonic() + timeout
    while not done <= ended:
        assert time.monotonic() < deadline, f"no final event for {done - ended}"
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        for message in messages:
            event = json.loads(message["Body"])
            events.append(event)
            if event["detail"]["status"] in ("SUCCEEDED", "FAILED"):
                ended.add(event["detail"]["jobId"])
        if messages:
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(messages)
                ],
            )
    return events


def statuses(events: list[dict[str, Any]], job_id: str) -> list[str]:
    return [e["detail"]["status"] for e in events if e["detail"]["jobId"] == job_id]


def test_queue_url_is_exported_and_is_what_get_queue_url_answers(
    events_aws: LocalAwsServer, queue_url: str
) -> None:
    assert queue_url == f"{events_aws.endpoint}/{ACCOUNT_ID}/{EVENTS_QUEUE}"
    assert events_aws.client_environment()["SNAKEMAKE_BATCHFLOW_EVENTS_QUEUE"] == queue_url


def test_a_job_s_life_arrives_as_eventbridge_events(
    events_batch: Any, sqs: Any, queue_url: str
) -> None:
    job = events_batch.submit_job(
        jobName="evented",
        jobQueue="local",
        jobDefinition="shell",
        containerOverrides={"command": ["sh", "-c", "exit 0"]},
    )
    events = events_until(sqs, queue_url, {job["jobId"]})
    mine = [e for e in events if e["detail"]["jobId"] == job["jobId"]]
    assert statuses(mine, job["jobId"]) == [
        "SUBMITTED",
        "RUNNABLE",
        "STARTING",
        "RUNNING",
        "SUCCEEDED",
    ]
    final = mine[-1]
    assert final["version"] == "0"
    assert final["detail-type"] == "Batch Job State Change"
    assert final["source"] == "aws.batch"
    assert final["account"] == ACCOUNT_ID
    assert final["region"] == "us-east-1"
    assert final["resources"] == [job["jobArn"]]
    assert EVENT_TIME.fullmatch(final["time"])
    assert len({e["id"] for e in mine}) == len(mine)
    described = events_batch.describe_jobs(jobs=[job["jobId"]])["jobs"][0]
    described.pop("ResponseMetadata", None)
    assert final["detail"] == described


def test_a_failed_job_s_event_has_what_its_failure_report_needs(
    events_batch: Any, sqs: Any, queue_url: str
) -> None:
    job = events_batch.submit_job(
        jobName="evented-failure",
        jobQueue="local",
        jobDefinition="shell",
        containerOverrides={"command": ["sh", "-c", "echo oops; exit 3"]},
    )
    events = events_until(sqs, queue_url, {job["jobId"]})
    final = [e for e in events if e["detail"]["jobId"] == job["jobId"]][-1]["detail"]
    assert final["status"] == "FAILED"
    assert final["statusReason"] == "Essential container in task exited"
    assert final["container"]["exitCode"] == 3
    assert final["container"]["logStreamName"]
    assert len(final["attempts"]) == 1
    assert final["stoppedAt"] >= final["startedAt"]


def test_array_children_have_events_of_their_own(
    events_batch: Any, sqs: Any, queue_url: str
) -> None:
    parent = events_batch.submit_job(
        jobName="evented-array",
        jobQueue="local",
        jobDefinition="shell",
        arrayProperties={"size": 2},
        containerOverrides={"command": ["sh", "-c", "exit 0"]},
    )["jobId"]
    children = {f"{parent}:0", f"{parent}:1"}
    events = events_until(sqs, queue_url, {parent, *children})
    for child in children:
        assert statuses(events, child)[0] == "SUBMITTED"
        assert statuses(events, child)[-1] == "SUCCEEDED"
        child_event = [e for e in events if e["detail"]["jobId"] == child][-1]
        assert child_event["resources"] == [child_event["detail"]["jobArn"]]
        assert child_event["detail"]["arrayProperties"]["index"] == int(child[-1])
    assert statuses(events, parent) == ["SUBMITTED", "PENDING", "SUCCEEDED"]


def test_sqs_answers_the_query_protocol_too(events_aws: LocalAwsServer, queue_url: str) -> None:
    environment = events_aws.client_environment()
    request = AWSRequest(
        method="POST",
        url=f"{events_aws.endpoint}/",
        data=f"Action=GetQueueUrl&QueueName={EVENTS_QUEUE}&Version=2012-11-05",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    credentials = Credentials(
        environment["AWS_ACCESS_KEY_ID"], environment["AWS_SECRET_ACCESS_KEY"]
    )
    SigV4Auth(credentials, "sqs", "us-east-1").add_auth(request)
    response = httpx.post(request.url, content=request.body, headers=dict(request.headers))
    assert response.status_code == 200
    assert f"<QueueUrl>{queue_url}</QueueUrl>" in response.text


def test_sqs_refuses_a_request_signed_with_another_secret(events_aws: LocalAwsServer) -> None:
    stranger = aws_client(events_aws, "sqs", secret="not-the-secret")
    with pytest.raises(ClientError) as refused:
        stranger.get_queue_url(QueueName=EVENTS_QUEUE)
    assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_cli_exports_the_events_queue_url_it_serves(tmp_path: Path) -> None:
    process = subprocess.Popen(
        batchflow(
            "local", "--port", "0", "--workdir", str(tmp_path), "--events-queue", EVENTS_QUEUE
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        exports: dict[str, str] = {}
        for line in process.stdout:
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                exports[name] = value
            if "ready" in line:
                break
        url = exports["SNAKEMAKE_BATCHFLOW_EVENTS_QUEUE"]
        assert url == f"{exports['AWS_ENDPOINT_URL']}/{ACCOUNT_ID}/{EVENTS_QUEUE}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_cli_refuses_an_invalid_queue_name() -> None:
    result = subprocess.run(
        batchflow("local", "--port", "0", "--events-queue", "no spaces"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "'no spaces' is not valid" in result.stderr
