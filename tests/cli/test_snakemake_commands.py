"""`batchflow submit` of a workflow on this machine and `batchflow runs download` of its
outputs, through a real service running Snakemake on the local AWS."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from batchflow_cli.main import app

from .running_service import logged_in_service

pytestmark = pytest.mark.slow
runner = CliRunner()

SNAKEFILE = """\
include: "rules/greet.smk"


rule all:
    input:
        "results/greeting.txt",
        expand("results/counts/{i}.txt", i=range(2)),
"""
RULES = """\
rule greet:
    output:
        "results/greeting.txt",
    params:
        name=config["name"],
    shell:
        "echo hello {params.name} > {output}"


rule count:
    output:
        "results/counts/{i}.txt",
    shell:
        "echo {wildcards.i} > {output}"
"""


@pytest.fixture
def service(aws_environment) -> Iterator[tuple[str, str]]:
    with logged_in_service(engines=["snakemake"], reconcile_seconds=0.5) as running:
        yield running


def test_a_local_workflow_runs_and_its_outputs_download(
    service, tmp_path: Path, monkeypatch
) -> None:
    service_url, token = service
    monkeypatch.setenv("BATCHFLOW_TOKEN", token)
    folder = tmp_path / "greeting"
    (folder / "rules").mkdir(parents=True)
    (folder / "Snakefile").write_text(SNAKEFILE)
    (folder / "rules" / "greet.smk").write_text(RULES)
    (folder / ".snakemake").mkdir()
    (folder / ".snakemake" / "leftover.log").write_text("never uploaded")

    submitted = runner.invoke(
        app, ["submit", str(folder), "--param", "name=batchflow", "--wait", "--url", service_url]
    )
    run_id, state = submitted.stdout.split()
    downloaded = runner.invoke(
        app, ["runs", "download", run_id, str(tmp_path / "out"), "--url", service_url]
    )

    assert submitted.exit_code == 0, submitted.output
    assert state == "COMPLETE"
    assert f"uploading 2 files from {folder}" in submitted.stderr
    assert "COMPLETE       tasks" in submitted.stderr
    assert "3/3" in submitted.stderr
    assert downloaded.exit_code == 0, downloaded.output
    assert downloaded.stdout.startswith("saved 3 files (")
    assert downloaded.stdout.endswith(f" of run {run_id} in {tmp_path / 'out'}\n")
    saved = {
        path.relative_to(tmp_path / "out").as_posix(): path.read_text()
        for path in (tmp_path / "out").rglob("*")
        if path.is_file()
    }
    assert saved == {
        "results/greeting.txt": "hello batchflow\n",
        "results/counts/0.txt": "0\n",
        "results/counts/1.txt": "1\n",
    }
