"""Nextflow runs end to end on the local AWS, with a stand-in for Nextflow itself.

The service runs on a real port; the head job is the real `batchflow_service.engines.nextflow.head`,
which fetches the staged run from S3 and starts "Nextflow": here data/fake_nextflow.py, which
posts a recorded nf-weblog sequence to the weblog URL of the run's generated config. Nothing
else is replaced; what Nextflow would do with AWS Batch is not run (see docs/nextflow.md).
"""

import logging
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from batchflow_service.app import create_app
from batchflow_service.engines.nextflow import NextflowEngine
from batchflow_service.settings import Settings

from .serving import admin_session

DATA = Path(__file__).with_name("data")
FINAL = {"COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"}

pytestmark = pytest.mark.slow


@pytest.fixture
def service(aws_environment, free_tcp_port, tmp_path, monkeypatch) -> Iterator[httpx.Client]:
    launcher = tmp_path / "nextflow"
    launcher.write_text(
        f"#!{sys.executable}\nimport runpy\n"
        f"runpy.run_path({str(DATA / 'fake_nextflow.py')!r}, run_name='__main__')\n"
    )
    launcher.chmod(0o755)
    head_command = NextflowEngine._head_command
    monkeypatch.setattr(
        NextflowEngine,
        "_head_command",
        lambda engine, run: [*head_command(engine, run), f"--nextflow={launcher}"],
    )
    url = f"http://127.0.0.1:{free_tcp_port}"
    settings = Settings(engines=["nextflow"], public_url=url, reconcile_seconds=0.3)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), port=free_tcp_port, log_level="info", log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    client = admin_session(url)
    yield client
    client.close()
    server.should_exit = True
    thread.join(timeout=30)


def run_to_the_end(service: httpx.Client, params: dict) -> dict:
    response = service.post(
        "/runs", json={"workflow": "variant-calling", "engine": "nextflow", "params": params}
    )
    assert response.status_code == 201, response.text
    deadline = time.monotonic() + 60
    while True:
        run = service.get(f"/runs/{response.json()['id']}").json()
        if run["state"] in FINAL:
            return run
        assert time.monotonic() < deadline, f"run still {run['state']}"
        time.sleep(0.3)


def test_a_run_completes_with_the_tasks_its_events_reported(
    service, monkeypatch, s3, caplog
) -> None:
    monkeypatch.setenv("FAKE_NEXTFLOW_EVENTS", str(DATA / "weblog-variant-calling.jsonl"))
    caplog.set_level(logging.INFO, logger="uvicorn.access")

    done = run_to_the_end(service, {"samples": ["sample1", "sample2"]})
    tasks = service.get(f"/runs/{done['id']}/tasks").json()["tasks"]
    log = service.get(f"/runs/{done['id']}/logs").json()["lines"]

    assert done["state"] == "COMPLETE", done["reason"]
    assert len(tasks) == 11
    assert {t["state"] for t in tasks} == {"COMPLETE"}
    assert done["outputs"]["files"] == [
        f"s3://batchflow-local/runs/{done['id']}/outputs/variants.json"
    ]
    assert f"Nextflow started batchflow-{done['id']}" in "\n".join(log)
    assert "Nextflow finished: success" in log
    assert any(line.startswith("batchflow nextflow-head: Nextflow exited with 0") for line in log)
    kept = s3.get_object(Bucket="batchflow-local", Key=f"runs/{done['id']}/nextflow.log")
    assert kept["Body"].read().decode() == f"fake nextflow ran batchflow-{done['id']}\n"
    posts = [r.getMessage() for r in caplog.records if "/nextflow/events/" in r.getMessage()]
    assert len(posts) == 35
    assert not [line for line in posts if "token" in line], "the run's secret reached the log"


def test_a_failing_run_names_the_task_that_failed(service, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_NEXTFLOW_EVENTS", str(DATA / "weblog-variant-calling-failing.jsonl"))
    monkeypatch.setenv("FAKE_NEXTFLOW_EXIT", "1")

    done = run_to_the_end(service, {})
    log = service.get(f"/runs/{done['id']}/logs").json()["lines"]

    assert done["state"] == "EXECUTOR_ERROR"
    assert done["reason"].startswith("Nextflow failed (")
    assert done["reason"].endswith("exit code 1); failed tasks: CALL (10)")
    assert done["outputs"] == {}
    assert any(line.startswith("Nextflow finished: failed: Error executing") for line in log)
