"""SubmitJob's quotas, as AWS answers them: 30 KiB per request, 50 calls per second."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from batchflow_local.errors import AwsError
from batchflow_local.submit_limits import CallRateLimit

NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_window_admits_its_calls_and_refuses_the_next() -> None:
    clock = Clock()
    limit = CallRateLimit(3, 1.0, clock)
    for _ in range(3):
        limit.admit()

    with pytest.raises(AwsError) as refused:
        limit.admit()

    assert (refused.value.code, refused.value.status) == ("TooManyRequestsException", 429)


def test_a_call_leaves_the_window_a_second_after_it_was_admitted() -> None:
    clock = Clock()
    limit = CallRateLimit(2, 1.0, clock)
    limit.admit()
    clock.now = 0.5
    limit.admit()
    clock.now = 0.999
    with pytest.raises(AwsError):
        limit.admit()

    clock.now = 1.0
    limit.admit()
    with pytest.raises(AwsError):
        limit.admit()


def test_refused_calls_do_not_count() -> None:
    clock = Clock()
    limit = CallRateLimit(1, 1.0, clock)
    limit.admit()
    for step in range(9):
        clock.now = 0.1 * step
        with pytest.raises(AwsError):
            limit.admit()

    clock.now = 1.0
    limit.admit()


def job_request(queue: str, definition: str, command_bytes: int) -> dict[str, Any]:
    return {
        "jobName": "limits",
        "jobQueue": queue,
        "jobDefinition": definition,
        "containerOverrides": {"command": ["echo", "x" * command_bytes]},
    }


@pytest.fixture
def definition(batch) -> str:
    return batch.register_job_definition(
        jobDefinitionName="submit-limits",
        type="container",
        containerProperties={
            "image": "local",
            "command": ["true"],
            "resourceRequirements": [
                {"type": "VCPU", "value": "1"},
                {"type": "MEMORY", "value": "64"},
            ],
        },
    )["jobDefinitionArn"]


def test_a_request_over_30_kib_is_a_client_exception(batch, definition) -> None:
    accepted = batch.submit_job(**job_request("local", definition, 29 * 1024))
    batch.terminate_job(jobId=accepted["jobId"], reason="test over")

    with pytest.raises(ClientError) as refused:
        batch.submit_job(**job_request("local", definition, 30 * 1024))

    error = refused.value.response["Error"]
    assert error["Code"] == "ClientException"
    assert "at most 30,720 bytes (30 KiB)" in error["Message"]


@pytest.mark.usefixtures("clean_stats")
def test_calls_over_50_a_second_are_throttled(client_factory, admin, definition) -> None:
    batch = client_factory("batch", NO_RETRIES)

    def submit(_: int) -> str | dict[str, Any]:
        try:
            return batch.submit_job(**job_request("local", definition, 8))["jobId"]
        except ClientError as error:
            return error.response

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(submit, range(200)))
    accepted = [answer for answer in answers if isinstance(answer, str)]
    refused = [answer for answer in answers if not isinstance(answer, str)]
    for job_id in accepted:
        batch.terminate_job(jobId=job_id, reason="test over")

    assert refused
    assert {r["Error"]["Code"] for r in refused} == {"TooManyRequestsException"}
    assert {r["ResponseMetadata"]["HTTPStatusCode"] for r in refused} == {429}
    assert admin.get("/stats").json()["throttled"]["batch:SubmitJob"] == len(refused)
