"""GET /runs/{id}/outputs/{path}: a run's output files, from the local S3, and nothing else."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from batchflow_service.app import create_app
from batchflow_service.models import Run
from batchflow_service.settings import Settings

from .clients import admin_client

RUN_ID = "feedfacefeedfacefeedfacefeedface"
PREFIX = f"runs/{RUN_ID}/outputs/"
SUMMARY = b'{"samples": 2}\n' * 1000


@pytest.fixture
def client(aws_environment, s3) -> Iterator[TestClient]:
    s3.put_object(Bucket="batchflow-local", Key=f"{PREFIX}results/summary.json", Body=SUMMARY)
    s3.put_object(Bucket="batchflow-local", Key=f"{PREFIX}results/unlisted.txt", Body=b"x")
    s3.put_object(Bucket="batchflow-local", Key=f"runs/{RUN_ID}/config.json", Body=b"{}")
    outputs = {
        "prefix": f"s3://batchflow-local/{PREFIX}",
        "files": [f"s3://batchflow-local/{PREFIX}results/summary.json"],
    }
    app = create_app(Settings(engines=["snakemake"], reconcile_seconds=3600))
    with admin_client(app) as client:
        run = Run(id=RUN_ID, workflow="quickstart", engine="snakemake", outputs=outputs)
        client.portal.call(app.state.store.create_run, run)
        yield client


def test_a_listed_output_is_streamed_whole_with_its_name(client) -> None:
    response = client.get(f"/runs/{RUN_ID}/outputs/results/summary.json")

    assert response.status_code == 200
    assert response.content == SUMMARY
    assert response.headers["content-length"] == str(len(SUMMARY))
    assert "summary.json" in response.headers["content-disposition"]


@pytest.mark.parametrize(
    "path",
    [
        "results/unlisted.txt",  # in S3 under the prefix, but not one of the run's outputs
        "%2E%2E/config.json",  # ../config.json: the run's own files are not outputs
        "results/..%2Fsummary.json",
        "results/",
        "nothing",
    ],
)
def test_anything_the_outputs_do_not_list_is_404(client, path) -> None:
    response = client.get(f"/runs/{RUN_ID}/outputs/{path}")

    assert response.status_code == 404
    assert response.json()["status_code"] == 404


def test_an_unknown_run_has_no_outputs(client) -> None:
    assert client.get("/runs/nope/outputs/results/summary.json").status_code == 404
