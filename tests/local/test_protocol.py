import httpx
import pytest

from batchflow_local.app import service_of

from .signing import signing


@pytest.fixture
def http(local_aws):
    with httpx.Client(base_url=local_aws.endpoint, auth=signing(local_aws), timeout=10) as client:
        yield client


def test_invalid_json_is_a_client_error_not_a_crash(http) -> None:
    response = http.post("/v1/describejobs", content=b"{not json")

    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "SerializationException"


def test_wrong_parameter_types_are_reported_by_name(http) -> None:
    response = http.post("/v1/describejobs", json={"jobs": "not-a-list"})

    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "ClientException"
    assert "jobs" in response.json()["message"]


def test_missing_required_parameter_is_a_client_error(http) -> None:
    response = http.post("/v1/submitjob", json={"jobName": "x"})

    assert response.status_code == 400
    assert "jobQueue" in response.json()["message"]


def test_unimplemented_batch_operation_says_so(http) -> None:
    response = http.post("/v1/deletejobqueue", json={"jobQueue": "local"})

    assert response.status_code == 400
    assert "DeleteJobQueue is not supported" in response.json()["message"]


def test_unknown_batch_path_is_not_found(http) -> None:
    response = http.post("/v1/nonsense", json={})

    assert response.status_code == 404


def test_oversized_body_is_refused(http) -> None:
    response = http.post("/v1/describejobs", content=b" " * (3 * 1024 * 1024))

    assert response.status_code == 413


def test_bad_page_token_is_a_client_error(http) -> None:
    response = http.post("/v1/listjobs", json={"jobQueue": "local", "nextToken": "%%%"})

    assert response.status_code == 400
    assert "nextToken" in response.json()["message"]


def test_unknown_logs_operation_is_a_client_error(http) -> None:
    response = http.post(
        "/",
        headers={"X-Amz-Target": "Logs_20140328.Explode"},
        content=b"{}",
    )

    assert response.status_code == 400
    assert response.json()["__type"] == "UnknownOperationException"


def test_other_services_are_refused_by_name(local_aws) -> None:
    response = httpx.post(
        f"{local_aws.endpoint}/",
        headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/sts/aws4_request, "
            "SignedHeaders=host, Signature=0"
        },
    )

    assert response.status_code == 400
    assert "sts" in response.text


@pytest.mark.parametrize(
    ("path", "headers", "service"),
    [
        ("/v1/submitjob", {}, "batch"),
        ("/", {b"x-amz-target": b"Logs_20140328.GetLogEvents"}, "logs"),
        ("/bucket/key", {}, "s3"),
        ("/_batchflow/health", {}, "admin"),
        (
            "/v1/key",
            {b"authorization": b"AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/s3/aws4_request"},
            "s3",
        ),
    ],
)
def test_service_is_told_apart_by_target_signature_and_path(path, headers, service) -> None:
    scope = {"path": path, "headers": list(headers.items()), "query_string": b""}

    assert service_of(scope) == service
