"""Every Batch, Logs and S3 request must be signed with the credentials the local AWS printed."""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.auth
import httpx
import pytest
from botocore.auth import HmacV1QueryAuth, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from batchflow_local.config import LocalAwsConfig
from batchflow_local.server import LocalAwsServer

from ..conftest import NO_RETRIES

BUCKET = "batchflow-local"


def client(
    local_aws: LocalAwsServer, service: str, config: Config = NO_RETRIES, **keys: str
) -> Any:
    """A boto3 client for the local AWS, with its credentials unless others are given."""
    return boto3.client(
        service,
        endpoint_url=local_aws.endpoint,
        region_name=local_aws.config.region,
        aws_access_key_id=keys.get("key_id", local_aws.config.access_key_id),
        aws_secret_access_key=keys.get("secret", local_aws.config.secret_access_key),
        config=config,
    )


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def a_call(service: str, boto: Any) -> None:
    if service == "batch":
        boto.describe_job_queues()
    elif service == "logs":
        boto.describe_log_groups()
    else:
        boto.list_objects_v2(Bucket=BUCKET)


def jobs_named(batch: Any, name: str) -> list[dict[str, Any]]:
    filters = [{"name": "JOB_NAME", "values": [name]}]
    return batch.list_jobs(jobQueue="local", filters=filters)["jobSummaryList"]


def s3_code(response: httpx.Response) -> str:
    found = re.search(r"<Code>(.*?)</Code>", response.text)
    return found.group(1) if found else ""


def test_credentials_are_new_for_every_local_aws(tmp_path) -> None:
    first, second = LocalAwsConfig(workdir=tmp_path), LocalAwsConfig(workdir=tmp_path)

    assert re.fullmatch(r"BFL[A-Z0-9]{17}", first.access_key_id)
    assert re.fullmatch(r"[A-Za-z0-9]{40}", first.secret_access_key)
    assert first.access_key_id != second.access_key_id
    assert first.secret_access_key != second.secret_access_key
    assert first.secret_access_key not in repr(first)


def test_client_environment_carries_the_servers_credentials(local_aws) -> None:
    environment = local_aws.client_environment()

    assert environment["AWS_ACCESS_KEY_ID"] == local_aws.config.access_key_id
    assert environment["AWS_SECRET_ACCESS_KEY"] == local_aws.config.secret_access_key
    assert local_aws.job_environment()["AWS_SECRET_ACCESS_KEY"] == (
        local_aws.config.secret_access_key
    )


def test_unsigned_submit_job_is_refused_and_submits_nothing(local_aws, batch, shell_job) -> None:
    name = f"unsigned-{uuid.uuid4().hex[:8]}"
    body = {
        "jobName": name,
        "jobQueue": "local",
        "jobDefinition": shell_job,
        "containerOverrides": {"command": ["sh", "-c", "touch /tmp/pwned"]},
    }

    response = httpx.post(
        f"{local_aws.endpoint}/v1/submitjob",
        content=json.dumps(body),
        headers={"content-type": "text/plain"},
    )

    assert response.status_code == 403
    assert response.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert "not signed" in response.json()["message"]
    assert jobs_named(batch, name) == []


def test_unsigned_logs_call_is_an_invalid_signature(local_aws) -> None:
    response = httpx.post(
        f"{local_aws.endpoint}/",
        headers={"x-amz-target": "Logs_20140328.CreateLogGroup"},
        content=b'{"logGroupName": "unsigned"}',
    )

    assert response.status_code == 403
    assert response.json()["__type"] == "InvalidSignatureException"


def test_anonymous_s3_put_is_access_denied_and_writes_nothing(local_aws, s3) -> None:
    response = httpx.put(f"{local_aws.endpoint}/{BUCKET}/anonymous/put.txt", content=b"x")

    assert response.status_code == 403
    assert s3_code(response) == "AccessDenied"
    with pytest.raises(ClientError) as raised:
        s3.head_object(Bucket=BUCKET, Key="anonymous/put.txt")
    assert error_of(raised)[1] == 404


def test_anonymous_s3_get_is_access_denied(local_aws, s3) -> None:
    s3.put_object(Bucket=BUCKET, Key="anonymous/secret.txt", Body=b"private results")

    response = httpx.get(f"{local_aws.endpoint}/{BUCKET}/anonymous/secret.txt")

    assert response.status_code == 403
    assert s3_code(response) == "AccessDenied"
    assert b"private results" not in response.content


@pytest.mark.parametrize(
    ("service", "code"),
    [
        ("batch", "InvalidSignatureException"),
        ("logs", "InvalidSignatureException"),
        ("s3", "SignatureDoesNotMatch"),
    ],
)
def test_a_wrong_secret_is_refused(local_aws, service, code) -> None:
    boto = client(local_aws, service, secret="x" * 40)

    with pytest.raises(ClientError) as raised:
        a_call(service, boto)

    assert error_of(raised) == (code, 403)


