"""The real catalog workflows, run through `batchflow serve` (with the PostgreSQL store) on the
local AWS, with the real tools; their results are read back from S3 and checked."""

import json
import os
import shutil
import signal
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from ..prerequisites import missing
from .serving import FINAL, admin_session, start_serve, wait_for

TOOLS = ("bwa", "samtools", "bcftools", "fastqc", "clustalo")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tools() -> None:
    absent = [tool for tool in TOOLS if shutil.which(tool) is None]
    if absent:
        missing(f"the workflows need {', '.join(absent)} (apt-get install {' '.join(absent)})")


@pytest.fixture
def serve(
    tools, aws_environment, migrated_postgres_url, tmp_path, free_tcp_port
) -> Iterator[httpx.Client]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BATCHFLOW_")},
        "BATCHFLOW_ENGINES": '["snakemake"]',
        "BATCHFLOW_RECONCILE_SECONDS": "1",
        "BATCHFLOW_DATABASE_URL": migrated_postgres_url,
    }
    with psycopg.connect(migrated_postgres_url, autocommit=True) as conn:
        conn.execute("TRUNCATE runs, users, service_secrets CASCADE")
    process = start_serve(free_tcp_port, environment, tmp_path / "serve.log")
    client = admin_session(f"http://127.0.0.1:{free_tcp_port}")
    try:
        yield client
    finally:
        client.close()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def run_to_the_end(service: httpx.Client, workflow: str, params: dict[str, Any]) -> dict[str, Any]:
    response = service.post("/runs", json={"workflow": workflow, "params": params})
    assert response.status_code == 201, response.text
    run_id = response.json()["id"]
    return wait_for(
        lambda: service.get(f"/runs/{run_id}").json(),
        lambda run: run["state"] in FINAL,
        timeout=600,
    )


def result(s3, outputs: dict[str, Any], name: str) -> dict[str, Any]:
    uri = next(uri for uri in outputs["files"] if uri.endswith(name))
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_variant_calling_finds_every_planted_snp(serve, s3) -> None:
    params = {"samples": ["tumour", "normal"], "snps": 6, "reads": 1500}

    done = run_to_the_end(serve, "variant-calling", params)

    assert done["state"] == "COMPLETE", done["reason"]
    report = result(s3, done["outputs"], "results/variants.json")["samples"]
    assert set(report) == {"tumour", "normal"}
    for sample in report.values():
        assert (sample["expected"], sample["found"], sample["missed"]) == (6, 6, [])
        assert sample["unexpected"] == []
        assert sample["fastqc"]["Basic Statistics"] == "PASS"
    tumour = {(c["position"], c["alt"]) for c in report["tumour"]["calls"]}
    normal = {(c["position"], c["alt"]) for c in report["normal"]["calls"]}
    assert tumour != normal, "each sample carries its own SNPs"
    tasks = serve.get(f"/runs/{done['id']}/tasks").json()["tasks"]
    assert sorted({t["name"] for t in tasks}) == [
        "align",
        "call",
        "fastqc",
        "index_reference",
        "reads",
        "reference",
        "summary",
    ]


def test_msa_aligns_every_fetched_sequence(serve, s3) -> None:
    requests = [
        {"id": f"gene_sp{n}", "species": n, "start": 201 + 3 * n, "end": 700} for n in range(1, 6)
    ]

    done = run_to_the_end(serve, "msa", {"species": 5, "length": 2000, "sequences": requests})

    assert done["state"] == "COMPLETE", done["reason"]
    alignment = result(s3, done["outputs"], "results/alignment.json")
    rows = {row["id"]: row for row in alignment["sequences"]}
    assert set(rows) == {request["id"] for request in requests}
    for request in requests:
        row = rows[request["id"]]
        assert row["length"] == request["end"] - request["start"] + 1
        assert len(row["aligned"].replace("-", "")) == row["length"]
        assert len(row["aligned"]) == alignment["alignment_length"]
    assert 0 < alignment["identical_columns"] <= alignment["alignment_length"]
    tasks = serve.get(f"/runs/{done['id']}/tasks").json()["tasks"]
    assert sum(t["name"] == "fetch" for t in tasks) == len(requests)


def test_a_request_the_workflow_itself_refuses_fails_with_its_reason(serve) -> None:
    beyond = [{"id": f"s{n}", "species": n, "start": 1, "end": 100} for n in (1, 9)]

    done = run_to_the_end(serve, "msa", {"species": 5, "sequences": beyond})

    assert done["state"] == "EXECUTOR_ERROR"
    assert "s9: species 9, but only 5 are simulated" in done["reason"]
