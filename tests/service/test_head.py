import dataclasses

from batchflow_service.head import RUN_CONFIG, HeadJob

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
