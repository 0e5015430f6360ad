"""`batchflow submit PATH`: a workflow on this machine goes up as a multipart POST /runs."""

import json
import shutil
import subprocess
from email import policy
from email.parser import BytesParser
from functools import partial
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from batchflow_cli.client import ServiceClient
from batchflow_cli.commands import submit
from batchflow_cli.main import app
from batchflow_cli.uploads import LocalWorkflowError, local_workflow

from ..prerequisites import missing

SNAKEFILE = 'rule all:\n    input: "out.txt"\n'
runner = CliRunner()


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(content)
    return folder


def form_of(request: httpx.Request) -> tuple[dict[str, str], dict[str, bytes]]:
    """The text fields and the files (by filename) of a multipart/form-data request."""
    header = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=policy.default).parsebytes(header + request.read())
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename() is None:
            fields[name] = part.get_content()
        else:
            assert name == "files"
            files[part.get_filename()] = part.get_payload(decode=True)
    return fields, files


@pytest.fixture
def recorded(monkeypatch) -> list[httpx.Request]:
    """The requests `batchflow submit` sends, to a fake service that accepts every run."""
    requests: list[httpx.Request] = []

    def service(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(201, json={"id": "run-1", "state": "QUEUED"})

    client = partial(ServiceClient, transport=httpx.MockTransport(service))
    monkeypatch.setattr(submit, "ServiceClient", client)
    return requests


def test_a_folder_is_uploaded_with_its_snakefile_named(recorded, tmp_path) -> None:
    folder = write(
        tmp_path / "pipeline",
        {
            "Snakefile": SNAKEFILE,
            "scripts/count.py": "print(1)\n",
            ".snakemake/log/old.log": "not a workflow file",
            "scripts/__pycache__/count.cpython-311.pyc": "cache",
        },
    )

    result = runner.invoke(
        app,
        ["submit", str(folder), "--param", 'samples=["a"]', "--tag", "team=x"],
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == "run-1\n"
    assert f"uploading 2 files from {folder}" in result.stderr
    [request] = recorded
    assert (request.method, request.url.path) == ("POST", "/runs")
    fields, files = form_of(request)
    assert fields == {
        "workflow": "Snakefile",
        "engine": "snakemake",
        "params": '{"samples": ["a"]}',
        "tags": '{"team": "x"}',
    }
    assert files == {"Snakefile": SNAKEFILE.encode(), "scripts/count.py": b"print(1)\n"}


def test_the_standard_layout_uploads_the_folder_above_workflow(recorded, tmp_path) -> None:
    folder = write(
        tmp_path, {"workflow/Snakefile": SNAKEFILE, "config/config.yaml": "samples: [a]\n"}
    )

    from_folder = runner.invoke(app, ["submit", str(folder)])
    from_snakefile = runner.invoke(app, ["submit", str(folder / "workflow" / "Snakefile")])

    assert from_folder.exit_code == 0, from_folder.output
    assert from_snakefile.exit_code == 0, from_snakefile.output
    for request in recorded:
        fields, files = form_of(request)
        assert fields["workflow"] == "workflow/Snakefile"
        assert set(files) == {"workflow/Snakefile", "config/config.yaml"}


def test_a_snakefile_path_uploads_its_folder(recorded, tmp_path) -> None:
    write(tmp_path, {"rules.smk": SNAKEFILE, "data/x.txt": "x"})

    result = runner.invoke(app, ["submit", str(tmp_path / "rules.smk")])

    assert result.exit_code == 0, result.output
    fields, files = form_of(recorded[0])
    assert fields["workflow"] == "rules.smk"
    assert set(files) == {"rules.smk", "data/x.txt"}


def test_a_name_that_is_no_path_is_a_catalog_workflow(recorded, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)

    result = runner.invoke(app, ["submit", "quickstart", "--param", "length=500"])

    assert result.exit_code == 0, result.output
    [request] = recorded
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.read()) == {
        "workflow": "quickstart",
        "engine": "snakemake",
        "params": {"length": 500},
        "tags": {},
    }


def test_a_folder_without_a_snakefile_is_a_usage_error(recorded, tmp_path) -> None:
    write(tmp_path, {"README.md": "no workflow here"})

    result = runner.invoke(app, ["submit", str(tmp_path)])

    assert result.exit_code == 2
    assert result.stderr == (
        f"batchflow submit: {tmp_path} holds no Snakefile or snakefile or workflow/Snakefile "
        "or workflow/snakefile; give the path of the workflow's entry script, or a folder "
        "that holds one\n"
    )
    assert recorded == []


def test_the_mock_engine_takes_no_files(recorded, tmp_path) -> None:
    write(tmp_path, {"Snakefile": SNAKEFILE})

    result = runner.invoke(app, ["submit", str(tmp_path), "--engine", "mock"])

    assert result.exit_code == 2
    assert "the mock engine runs no uploaded files" in result.stderr
    assert recorded == []


def test_a_nextflow_folder_is_found_by_its_main_nf(tmp_path) -> None:
    write(tmp_path, {"main.nf": "workflow {}\n", "nextflow.config": ""})

    workflow = local_workflow(tmp_path, "nextflow")

    assert workflow.entry == "main.nf"
    assert [name for name, _ in workflow.attachments()] == ["main.nf", "nextflow.config"]


def test_in_a_git_repository_only_tracked_files_go(tmp_path) -> None:
    git = shutil.which("git")
    if git is None:
        missing("git is not installed")
    write(tmp_path, {"Snakefile": SNAKEFILE, "scripts/a.py": "", "scratch.txt": "untracked"})
    environment = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run([git, "init", "-q"], cwd=tmp_path, check=True, env=environment)
    subprocess.run([git, "add", "scripts/a.py"], cwd=tmp_path, check=True, env=environment)

    with pytest.raises(LocalWorkflowError, match="Snakefile is not among the files uploaded"):
        local_workflow(tmp_path, "snakemake")
    subprocess.run([git, "add", "Snakefile"], cwd=tmp_path, check=True, env=environment)
    workflow = local_workflow(tmp_path, "snakemake")

    assert [name for name, _ in workflow.attachments()] == ["Snakefile", "scripts/a.py"]
