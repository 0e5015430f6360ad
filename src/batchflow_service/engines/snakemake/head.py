"""The head job: runs Snakemake for one run inside Batch and publishes its task events to S3.

`batchflow head` is the head job's command. Everything it needs comes from its arguments
(set by the service, never from a run's parameters) and from the run's S3 prefix: the
workflow files under `workflow/`, the parameters in `config.json`. Snakemake keeps the run's
files under a separate storage prefix (`work/RUN_ID/`, which the bucket expires), and runs with
the batchflow executor, so every rule job is a Batch job of its own; the head itself only
plans and polls. Snakemake's stdout and stderr go to the head's own (the run's log) and, each
apart, to `logs/stdout` and `logs/stderr` under the run's prefix (head_output.py); when
Snakemake fails, its first error goes to `failure.txt` (failure.py).
"""

import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batchflow_aws.s3paths import S3Prefix

from ...attachments import entry_path
from ..staging import FAILURE_FILE, STREAM_FILES, download_tree
from .failure import first_error
from .head_output import ScratchPaths, StreamCopy

PUBLISH_SECONDS = 3.0
DRAIN_SECONDS = 10.0
# The S3 storage plugin sets its own retries and ignores AWS_MAX_ATTEMPTS: 9 retries are 10
# attempts, as the head's own clients make (HEAD_ENVIRONMENT in batch_head.py). Snakemake
# passes the setting on to every rule job.
STORAGE_RETRIES = 9
# Inside the workflow folder, so that Snakemake deploys it to the rule jobs with the sources.
RUN_CONFIG = "batchflow-run-config.json"


@dataclass(frozen=True)
class HeadJob:
    """One run's head job: how the service asks for it, and what it runs."""

    prefix: str
    storage_prefix: str
    run_id: str
    task_queue: str
    task_image: str
    jobs: int = 20
    spot_retries: int = 3
    snakefile: str = "Snakefile"
    task_role: str | None = None
    execution_role: str | None = None

    def __post_init__(self) -> None:
        entry_path(self.snakefile, "snakefile")  # a relative path in normal form, never a URL

    def cli_command(self) -> list[str]:
        """The head job's command: `batchflow head` with this job's options."""
        command = ["batchflow", "head", "--prefix", self.prefix, "--run-id", self.run_id]
        command += ["--storage-prefix", self.storage_prefix]
        command += ["--task-queue", self.task_queue, "--task-image", self.task_image]
        command += ["--jobs", str(self.jobs), "--spot-retries", str(self.spot_retries)]
        command += ["--snakefile", self.snakefile]
        return command + self._flags(("--task-role", "--execution-role"))

    def snakemake_command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "snakemake",
            "--snakefile",
            self.snakefile,
            "--configfile",
            RUN_CONFIG,
            "--executor",
            "batchflow",
            "--jobs",
            str(self.jobs),
            "--default-storage-provider",
            "s3",
            "--default-storage-prefix",
            self.storage_prefix,
            "--storage-s3-retries",
            str(STORAGE_RETRIES),
            "--shared-fs-usage",
            "none",
            "--seconds-between-status-checks",
            "5",
            "--batchflow-job-queue",
            self.task_queue,
            "--batchflow-image",
            self.task_image,
            "--batchflow-run-id",
            self.run_id,
            "--batchflow-spot-retries",
            str(self.spot_retries),
            "--batchflow-events-file",
            "../events.jsonl",
            "--printshellcmds",
            *self._flags(("--batchflow-job-role", "--batchflow-execution-role")),
        ]

    def _flags(self, names: tuple[str, str]) -> list[str]:
        """The role flags under these names, for the roles that are set."""
        pairs = zip(names, (self.task_role, self.execution_role), strict=True)
        return [argument for flag, value in pairs if value for argument in (flag, value)]


class FilePublisher:
    """Copies a file to `name` under the run's S3 prefix whenever it has grown."""

    def __init__(self, s3: Any, source: Path, target: S3Prefix, name: str) -> None:
        self._s3 = s3
        self._source = source
        self._target = target
        self._name = name
        self._published = -1

    def publish(self) -> None:
        size = self._source.stat().st_size if self._source.exists() else 0
        if size != self._published:
            body = self._source.read_bytes() if self._source.exists() else b""
            self._s3.put_object(
                Bucket=self._target.bucket, Key=self._target.key(self._name), Body=body
            )
            self._published = size


def track_with_git(folder: Path) -> None:
    """Makes the staged workflow a git repository with every file added: Snakemake deploys
    the files `git ls-files` lists to the rule jobs, and a workflow outside git loses its
    schemas and helper files there."""
    git = shutil.which("git")
    if git is None:
        print(
            "batchflow head: git is not installed; rule jobs get only the files Snakemake "
            "tracks itself (Snakefile, includes, scripts, config)",
            flush=True,
        )
        return
    subprocess.run([git, "init", "--quiet"], cwd=folder, check=True)
    subprocess.run([git, "add", "--all"], cwd=folder, check=True)


def run_head(job: HeadJob) -> int:
    import boto3

    s3 = boto3.client("s3")
    run = S3Prefix.parse(job.prefix)
    workdir = Path.cwd()
    files = download_tree(s3, run.child("workflow"), workdir / "workflow")
    s3.download_file(run.bucket, run.key("config.json"), str(workdir / "workflow" / RUN_CONFIG))
    print(f"batchflow head: run {job.run_id}, {files} workflow files from {run.uri}", flush=True)
    track_with_git(workdir / "workflow")
    kept = {stream: workdir / name for stream, name in STREAM_FILES.items()}
    kept["stdout"].parent.mkdir(parents=True, exist_ok=True)
    publishers = [FilePublisher(s3, workdir / "events.jsonl", run, "events.jsonl")]
    publishers += [FilePublisher(s3, kept[stream], run, STREAM_FILES[stream]) for stream in kept]
    process = subprocess.Popen(
        job.snakemake_command(),
        cwd=workdir / "workflow",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None  # both are pipes: Popen was asked for them
    assert process.stderr is not None
    paths = ScratchPaths(workdir / "workflow", job.run_id)
    copies = [
        StreamCopy(process.stdout, sys.stdout, kept["stdout"], paths.rewrite),
        StreamCopy(process.stderr, sys.stderr, kept["stderr"], paths.rewrite),
    ]
    for copy in copies:
        copy.start()
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        print("batchflow head: stopping; Snakemake cancels the rule jobs", flush=True)
        process.send_signal(signal.SIGINT)

    signal.signal(signal.SIGTERM, stop)
    while process.poll() is None:
        for publisher in publishers:
            publisher.publish()
        time.sleep(PUBLISH_SECONDS)
    for copy in copies:  # a process the workflow left holding the pipe must not hold the head
        copy.join(timeout=DRAIN_SECONDS)
    for publisher in publishers:
        publisher.publish()
    if process.returncode != 0 and not stopping:
        keep_failure(s3, run, kept["stderr"])
    print(f"batchflow head: Snakemake exited with {process.returncode}", flush=True)
    return process.returncode


def keep_failure(s3: Any, run: S3Prefix, stderr: Path) -> None:
    """Publishes Snakemake's first error (failure.py), which the service makes the run's
    failure reason."""
    summary = first_error(stderr.read_text(errors="replace").splitlines())
    if summary:
        s3.put_object(Bucket=run.bucket, Key=run.key(FAILURE_FILE), Body=summary.encode())