@pytest.mark.parametrize(
    ("service", "code"),
    [
        ("batch", "UnrecognizedClientException"),
        ("logs", "UnrecognizedClientException"),
        ("s3", "InvalidAccessKeyId"),
    ],
)
def test_an_unknown_access_key_id_is_refused(local_aws, service, code) -> None:
    boto = client(local_aws, service, key_id="BFLNOTTHISSERVERSKEY")

    with pytest.raises(ClientError) as raised:
        a_call(service, boto)

    assert error_of(raised) == (code, 403)


def tamper_body(old: bytes, new: bytes):
    """A before-send hook that swaps the signed body for another."""

    def swap(request: Any, **_: Any) -> None:
        body = request.body.read() if hasattr(request.body, "read") else request.body
        assert body == old, "the hook must see the body that was signed"
        request.body = new
        request.headers["Content-Length"] = str(len(new))

    return swap


def test_a_batch_body_changed_after_signing_is_refused_and_submits_nothing(
    local_aws, batch, shell_job
) -> None:
    boto = client(local_aws, "batch")
    signed = {"jobName": "signed", "jobQueue": "local", "jobDefinition": shell_job}
    sent = {**signed, "jobName": f"swapped-{uuid.uuid4().hex[:8]}"}
    boto.meta.events.register(
        "before-send.batch.SubmitJob",
        tamper_body(json.dumps(signed).encode(), json.dumps(sent).encode()),
    )

    with pytest.raises(ClientError) as raised:
        boto.submit_job(**signed)

    assert error_of(raised) == ("InvalidSignatureException", 403)
    assert jobs_named(batch, sent["jobName"]) == []


def test_an_s3_body_changed_after_signing_is_refused_and_not_stored(local_aws, s3) -> None:
    boto = client(local_aws, "s3")
    boto.meta.events.register("before-send.s3.PutObject", tamper_body(b"signed", b"sent!!"))

    with pytest.raises(ClientError) as raised:
        boto.put_object(Bucket=BUCKET, Key="tampered/object.txt", Body=b"signed")

    assert error_of(raised) == ("XAmzContentSHA256Mismatch", 400)
    with pytest.raises(ClientError) as missing:
        s3.head_object(Bucket=BUCKET, Key="tampered/object.txt")
    assert error_of(missing)[1] == 404


def test_a_header_changed_after_signing_is_refused(local_aws) -> None:
    boto = client(local_aws, "logs")

    def retarget(request: Any, **_: Any) -> None:
        request.headers["X-Amz-Target"] = "Logs_20140328.DescribeLogStreams"

    boto.meta.events.register("before-send.logs.DescribeLogGroups", retarget)
    with pytest.raises(ClientError) as raised:
        boto.describe_log_groups()

    assert error_of(raised) == ("InvalidSignatureException", 403)


def test_s3_payload_modes_botocore_sends_are_accepted(local_aws, s3) -> None:
    """Over plain http botocore signs the body's SHA-256 (with a CRC32 checksum header by
    default); with payload signing off it sends UNSIGNED-PAYLOAD."""
    unsigned = client(local_aws, "s3", Config(s3={"payload_signing_enabled": False}))
    when_required = client(local_aws, "s3", Config(request_checksum_calculation="when_required"))

    s3.put_object(Bucket=BUCKET, Key="modes/default.txt", Body=b"default")
    unsigned.put_object(Bucket=BUCKET, Key="modes/unsigned.txt", Body=b"unsigned")
    when_required.put_object(Bucket=BUCKET, Key="modes/plugin.txt", Body=b"plugin")

    for name in ("default", "unsigned", "plugin"):
        stored = s3.get_object(Bucket=BUCKET, Key=f"modes/{name}.txt")["Body"].read()
        assert stored == name.encode()


