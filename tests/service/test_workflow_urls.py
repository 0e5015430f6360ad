"""A workflow named by a URL is refused before anything is stored, staged or launched, through
either API; a workflow engine is only ever given the exact path the name check approved."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from batchflow_service.app import create_app
from batchflow_service.attachments import Attachment
from batchflow_service.engines.base import EngineError
from batchflow_service.engines.nextflow.head import NextflowHead
from batchflow_service.engines.requests import check_not_url, check_uploaded_entry
from batchflow_service.engines.snakemake.head import HeadJob
from batchflow_service.settings import Settings

from .clients import ADMIN_PASSWORD, admin_client

BUCKET = "batchflow-local"
NOT_FETCHED = "workflow URLs are never fetched"
SNAKEFILE = b"rule all:\n    shell: 'echo fetched'\n"
SCHEMES = ["http", "https", "ftp", "s3", "file", "git+https", "HTTP"]


class Listener(ThreadingHTTPServer):
    """An HTTP server on loopback that serves a Snakefile and notes every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()
        self.wfile.write(SNAKEFILE)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def service(aws_environment) -> Iterator[TestClient]:
    settings = Settings(
        engines=["snakemake", "nextflow", "mock"],
        public_url="http://127.0.0.1",
        admin_password=ADMIN_PASSWORD,
        reconcile_seconds=0.2,
    )
    with admin_client(create_app(settings)) as client:
        yield client


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_workflow_with_a_url_scheme_is_refused_even_when_a_file_has_that_name(scheme) -> None:
    url = f"{scheme}://example.org/Snakefile"

    with pytest.raises(EngineError, match=NOT_FETCHED):
        check_not_url(url)
    with pytest.raises(EngineError, match=NOT_FETCHED):
        check_uploaded_entry(url, [Attachment(url, SNAKEFILE)])


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("./Snakefile", "write it 'Snakefile'"),
        ("pipeline//Snakefile", "write it 'pipeline/Snakefile'"),
        ("../Snakefile", "without '..'"),
        ("/Snakefile", "without '..'"),
        ("Snakefile", "is not one of the attached files"),
    ],
)
def test_the_entry_must_be_an_attached_path_in_normal_form(name, fragment) -> None:
    attached = [Attachment("pipeline/Snakefile", SNAKEFILE)]

    with pytest.raises(EngineError, match=fragment):
        check_uploaded_entry(name, attached)
    check_uploaded_entry("pipeline/Snakefile", attached)


def test_the_head_jobs_refuse_a_url_for_the_main_file() -> None:
    url = "https://example.org/Snakefile"

    with pytest.raises(ValueError, match=NOT_FETCHED):
        HeadJob("s3://b/runs/r", "s3://b/work/r", "r", "q", "i", snakefile=url)
    with pytest.raises(ValueError, match="write it 'Snakefile'"):
        HeadJob("s3://b/runs/r", "s3://b/work/r", "r", "q", "i", snakefile="./Snakefile")
    with pytest.raises(ValueError, match=NOT_FETCHED):
        NextflowHead("s3://b/runs/r", "batchflow-r", main_script="s3://b/x/main.nf")


def staged_keys(s3) -> set[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="runs/")
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def head_jobs(batch) -> set[str]:
    filters = [{"name": "JOB_NAME", "values": ["batchflow-head-*"]}]
    pages = batch.get_paginator("list_jobs").paginate(jobQueue="local", filters=filters)
    return {job["jobId"] for page in pages for job in page["jobSummaryList"]}


def listed_runs(service: TestClient) -> list[dict[str, Any]]:
    """Every run the service lists (it also restores, in the background, the runs other tests
    recorded in S3)."""
    found: list[dict[str, Any]] = []
    token = ""
    while True:
        page = service.get("/runs", params={"page_size": 100, "page_token": token}).json()
        found += page["runs"]
        if not (token := page["next_page_token"]):
            return found


def submissions(url: str) -> list[tuple[str, dict[str, Any]]]:
    """Every way to name a workflow by URL: native JSON and form, WES, for both engines."""
    main = {"snakemake": "Snakefile", "nextflow": "main.nf"}
    ways = []
    for engine, kind in (("snakemake", "SMK"), ("nextflow", "NFL")):
        workflow = f"{url}/{main[engine]}"
        files = [("files", (workflow, SNAKEFILE))]
        ways.append(("/runs", {"json": {"workflow": workflow, "engine": engine}}))
        ways.append(("/runs", {"data": {"workflow": workflow, "engine": engine}, "files": files}))
        fields = {"workflow_type": kind, "workflow_type_version": "1", "workflow_url": workflow}
        attachment = [("workflow_attachment", (workflow, SNAKEFILE))]
        ways.append(("/ga4gh/wes/v1/runs", {"data": fields, "files": attachment}))
    return ways


def test_a_url_workflow_is_refused_through_both_apis_with_nothing_staged_or_fetched(
    service, listener, s3, batch
) -> None:
    keys, jobs = staged_keys(s3), head_jobs(batch)

    answers = [service.post(path, **request) for path, request in submissions(listener.url)]

    assert [answer.status_code for answer in answers] == [400] * 6
    assert all(NOT_FETCHED in answer.json()["msg"] for answer in answers)
    assert [run for run in listed_runs(service) if listener.url in run["workflow"]] == []
    assert staged_keys(s3) == keys
    assert head_jobs(batch) == jobs
    assert listener.requests == []


def test_a_mock_run_named_by_url_is_refused_too(service) -> None:
    answer = service.post("/runs", json={"workflow": "https://example.org/x", "engine": "mock"})

    assert answer.status_code == 400
    assert NOT_FETCHED in answer.json()["msg"]
