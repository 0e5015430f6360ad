"""Resuming a Nextflow run: what can be checked without Nextflow (which cannot run here) is
checked: the head job's command, the work directory of the resumed run, and Nextflow's
launch state (`.nextflow/`) carried from one head job to the next."""

import io
import tarfile
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from batchflow_aws.s3paths import S3Prefix
from batchflow_service.app import create_app
from batchflow_service.engines.nextflow import head as nextflow_head
from batchflow_service.engines.nextflow.head import NextflowHead, main
from batchflow_service.engines.nextflow.launch_state import (
    STATE_ARCHIVE,
    keep_launch_state,
    restore_launch_state,
)

from .clients import admin_client
from .test_nextflow_engine import BUCKET, FINAL, settings, staged, wait_for

OLD = f"s3://{BUCKET}/runs/{'a' * 32}"
NEW = f"s3://{BUCKET}/runs/{'b' * 32}"


@pytest.fixture
def service(aws_environment) -> Iterator[TestClient]:
    with admin_client(create_app(settings())) as client:
        yield client


def test_a_resumed_runs_head_restores_the_old_runs_state_and_runs_nextflow_with_resume(
    tmp_path, monkeypatch
) -> None:
    head = NextflowHead(prefix=NEW, run_name=f"batchflow-{'b' * 32}", resume_from=OLD)
    parsed: list[NextflowHead] = []
    monkeypatch.setattr(
        nextflow_head, "run_nextflow_head", lambda job, workdir: parsed.append(job) or 0
    )

    command = head.nextflow_command(tmp_path)

    assert head.cli_command()[-1] == f"--resume-from={OLD}"
    assert command[-1] == "-resume"
    assert "-resume" not in NextflowHead(prefix=NEW, run_name="x").nextflow_command(tmp_path)
    assert main(head.cli_command()[3:]) == 0
    assert parsed == [head]


def test_the_launch_state_a_head_keeps_is_what_the_next_head_restores(tmp_path, s3) -> None:
    run = S3Prefix(BUCKET, f"runs/{uuid.uuid4().hex}")
    old_launch, new_launch = tmp_path / "old", tmp_path / "new"
    cache = old_launch / ".nextflow" / "cache" / "0f1e" / "db"
    cache.mkdir(parents=True)
    (cache / "000001.ldb").write_bytes(b"task hashes")
    (old_launch / ".nextflow" / "history").write_text("2026-11-30\tbatchflow-x\t0f1e\n")
    (old_launch / "other.txt").write_text("not Nextflow's state")

    kept = keep_launch_state(s3, run, old_launch)
    restored = restore_launch_state(s3, run, new_launch)

    assert (kept, restored) == (True, True)
    assert (new_launch / ".nextflow" / "cache" / "0f1e" / "db" / "000001.ldb").read_bytes() == (
        b"task hashes"
    )
    assert (new_launch / ".nextflow" / "history").read_text().endswith("\t0f1e\n")
    assert not (new_launch / "other.txt").exists()
    assert restore_launch_state(s3, S3Prefix(BUCKET, "runs/none"), tmp_path / "x") is False


def test_only_files_under_nextflow_state_are_unpacked(tmp_path, s3) -> None:
    run = S3Prefix(BUCKET, f"runs/{uuid.uuid4().hex}")
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as packed:
        for name in (".nextflow/history", "elsewhere.txt", ".nextflow/../../escape.txt"):
            member = tarfile.TarInfo(name)
            member.size = 2
            packed.addfile(member, io.BytesIO(b"hi"))
        link = tarfile.TarInfo(".nextflow/link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        packed.addfile(link)
    s3.put_object(Bucket=BUCKET, Key=run.key(STATE_ARCHIVE), Body=archive.getvalue())
    launch = tmp_path / "launch" / "here"

    assert restore_launch_state(s3, run, launch) is True
    assert (launch / ".nextflow" / "history").read_text() == "hi"
    assert not (tmp_path / "launch" / "escape.txt").exists()
    assert not (launch / "elsewhere.txt").exists()
    assert not (launch / ".nextflow" / "link").exists()


def test_a_resumed_nextflow_run_reuses_the_old_work_directory_and_resumes_its_state(
    service, s3, batch
) -> None:
    submitted = service.post("/runs", json={"workflow": "variant-calling", "engine": "nextflow"})
    old = wait_for(service, submitted.json()["id"], lambda r: r["state"] in FINAL)

    answer = service.post(f"/runs/{old['id']}/resume")
    new = wait_for(service, answer.json()["id"], lambda r: r["head_job_id"])
    config = staged(s3, f"runs/{new['id']}/nextflow.config").decode()
    [job] = batch.describe_jobs(jobs=[new["head_job_id"]])["jobs"]

    assert old["state"] == "EXECUTOR_ERROR", "this machine's head image has no Nextflow"
    assert answer.status_code == 201, answer.text
    assert f"workDir = 's3://{BUCKET}/work/{old['id']}'" in config
    assert job["container"]["command"][-1] == f"--resume-from=s3://{BUCKET}/runs/{old['id']}"
