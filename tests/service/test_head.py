from batchflow_service.head import RUN_CONFIG, snakemake_command
from batchflow_service.s3paths import S3Prefix

RUN = S3Prefix("bucket", "runs/r1")


def test_head_runs_snakemake_with_the_executor_and_the_run_config_file() -> None:
    command = snakemake_command(RUN, "r1", "tasks", "repo/task:1", 20, "Snakefile", {})

    assert command[1:3] == ["-m", "snakemake"]
    assert command[command.index("--configfile") + 1] == RUN_CONFIG
    assert command[command.index("--default-storage-prefix") + 1] == "s3://bucket/runs/r1/work"
    assert command[command.index("--batchflow-run-id") + 1] == "r1"
    assert "--batchflow-job-role" not in command


def test_roles_are_passed_on_only_when_given() -> None:
    roles = {"task": "arn:aws:iam::1:role/task", "execution": None}

    command = snakemake_command(RUN, "r1", "tasks", "repo/task:1", 20, "Snakefile", roles)

    assert command[command.index("--batchflow-job-role") + 1] == "arn:aws:iam::1:role/task"
    assert "--batchflow-execution-role" not in command
