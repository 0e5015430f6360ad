"""A job's deploy step and its job step run in one interpreter: the command is rewritten only
when its steps are exactly Snakemake's, and the inline program runs both, in order."""

import shlex
import subprocess
import sys

from batchflow_executor.job_command import BOTH_STEPS, SEPARATOR, one_start

DEPLOY = (
    "python -m snakemake --deploy-sources s3://bucket/work/.snakemake/sources.tar.xz 1f2e "
    "--default-storage-provider s3 --default-storage-prefix s3://bucket/work"
)
JOB = "python -m snakemake --snakefile Snakefile --target-jobs 'align:sample=a' --mode remote"


def test_the_deploy_and_job_steps_become_one_interpreter() -> None:
    command = f"{DEPLOY} && {JOB}"

    merged = one_start(command, DEPLOY)

    arguments = shlex.split(merged)
    assert arguments[:3] == ["python", "-c", BOTH_STEPS]
    separator = arguments.index(SEPARATOR)
    assert arguments[3:separator] == shlex.split(DEPLOY)[3:]
    assert arguments[separator + 1 :] == shlex.split(JOB)[3:]
    assert "&&" not in arguments


def test_a_users_own_precommand_still_runs_first() -> None:
    precommand = f"source /opt/env.sh && {DEPLOY}"

    merged = one_start(f"{precommand} && {JOB}", precommand)

    assert merged.startswith("source /opt/env.sh && python -c ")


def test_a_command_without_snakemakes_deploy_step_is_left_alone() -> None:
    assert one_start(JOB, "") == JOB
    assert one_start(JOB, "echo hello") == JOB
    assert one_start(f"echo x && {JOB}", DEPLOY) == f"echo x && {JOB}"


def run_both(first: list[str], second: list[str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", BOTH_STEPS, *first, SEPARATOR, *second]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_the_inline_program_runs_snakemake_twice_in_order() -> None:
    done = run_both(["--version"], ["--version"])

    assert done.returncode == 0, done.stderr
    versions = done.stdout.split()
    assert len(versions) == 2
    assert versions[0] == versions[1]


def test_a_failed_first_step_fails_the_job_before_its_second() -> None:
    done = run_both(["--no-such-option"], ["--version"])

    assert done.returncode != 0
    assert done.stdout.strip() == ""


def test_the_snakefiles_code_runs_with_the_garbage_collector_on(tmp_path) -> None:
    (tmp_path / "Snakefile").write_text(
        "import gc\n"
        'open("gc.txt", "w").write(str(gc.isenabled()))\n'
        'rule done:\n    output: "done.txt"\n    shell: "touch {output}"\n'
    )

    done = run_both(["--version"], ["-s", str(tmp_path / "Snakefile"), "-d", str(tmp_path), "-c1"])

    assert done.returncode == 0, done.stderr
    assert (tmp_path / "gc.txt").read_text() == "True"
    assert (tmp_path / "done.txt").exists()
