import dataclasses

import pytest

from batchflow_service.engines.snakemake.head import RUN_CONFIG, HeadJob

JOB = HeadJob(
    prefix="s3://bucket/runs/r1",
    storage_prefix="s3://bucket/work/r1",
    run_id="r1",
    task_queue="tasks",
    task_image="t:1",
)


def test_head_runs_snakemake_with_the_executor_and_the_run_config_file() -> None:
    command = JOB.snakemake_command()

    assert command[1:3] == ["-m", "snakemake"]
    assert command[command.index("--configfile") + 1] == RUN_CONFIG
    assert command[command.index("--default-storage-prefix") + 1] == "s3://bucket/work/r1"
    assert command[command.index("--batchflow-run-id") + 1] == "r1"
    assert "--batchflow-job-role" not in command


def test_roles_are_passed_on_only_when_given() -> None:
    job = dataclasses.replace(JOB, task_role="arn:aws:iam::1:role/task")

    command = job.snakemake_command()

    assert command[command.index("--batchflow-job-role") + 1] == "arn:aws:iam::1:role/task"
    assert "--batchflow-execution-role" not in command
    cli = job.cli_command()
    assert cli[:2] == ["batchflow", "head"]
    assert cli[cli.index("--task-role") + 1] == "arn:aws:iam::1:role/task"
    assert "--execution-role" not in cli


def test_spot_and_storage_retries_reach_snakemake_and_through_it_every_rule_job() -> None:
    job = dataclasses.replace(JOB, spot_retries=9)

    command = job.snakemake_command()
    cli = job.cli_command()

    assert command[command.index("--batchflow-spot-retries") + 1] == "9"
    assert command[command.index("--storage-s3-retries") + 1] == "9"
    assert cli[cli.index("--spot-retries") + 1] == "9"


def test_the_last_error_a_head_printed_is_found_with_its_message() -> None:
    from batchflow_service.engines.batch_head import last_error

    lines = [
        "Building DAG of jobs...",
        'ValueError in file "/w/Snakefile", line 21:',
        "s9: species 9, but only 5 are simulated",
        '  File "/w/Snakefile", line 21, in <module>',
        "batchflow head: Snakemake exited with 1",
    ]

    assert last_error(lines) == (
        'ValueError in file "/w/Snakefile", line 21: s9: species 9, but only 5 are simulated'
    )
    assert last_error(["Building DAG of jobs...", "Nothing to be done."]) is None


def test_a_fargate_head_job_is_rounded_up_to_a_size_fargate_accepts() -> None:
    from batchflow_service.engines.base import EngineError
    from batchflow_service.engines.batch_head import head_size
    from batchflow_service.settings import Settings

    small = Settings(head_vcpus=1, head_memory_mib=1024)

    assert head_size(small, "FARGATE") == (1.0, 2048)
    assert head_size(small, "EC2") == (1, 1024)
    with pytest.raises(EngineError, match="no Fargate size holds"):
        head_size(Settings(head_vcpus=16, head_memory_mib=500_000), "FARGATE")
