"""Staging a run to S3 goes through the AWS layer's retry policy."""

from pathlib import Path

import pytest
from botocore.stub import ANY

from batchflow_aws import AwsError
from batchflow_aws.calls import AwsCaller
from batchflow_aws.s3paths import S3Prefix
from batchflow_service.engines.staging import RunStaging
from batchflow_service.models import Run

from ..offline_aws import stubbed

FAST = AwsCaller(max_attempts=3, max_wait_seconds=0.001)


@pytest.fixture
def s3():
    with stubbed("s3") as (client, stubber):
        yield client, stubber


def put(key: str) -> dict[str, object]:
    return {"Bucket": "b", "Key": key, "Body": ANY}


def test_a_throttled_put_is_retried_and_the_run_is_staged(s3, tmp_path: Path) -> None:
    client, stubber = s3
    folder = tmp_path / "wf"
    folder.mkdir()
    (folder / "Snakefile").write_text("rule all:\n")
    stubber.add_client_error("put_object", "SlowDown", http_status_code=503)
    stubber.add_response("put_object", {}, put("runs/r1/workflow/Snakefile"))
    stubber.add_response("put_object", {}, put("runs/r1/config.json"))
    stubber.add_response("put_object", {}, put("runs/r1/run.json"))

    run = Run(id="r1", workflow="wf", engine="snakemake")
    RunStaging(client, "b", FAST).stage(run, [], folder, {"config.json": b"{}"})


def test_a_refused_put_names_the_object_and_awss_code(s3) -> None:
    client, stubber = s3
    stubber.add_client_error("put_object", "AccessDenied", http_status_code=403)

    with pytest.raises(AwsError, match=r"PutObject s3://b/runs/r2/run.json failed: AccessDenied"):
        RunStaging(client, "b", FAST).write_record(Run(id="r2", workflow="wf", engine="snakemake"))


def test_a_missing_object_reads_as_none_and_other_errors_raise(s3) -> None:
    client, stubber = s3
    stubber.add_client_error("get_object", "NoSuchKey", http_status_code=404)
    stubber.add_client_error("get_object", "AccessDenied", http_status_code=403)
    staging = RunStaging(client, "b", FAST)

    assert staging.read(S3Prefix("b", "runs/r3"), "events.jsonl") is None
    with pytest.raises(AwsError, match="AccessDenied"):
        staging.read(S3Prefix("b", "runs/r3"), "events.jsonl")


def test_reading_the_last_bytes_of_an_object_reads_no_more(client_factory) -> None:
    client = client_factory("s3")
    staging = RunStaging(client, "batchflow-local", FAST)
    folder = S3Prefix("batchflow-local", "runs/tail-test")
    client.put_object(Bucket="batchflow-local", Key=folder.key("long"), Body=b"abcdef")
    client.put_object(Bucket="batchflow-local", Key=folder.key("empty"), Body=b"")

    assert staging.read(folder, "long", last_bytes=3) == b"def"
    assert staging.read(folder, "long", last_bytes=100) == b"abcdef"
    assert staging.read(folder, "empty", last_bytes=3) == b""
    assert staging.read(folder, "missing", last_bytes=3) is None
