"""The Nextflow head job: fetch a run's staged files from S3 and run `nextflow run` on them.

A Nextflow head job's command is
`python3 -m batchflow_service.engines.nextflow.head --prefix=s3://BUCKET/runs/RUN_ID
--run-name=NAME`; the service sets every argument, none comes from a run's parameters. The
head downloads the workflow folder to `workflow/` and the run's generated `nextflow.config` and
`params.json` to `run/`, starts Nextflow with an argument list (no shell), passes SIGTERM on
so that Nextflow terminates its task jobs, and copies Nextflow's own log (`.nextflow.log`)
and its launch state (`.nextflow/`, launch_state.py) back to the run's prefix when Nextflow
exits. A resumed run's head restores the launch state of the run it resumes and adds `-resume`.
"""

import argparse
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from batchflow_aws.s3paths import S3Prefix

from ...attachments import NOT_FETCHED, is_url
from ..staging import download_tree
from .launch_state import keep_launch_state, restore_launch_state

# Nextflow's own rule for -name (CmdRun.RUN_NAME_PATTERN).
RUN_NAME = re.compile(r"[a-z\d](?:[a-z\d]|[-_](?=[a-z\d])){0,79}", re.IGNORECASE)
RUN_FILES = ("nextflow.config", "params.json")


def nextflow_run_name(run_id: str) -> str:
    return f"batchflow-{run_id}"


@dataclass(frozen=True)
class NextflowHead:
    """One run's Nextflow head job: how the service asks for it, and what it runs."""

    prefix: str
    run_name: str
    main_script: str = "main.nf"
    nextflow: str = "nextflow"
    resume_from: str | None = None
    """The s3:// prefix of the run this run resumes, whose Nextflow launch state it restores."""

    def __post_init__(self) -> None:
        if not RUN_NAME.fullmatch(self.run_name):
            raise ValueError(f"{self.run_name!r} is not a valid Nextflow run name")
        if is_url(self.main_script):
            raise ValueError(f"main script {self.main_script[:100]!r} is a URL; {NOT_FETCHED}")
        S3Prefix.parse(self.prefix)
        if self.resume_from is not None:
            S3Prefix.parse(self.resume_from)

    def cli_command(self) -> list[str]:
        """The head job's command (`--flag=value`, so no value can pass for a flag)."""
        command = [
            "python3",
            "-m",
            "batchflow_service.engines.nextflow.head",
            f"--prefix={self.prefix}",
            f"--run-name={self.run_name}",
            f"--main-script={self.main_script}",
        ]
        if self.nextflow != "nextflow":
            command.append(f"--nextflow={self.nextflow}")
        if self.resume_from is not None:
            command.append(f"--resume-from={self.resume_from}")
        return command

    def nextflow_command(self, workdir: Path) -> list[str]:
        return [
            self.nextflow,
            "run",
            str(self.main_script_in(workdir)),
            "-c",
            str(workdir / "run" / "nextflow.config"),
            "-params-file",
            str(workdir / "run" / "params.json"),
            "-profile",
            "awsbatch",
            "-name",
            self.run_name,
            *(["-resume"] if self.resume_from is not None else []),
        ]

    def main_script_in(self, workdir: Path) -> Path:
        folder = (workdir / "workflow").resolve()
        script = (folder / self.main_script).resolve()
        if not script.is_relative_to(folder):
            raise ValueError(f"main script {self.main_script!r} is outside the workflow folder")
        return script


def run_nextflow_head(head: NextflowHead, workdir: Path) -> int:
    import boto3

    s3 = boto3.client("s3")
    run = S3Prefix.parse(head.prefix)
    files = download_tree(s3, run.child("workflow"), workdir / "workflow")
    (workdir / "run").mkdir(parents=True, exist_ok=True)
    for name in RUN_FILES:
        s3.download_file(run.bucket, run.key(name), str(workdir / "run" / name))
    print(f"batchflow nextflow-head: {head.run_name}, {files} workflow files from {run.uri}")
    if head.resume_from is not None:
        resumed = S3Prefix.parse(head.resume_from)
        if not restore_launch_state(s3, resumed, workdir):
            print(
                f"batchflow nextflow-head: {resumed.uri} kept no Nextflow cache; "
                "-resume finds no task to reuse",
                flush=True,
            )
    command = head.nextflow_command(workdir)
    print(f"batchflow nextflow-head: {' '.join(command)}", flush=True)
    try:
        process = subprocess.Popen(command, cwd=workdir)
    except OSError as error:
        print(f"batchflow nextflow-head: cannot start {head.nextflow}: {error}", flush=True)
        return 127

    def stop(signum: int, frame: object) -> None:
        print("batchflow nextflow-head: stopping; Nextflow terminates its task jobs", flush=True)
        process.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    returncode = process.wait()
    log = workdir / ".nextflow.log"
    if log.is_file():
        try:
            s3.upload_file(str(log), run.bucket, run.key("nextflow.log"))
        except Exception as error:  # the run's outcome is Nextflow's, whatever the copy does
            print(f"batchflow nextflow-head: could not keep .nextflow.log: {error}", flush=True)
    try:
        keep_launch_state(s3, run, workdir)
    except Exception as error:  # as above: a resume of this run would rerun every task
        print(f"batchflow nextflow-head: could not keep .nextflow/: {error}", flush=True)
    print(f"batchflow nextflow-head: Nextflow exited with {returncode}", flush=True)
    return 128 - returncode if returncode < 0 else returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="batchflow nextflow-head", description=__doc__)
    parser.add_argument("--prefix", required=True, help="The run's s3:// prefix.")
    parser.add_argument("--run-name", required=True, help="Nextflow's -name for the run.")
    parser.add_argument("--main-script", default="main.nf", help="Relative to the workflow.")
    parser.add_argument("--nextflow", default="nextflow", help="The Nextflow launcher.")
    parser.add_argument("--resume-from", help="The s3:// prefix of the run this run resumes.")
    arguments = parser.parse_args(argv)
    try:
        head = NextflowHead(
            prefix=arguments.prefix,
            run_name=arguments.run_name,
            main_script=arguments.main_script,
            nextflow=arguments.nextflow,
            resume_from=arguments.resume_from,
        )
    except ValueError as error:
        parser.error(str(error))
    return run_nextflow_head(head, Path.cwd())


if __name__ == "__main__":
    sys.exit(main())