def test_s3_streaming_upload_with_a_trailing_checksum_is_accepted(local_aws, s3) -> None:
    """The aws-chunked STREAMING-UNSIGNED-PAYLOAD-TRAILER form botocore uses over https."""
    body = b"1e\r\n" + b"abc" * 10 + b"\r\n0\r\nx-amz-checksum-crc32:SLH8gQ==\r\n\r\n"
    request = AWSRequest(
        "PUT",
        f"{local_aws.endpoint}/{BUCKET}/modes/trailer.txt",
        {
            "Content-Encoding": "aws-chunked",
            "X-Amz-Trailer": "x-amz-checksum-crc32",
            "X-Amz-Decoded-Content-Length": "30",
        },
        body,
    )
    request.context["checksum"] = {"request_algorithm": {"in": "trailer"}}
    credentials = Credentials(local_aws.config.access_key_id, local_aws.config.secret_access_key)
    S3SigV4Auth(credentials, "s3", local_aws.config.region).add_auth(request)
    assert request.headers["X-Amz-Content-SHA256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"

    response = httpx.put(request.url, headers=dict(request.headers.items()), content=body)

    assert response.status_code == 200, response.text
    stored = s3.get_object(Bucket=BUCKET, Key="modes/trailer.txt")["Body"].read()
    assert stored == b"abc" * 10


def test_s3_signature_version_2_is_checked_too(local_aws) -> None:
    good = client(local_aws, "s3", Config(signature_version="s3"))
    bad = client(local_aws, "s3", Config(signature_version="s3"), secret="y" * 40)

    good.put_object(Bucket=BUCKET, Key="v2/an object.txt", Body=b"v2")
    assert good.get_object(Bucket=BUCKET, Key="v2/an object.txt")["Body"].read() == b"v2"
    listed = good.list_objects_v2(Bucket=BUCKET, Prefix="v2/")["Contents"]
    assert [item["Key"] for item in listed] == ["v2/an object.txt"]
    with pytest.raises(ClientError) as raised:
        bad.get_object(Bucket=BUCKET, Key="v2/an object.txt")
    assert error_of(raised) == ("SignatureDoesNotMatch", 403)


@pytest.fixture(params=["s3", "s3v4"])
def presigner(request, local_aws, s3) -> Any:
    """boto3's presigner: its default (Signature Version 2 for S3) and s3v4."""
    s3.put_object(Bucket=BUCKET, Key="presigned/report.txt", Body=b"results")
    return client(local_aws, "s3", Config(signature_version=request.param))


def presign(presigner: Any, key: str = "presigned/report.txt", expires: int = 3600) -> str:
    return presigner.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=expires
    )


def test_a_presigned_get_works_without_other_credentials(presigner) -> None:
    response = httpx.get(presign(presigner))

    assert response.status_code == 200
    assert response.content == b"results"


def test_a_presigned_url_for_another_key_is_refused(presigner, s3) -> None:
    s3.put_object(Bucket=BUCKET, Key="presigned/other.txt", Body=b"other")
    url = presign(presigner).replace("presigned/report.txt", "presigned/other.txt")

    response = httpx.get(url)

    assert response.status_code == 403
    assert s3_code(response) == "SignatureDoesNotMatch"
    assert b"other" not in response.content


def test_a_presigned_url_with_a_forged_signature_is_refused(presigner) -> None:
    url = presign(presigner)
    parameter = "X-Amz-Signature=" if "X-Amz-Signature=" in url else "Signature="
    start = url.index(parameter) + len(parameter)
    forged = url[:start] + ("0" if url[start] != "0" else "1") + url[start + 1 :]

    response = httpx.get(forged)

    assert response.status_code == 403
    assert s3_code(response) == "SignatureDoesNotMatch"


def test_an_expired_presigned_url_is_refused(presigner, monkeypatch) -> None:
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: two_hours_ago)
    monkeypatch.setattr(
        HmacV1QueryAuth, "_get_date", lambda self: str(int(two_hours_ago.timestamp()))
    )
    url = presign(presigner)

    response = httpx.get(url)

    assert response.status_code == 403
    assert s3_code(response) == "AccessDenied"
    assert "expired" in response.text


def test_a_presigned_url_valid_beyond_seven_days_is_refused(presigner) -> None:
    url = presign(presigner)
    if "X-Amz-Expires=" in url:
        forged = re.sub(r"X-Amz-Expires=\d+", "X-Amz-Expires=999999999", url)
    else:
        forged = re.sub(r"Expires=\d+", "Expires=99999999999", url)

    response = httpx.get(forged)

    assert response.status_code in (400, 403)
    assert b"results" not in response.content


@pytest.mark.parametrize("digits", ["%C2%B2", "%D9%A3"])
def test_non_ascii_digits_in_a_presigned_url_are_refused_not_a_crash(
    presigner, digits: str
) -> None:
    url = presign(presigner)
    forged = re.sub(r"((?:X-Amz-)?Expires)=\d+", rf"\1={digits}", url)

    response = httpx.get(forged)

    assert response.status_code in (400, 403)
    assert s3_code(response) == "AuthorizationHeaderMalformed"


@pytest.mark.parametrize(
    ("service", "code"),
    [
        ("batch", "InvalidSignatureException"),
        ("logs", "InvalidSignatureException"),
        ("s3", "RequestTimeTooSkewed"),
    ],
)
def test_a_request_dated_twenty_minutes_ahead_is_refused(
    local_aws, monkeypatch, service, code
) -> None:
    ahead = datetime.now(UTC) + timedelta(minutes=20)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: ahead)
    boto = client(local_aws, service)

    with pytest.raises(ClientError) as raised:
        a_call(service, boto)

    assert error_of(raised) == (code, 403)
