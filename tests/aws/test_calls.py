"""Error paths of the AWS calls, with botocore's Stubber standing in for AWS."""

import pytest
from botocore.exceptions import EndpointConnectionError

from batchflow_aws import AwsError
from batchflow_aws.calls import AwsCaller
from batchflow_aws.clients import make_clients

from ..offline_aws import stubbed

FAST = {"max_wait_seconds": 0.001}


@pytest.fixture
def batch():
    with stubbed("batch") as (client, stubber):
        yield client, stubber


@pytest.mark.parametrize(
    ("code", "status"),
    [("TooManyRequestsException", 429), ("ThrottlingException", 400), ("ServerException", 500)],
)
def test_throttling_and_server_errors_are_retried(batch, code, status) -> None:
    client, stubber = batch
    stubber.add_client_error("describe_jobs", service_error_code=code, http_status_code=status)
    stubber.add_client_error("describe_jobs", service_error_code=code, http_status_code=status)
    stubber.add_response("describe_jobs", {"jobs": []})

    result = AwsCaller(**FAST)("DescribeJobs", client.describe_jobs, jobs=["a"])

    assert result["jobs"] == []


def test_client_errors_are_raised_at_once_with_context(batch) -> None:
    client, stubber = batch
    stubber.add_client_error(
        "submit_job",
        service_error_code="ClientException",
        service_message="JobQueue nope not found",
        http_status_code=400,
    )

    with pytest.raises(AwsError) as raised:
        AwsCaller(**FAST)(
            "SubmitJob for rule align",
            client.submit_job,
            jobName="j",
            jobQueue="nope",
            jobDefinition="d",
        )

    assert str(raised.value) == (
        "SubmitJob for rule align failed: ClientException: JobQueue nope not found"
    )
    assert (raised.value.code, raised.value.unreachable) == ("ClientException", False)


def test_retries_give_up_after_the_attempt_limit(batch) -> None:
    client, stubber = batch
    for _ in range(3):
        stubber.add_client_error(
            "describe_jobs", service_error_code="TooManyRequestsException", http_status_code=429
        )

    with pytest.raises(AwsError, match="TooManyRequestsException"):
        AwsCaller(max_attempts=3, **FAST)("DescribeJobs", client.describe_jobs, jobs=["a"])


def test_connection_errors_are_retried() -> None:
    outcomes = [EndpointConnectionError(endpoint_url="http://batch"), {"ok": True}]

    def flaky() -> dict[str, bool]:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert AwsCaller(**FAST)("Flaky call", flaky) == {"ok": True}


def test_an_endpoint_that_never_answers_is_an_unreachable_error() -> None:
    def refused() -> None:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

    with pytest.raises(AwsError, match="Could not connect") as raised:
        AwsCaller(max_attempts=2, **FAST)("DescribeJobs", refused)

    assert raised.value.unreachable


def test_pages_are_followed_to_the_last_and_a_throttled_listing_starts_again(batch) -> None:
    client, stubber = batch
    stubber.add_response("list_jobs", {"jobSummaryList": [_summary("a")], "nextToken": "t"})
    stubber.add_client_error(
        "list_jobs", service_error_code="TooManyRequestsException", http_status_code=429
    )
    stubber.add_response("list_jobs", {"jobSummaryList": [_summary("a")], "nextToken": "t"})
    stubber.add_response("list_jobs", {"jobSummaryList": [_summary("b")]})

    found = AwsCaller(**FAST).pages("ListJobs", client, "list_jobs", "jobSummaryList", jobQueue="q")

    assert [summary["jobId"] for summary in found] == ["a", "b"]


def _summary(job_id: str) -> dict[str, object]:
    return {"jobId": job_id, "jobName": job_id}


def test_missing_region_says_how_to_set_one(monkeypatch, tmp_path) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))

    with pytest.raises(AwsError, match="no AWS region is configured"):
        make_clients(None, "batch")
