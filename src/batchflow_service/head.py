"""The head job: runs Snakemake for one run inside Batch and publishes its task events to S3.

`batchflow head` is the head job's command. Everything it needs comes from its arguments
(set by the service, never from a run's parameters) and from the run's S3 prefix: the
workflow files under `workflow/`, the parameters in `config.json`. Snakemake runs with the
batchflow executor, so every rule job is a Batch job of its own; the head itself only plans
and polls.
"""

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .s3paths import S3Prefix

PUBLISH_SECONDS = 3.0
# Inside the workflow folder, so that Snakemake deploys it to the rule jobs with the sources.
RUN_CONFIG = "batchflow-run-config.json"


def download_tree(s3: Any, source: S3Prefix, destination: Path) -> int:
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=source.bucket, Prefix=source.key("")
    ):
        for item in page.get("Contents", []):
            relative = item["Key"][len(source.key("")) :]
            target = (destination / relative).resolve()
            if not target.is_relative_to(destination.resolve()):
                raise ValueError(f"refusing to write {item['Key']!r} outside {destination}")
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(source.bucket, item["Key"], str(target))
            count += 1
    return count


def snakemake_command(
    run: S3Prefix,
    run_id: str,
    task_queue: str,
    task_image: str,
    jobs: int,
    snakefile: str,
    roles: dict[str, str | None],
) -> list[str]:
    role_flags = [
        argument
        for flag, value in (
            ("--batchflow-job-role", roles.get("task")),
            ("--batchflow-execution-role", roles.get("execution")),
        )
        if value
        for argument in (flag, value)
    ]
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        snakefile,
        "--configfile",
        RUN_CONFIG,
        "--executor",
        "batchflow",
        "--jobs",
        str(jobs),
        "--default-storage-provider",
        "s3",
        "--default-storage-prefix",
        run.child("work").uri,
        "--shared-fs-usage",
        "none",
        "--seconds-between-status-checks",
        "5",
        "--batchflow-job-queue",
        task_queue,
        "--batchflow-image",
        task_image,
        "--batchflow-run-id",
        run_id,
        "--batchflow-events-file",
        "../events.jsonl",
        "--printshellcmds",
        *role_flags,
    ]


class EventPublisher:
    """Copies the events file to S3 whenever it has grown."""

    def __init__(self, s3: Any, source: Path, target: S3Prefix) -> None:
        self._s3 = s3
        self._source = source
        self._target = target
        self._published = -1

    def publish(self) -> None:
        size = self._source.stat().st_size if self._source.exists() else 0
        if size != self._published:
            body = self._source.read_bytes() if self._source.exists() else b""
            self._s3.put_object(
                Bucket=self._target.bucket, Key=self._target.key("events.jsonl"), Body=body
            )
            self._published = size


def run_head(
    prefix: str,
    run_id: str,
    task_queue: str,
    task_image: str,
    jobs: int,
    snakefile: str,
    roles: dict[str, str | None],
) -> int:
    import boto3

    s3 = boto3.client("s3")
    run = S3Prefix.parse(prefix)
    workdir = Path.cwd()
    files = download_tree(s3, run.child("workflow"), workdir / "workflow")
    s3.download_file(run.bucket, run.key("config.json"), str(workdir / "workflow" / RUN_CONFIG))
    print(f"batchflow head: run {run_id}, {files} workflow files from {run.uri}", flush=True)
    publisher = EventPublisher(s3, workdir / "events.jsonl", run)
    process = subprocess.Popen(
        snakemake_command(run, run_id, task_queue, task_image, jobs, snakefile, roles),
        cwd=workdir / "workflow",
    )

    def stop(signum: int, frame: object) -> None:
        print("batchflow head: stopping; Snakemake cancels the rule jobs", flush=True)
        process.send_signal(signal.SIGINT)

    signal.signal(signal.SIGTERM, stop)
    while process.poll() is None:
        publisher.publish()
        time.sleep(PUBLISH_SECONDS)
    publisher.publish()
    print(f"batchflow head: Snakemake exited with {process.returncode}", flush=True)
    return process.returncode
