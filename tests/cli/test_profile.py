"""`batchflow profile`: stack outputs become a Snakemake profile and a nextflow.config."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from snakemake.profiles import ProfileConfigFileParser
from typer.testing import CliRunner

from batchflow_cli.main import app

OUTPUTS = Path(__file__).resolve().parents[1] / "service" / "data" / "stack-outputs.json"
WORKFLOW = Path(__file__).resolve().parents[1] / "executor" / "workflows" / "scatter"
runner = CliRunner()


def test_profile_is_written_from_the_stack_outputs(tmp_path, monkeypatch) -> None:
    result = runner.invoke(
        app,
        [
            "profile",
            "--stack-outputs",
            str(OUTPUTS),
            "--directory",
            str(tmp_path),
            "--image-tag",
            "0.1.0",
        ],
    )

    assert result.exit_code == 0, result.output
    monkeypatch.chdir(WORKFLOW)
    with (tmp_path / "config.yaml").open() as stream:
        profile = ProfileConfigFileParser().parse(stream)
    assert profile["batchflow-job-queue"] == "local"
    assert profile["batchflow-image"].endswith("/batchflow/task:0.1.0")
    assert profile["default-storage-prefix"].startswith("s3://batchflow-local/work/scatter-")
    nextflow = (tmp_path / "nextflow.config").read_text()
    assert "executor = 'awsbatch'" in nextflow
    assert "workDir = 's3://batchflow-local/work/nextflow'" in nextflow


def test_snakemake_accepts_the_profile_for_a_dry_run(tmp_path, aws_environment) -> None:
    runner.invoke(
        app, ["profile", "--stack-outputs", str(OUTPUTS), "--directory", str(tmp_path / "profile")]
    )
    workdir = tmp_path / "workflow"
    shutil.copytree(WORKFLOW, workdir)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SNAKEMAKE_")}

    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--profile", str(tmp_path / "profile"), "--dry-run"],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "square" in result.stdout + result.stderr


def test_outputs_that_lack_what_a_profile_needs_are_named(tmp_path) -> None:
    partial = tmp_path / "outputs.json"
    partial.write_text(json.dumps({"Batchflow": {"Region": "us-east-1", "Bucket": "b"}}))
    several = tmp_path / "several.json"
    several.write_text(json.dumps({"A": {}, "B": {}}))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")

    lacking = runner.invoke(
        app, ["profile", "--stack-outputs", str(partial), "--directory", str(tmp_path)]
    )
    ambiguous = runner.invoke(app, ["profile", "--stack-outputs", str(several)])
    unreadable = runner.invoke(app, ["profile", "--stack-outputs", str(broken)])

    assert lacking.exit_code == 1
    assert "TaskQueue" in lacking.stderr
    assert "--stack" in ambiguous.stderr
    assert "cannot read stack outputs" in unreadable.stderr


def test_profile_names_the_events_queue_only_when_the_stack_has_one(tmp_path) -> None:
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/Batchflow-JobEvents"
    stack = json.loads(OUTPUTS.read_text())
    stack["Batchflow"]["EventsQueueUrl"] = url
    with_events = tmp_path / "with-events.json"
    with_events.write_text(json.dumps(stack))

    for outputs, directory in ((with_events, "events"), (OUTPUTS, "polling")):
        result = runner.invoke(
            app,
            ["profile", "--stack-outputs", str(outputs), "--directory", str(tmp_path / directory)],
        )
        assert result.exit_code == 0, result.output

    evented = yaml.safe_load((tmp_path / "events" / "config.yaml").read_text())
    polling = yaml.safe_load((tmp_path / "polling" / "config.yaml").read_text())
    assert evented["batchflow-events-queue"] == url
    assert "batchflow-events-queue" not in polling
