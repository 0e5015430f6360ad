"""The nextflow.config text and the Nextflow head job's commands, as the service writes them."""

import ast
import re
from pathlib import Path

import pytest
import yaml

from batchflow_cli.profiles import nextflow_config, read_stack_outputs
from batchflow_service.engines.nextflow import head as nextflow_head
from batchflow_service.engines.nextflow.config import (
    AwsBatchConfig,
    groovy_string,
    profile_config,
    run_config,
)
from batchflow_service.engines.nextflow.head import NextflowHead, main, nextflow_run_name

WORKFLOW = Path(__file__).resolve().parents[2] / "workflows" / "variant-calling"
OUTPUTS = Path(__file__).with_name("data") / "stack-outputs.json"
RUN_ID = "0123456789abcdef0123456789abcdef"
BATCH = AwsBatchConfig(
    region="eu-west-1",
    queue="batchflow-tasks",
    container="123.dkr.ecr.eu-west-1.amazonaws.com/batchflow/task:0.1.0",
    work_dir=f"s3://bucket/work/{RUN_ID}",
    job_role="arn:aws:iam::123:role/Task",
    execution_role="arn:aws:iam::123:role/Execution",
    labels={"batchflow:run": RUN_ID},
)


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("plain", "'plain'"),
        ("it's", "'it\\'s'"),
        ("back\\slash", "'back\\\\slash'"),
        ("two\nlines", "'two\\u000alines'"),
        ("${System.exit(1)}", "'${System.exit(1)}'"),
    ],
)
def test_values_become_single_quoted_groovy_strings_that_cannot_end_early(value, literal) -> None:
    assert groovy_string(value) == literal


def test_a_hostile_queue_name_stays_inside_its_string() -> None:
    hostile = "q'\n}\nprocess.executor = 'local"
    config = run_config(
        AwsBatchConfig(region="r", queue=hostile, container="c", work_dir="s3://b/w"),
        run_id=RUN_ID,
        weblog_url="http://svc/nextflow/events/x?token=t",
    )

    settings = [line.strip() for line in config.splitlines()]
    assert [line for line in settings if line.startswith(("executor", "process."))] == [
        "executor = 'awsbatch'"
    ]
    assert "    queue = 'q\\'\\u000a}\\u000aprocess.executor = \\'local'" in config.splitlines()


def test_a_run_config_has_batch_the_work_directory_roles_labels_and_weblog() -> None:
    url = f"http://svc:8000/nextflow/events/{RUN_ID}?token=s3cr3t"

    lines = run_config(BATCH, run_id=RUN_ID, weblog_url=url).splitlines()

    for expected in (
        "    executor = 'awsbatch'",
        "    queue = 'batchflow-tasks'",
        "    container = '123.dkr.ecr.eu-west-1.amazonaws.com/batchflow/task:0.1.0'",
        f"    resourceLabels = ['batchflow:run': '{RUN_ID}']",
        f"workDir = 's3://bucket/work/{RUN_ID}'",
        "    region = 'eu-west-1'",
        "        jobRole = 'arn:aws:iam::123:role/Task'",
        "        executionRole = 'arn:aws:iam::123:role/Execution'",
        "    enabled = true",
        f"    url = '{url}'",
        "    id 'nf-weblog'",
        "    awsbatch {",
    ):
        assert expected in lines


def test_roles_that_are_not_set_are_left_out() -> None:
    batch = AwsBatchConfig(region="r", queue="q", container="c", work_dir="s3://b/w")

    config = profile_config(batch)

    assert "jobRole" not in config
    assert "executionRole" not in config
    assert "batch {" not in config
    assert "resourceLabels" not in config


def test_braces_balance_in_every_config() -> None:
    for config in (
        profile_config(BATCH),
        run_config(BATCH, run_id=RUN_ID, weblog_url="http://svc/x?token=t"),
    ):
        assert config.count("{") == config.count("}")


def test_the_profile_and_a_run_share_the_batch_settings() -> None:
    outputs = read_stack_outputs(OUTPUTS, None)
    profile = nextflow_config(outputs, "0.1.0")
    batch = AwsBatchConfig(
        region=outputs["Region"],
        queue=outputs["TaskQueue"],
        container=f"{outputs['TaskRepository']}:0.1.0",
        work_dir=f"s3://{outputs['Bucket']}/work/nextflow",
        job_role=outputs["TaskRoleArn"],
        execution_role=outputs["ExecutionRoleArn"],
    )

    shared = "\n".join(batch.lines())

    assert shared in profile
    assert shared in run_config(batch, run_id=RUN_ID, weblog_url="http://svc/x?token=t")


