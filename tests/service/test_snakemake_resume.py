"""Snakemake runs through the service on the local AWS: a failed run resumed with a parameter
fixed reruns only the rule that failed; and what a run tells its user (failure reason, exit
codes, logs, stdout and stderr) is true."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from batchflow_aws.jobnames import run_job_prefix
from batchflow_service.app import create_app
from batchflow_service.settings import Settings

from .clients import admin_client
from .serving import FINAL, wait_for

DATA = Path(__file__).parent / "data"
WES = "/ga4gh/wes/v1"

pytestmark = pytest.mark.slow


@pytest.fixture
def service(aws_environment) -> Iterator[TestClient]:
    settings = Settings(engines=["snakemake"], reconcile_seconds=0.5)
    with admin_client(create_app(settings)) as client:
        yield client


def upload(client: TestClient, folder: Path, params: str = "{}") -> dict[str, Any]:
    files = [("files", (path.name, path.read_bytes())) for path in sorted(folder.iterdir())]
    answer = client.post("/runs", data={"workflow": "Snakefile", "params": params}, files=files)
    assert answer.status_code == 201, answer.text
    return answer.json()


def ended(client: TestClient, run_id: str) -> dict[str, Any]:
    return wait_for(lambda: client.get(f"/runs/{run_id}").json(), lambda r: r["state"] in FINAL)


def rule_jobs(batch: Any, run_id: str) -> list[str]:
    """The names of the rule jobs the run submitted to the task queue (one per SubmitJob)."""
    found = batch.list_jobs(
        jobQueue="local", filters=[{"name": "JOB_NAME", "values": [f"{run_job_prefix(run_id)}*"]}]
    )
    return sorted(job["jobName"] for job in found["jobSummaryList"])


def test_a_run_failed_in_its_last_rule_resumes_with_the_parameter_fixed_rerunning_only_it(
    service, batch, local_aws
) -> None:
    old = ended(service, upload(service, DATA / "resumable", '{"fail": true}')["id"])
    old_tasks = service.get(f"/runs/{old['id']}/tasks").json()["tasks"]

    answer = service.post(f"/runs/{old['id']}/resume", json={"params": {"fail": False}})
    new = ended(service, answer.json()["id"])
    new_tasks = service.get(f"/runs/{new['id']}/tasks").json()["tasks"]
    log = service.get(f"/runs/{new['id']}/logs").json()["lines"]
    wes = service.get(f"{WES}/runs/{new['id']}").json()

    assert old["state"] == "EXECUTOR_ERROR"
    assert {t["name"]: (t["state"], t["exit_code"]) for t in old_tasks} == {
        "simulate": ("COMPLETE", 0),
        "count": ("COMPLETE", 0),
        "report": ("EXECUTOR_ERROR", 1),  # the rule job's Snakemake's, as its command failed
    }
    assert len(rule_jobs(batch, old["id"])) == 3
    assert answer.status_code == 201, answer.text
    assert new["state"] == "COMPLETE", new["reason"]
    assert (new["resumed_from"], new["params"]) == (old["id"], {"fail": False})
    assert [(t["name"], t["state"], t["exit_code"]) for t in new_tasks] == [
        ("report", "COMPLETE", 0)
    ]
    assert [name.rsplit("-", 2)[-2] for name in rule_jobs(batch, new["id"])] == ["report"]
    prefix = f"s3://batchflow-local/runs/{new['id']}/outputs/"
    assert sorted(new["outputs"]["files"]) == [
        f"{prefix}{name}" for name in ("count.txt", "reads.txt", "report.txt")
    ]
    assert service.get(f"/runs/{new['id']}/outputs/report.txt").text == "100\n"
    scratch = str(local_aws.config.workdir)
    assert [line for line in log if scratch in line] == []
    assert "Complete log: this run's log (GET /runs/" in "\n".join(log)
    stdout, stderr = wes["run_log"]["stdout"], wes["run_log"]["stderr"]
    assert stdout != stderr
    assert "Building DAG of jobs..." in service.get(stderr).text
    assert "Building DAG of jobs..." not in service.get(stdout).text


def test_a_syntax_error_in_an_included_file_is_the_failure_reason_with_its_line(service) -> None:
    run = ended(service, upload(service, DATA / "broken-include")["id"])

    assert run["state"] == "EXECUTOR_ERROR"
    assert "SyntaxError: Expected name or colon after rule" in run["reason"]
    assert '(in file "rules.smk", line 3)' in run["reason"]
    assert "KeyError" not in run["reason"]