def test_the_head_job_command_is_an_argument_list_of_flag_value_pairs() -> None:
    head = NextflowHead(
        prefix=f"s3://bucket/runs/{RUN_ID}",
        run_name=nextflow_run_name(RUN_ID),
        main_script="-c evil.nf",
    )

    assert head.cli_command() == [
        "python3",
        "-m",
        "batchflow_service.engines.nextflow.head",
        f"--prefix=s3://bucket/runs/{RUN_ID}",
        f"--run-name=batchflow-{RUN_ID}",
        "--main-script=-c evil.nf",
    ]


def test_nextflow_runs_the_staged_files_with_the_awsbatch_profile(tmp_path) -> None:
    head = NextflowHead(prefix=f"s3://bucket/runs/{RUN_ID}", run_name=nextflow_run_name(RUN_ID))

    command = head.nextflow_command(tmp_path)

    assert command == [
        "nextflow",
        "run",
        str((tmp_path / "workflow" / "main.nf").resolve()),
        "-c",
        str(tmp_path / "run" / "nextflow.config"),
        "-params-file",
        str(tmp_path / "run" / "params.json"),
        "-profile",
        "awsbatch",
        "-name",
        f"batchflow-{RUN_ID}",
    ]


def test_a_main_script_outside_the_workflow_and_a_bad_run_name_are_refused(tmp_path) -> None:
    escaping = NextflowHead(prefix="s3://b/runs/x", run_name="batchflow-x", main_script="../x.nf")

    with pytest.raises(ValueError, match="outside the workflow folder"):
        escaping.nextflow_command(tmp_path)
    with pytest.raises(ValueError, match="not a valid Nextflow run name"):
        NextflowHead(prefix="s3://b/runs/x", run_name="two--dashes")
    with pytest.raises(SystemExit):
        main(["--prefix=s3://b/runs/x", "--run-name=no spaces"])


def test_the_head_reads_back_the_command_the_service_wrote(monkeypatch) -> None:
    head = NextflowHead(
        prefix=f"s3://bucket/runs/{RUN_ID}",
        run_name=nextflow_run_name(RUN_ID),
        main_script="--help",
        nextflow="/opt/bin/nextflow",
    )
    parsed: list[NextflowHead] = []
    monkeypatch.setattr(
        nextflow_head, "run_nextflow_head", lambda job, workdir: parsed.append(job) or 0
    )

    assert main(head.cli_command()[3:]) == 0
    assert parsed == [head]


def nextflow_params(text: str) -> dict[str, object]:
    block = re.search(r"^params \{\n(.*?)^\}", text, re.MULTILINE | re.DOTALL)
    assert block is not None
    values = {}
    for line in block.group(1).splitlines():
        key, _, value = line.strip().partition(" = ")
        values[key] = ast.literal_eval(value)
    return values


def test_the_pipeline_takes_the_snakefiles_parameters_with_the_same_defaults() -> None:
    schema = yaml.safe_load((WORKFLOW / "config.schema.yaml").read_text())
    params = nextflow_params((WORKFLOW / "nextflow.config").read_text())

    defaults = {name: spec["default"] for name, spec in schema["properties"].items()}
    assert params == {**defaults, "outdir": "results"}


def test_main_nf_has_the_snakefiles_steps_and_calls_the_scripts_that_exist() -> None:
    script = (WORKFLOW / "main.nf").read_text()

    processes = re.findall(r"^process (\w+) \{", script, re.MULTILINE)
    helpers = re.findall(r"helper\('([\w.]+)'\)", script)

    assert processes == [
        "REFERENCE",
        "READS",
        "FASTQC",
        "INDEX_REFERENCE",
        "ALIGN",
        "CALL",
        "SUMMARY",
    ]
    assert sorted(helpers) == ["simulate_reads.py", "simulate_reference.py", "summarize.py"]
    assert all((WORKFLOW / "scripts" / helper).is_file() for helper in helpers)
    assert "--ploidy 1 --multiallelic-caller --variants-only" in script
    assert "publishDir params.outdir" in script
