"""`batchflow profile`: the Snakemake profile and nextflow.config for a deployed stack."""

import json
from pathlib import Path
from typing import Any

import yaml

from batchflow_service.engines.nextflow.config import AwsBatchConfig, profile_config

REQUIRED_OUTPUTS = (
    "Region",
    "Bucket",
    "TaskQueue",
    "TaskRoleArn",
    "ExecutionRoleArn",
    "TaskRepository",
)


# Snakemake evaluates these (YTE) when it reads the profile, in the directory it runs in: each
# workflow directory gets a storage prefix of its own (as in workflows/profiles/local), so two
# repositories never write into each other's files.
PER_DIRECTORY = [
    "import hashlib, os, re",
    "here = os.getcwd()",
    'folder = re.sub(r"[^A-Za-z0-9._-]+", "-", os.path.basename(here)) or "root"',
    "digest = hashlib.sha256(here.encode()).hexdigest()[:12]",
]


class StackOutputsError(ValueError):
    pass


def read_stack_outputs(path: Path, stack: str | None) -> dict[str, str]:
    """One stack's outputs from `cdk deploy --outputs-file` (or a plain name: value object)."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise StackOutputsError(f"cannot read stack outputs from {path}: {error}") from None
    if not isinstance(document, dict):
        raise StackOutputsError(f"{path} must hold a JSON object")
    if all(isinstance(value, dict) for value in document.values()) and document:
        stacks = sorted(document)
        if stack is None and len(stacks) > 1:
            raise StackOutputsError(
                f"{path} holds stacks {', '.join(stacks)}; name one with --stack"
            )
        name = stack or stacks[0]
        if name not in document:
            raise StackOutputsError(f"{path} has no stack {name!r} (it has {', '.join(stacks)})")
        document = document[name]
    missing = [key for key in REQUIRED_OUTPUTS if not isinstance(document.get(key), str)]
    if missing:
        raise StackOutputsError(f"{path} lacks the stack outputs {', '.join(missing)}")
    return {key: value for key, value in document.items() if isinstance(value, str)}


def snakemake_profile(outputs: dict[str, str], image_tag: str, jobs: int) -> dict[str, Any]:
    """With the stack's events queue (its `EventsQueueUrl` output), job status comes from
    Batch's events; stacks deployed before it had one keep polling."""
    events = (
        {"batchflow-events-queue": outputs["EventsQueueUrl"]} if "EventsQueueUrl" in outputs else {}
    )
    return {
        "__use_yte__": True,
        "__definitions__": PER_DIRECTORY,
        "executor": "batchflow",
        "jobs": jobs,
        "batchflow-region": outputs["Region"],
        "batchflow-job-queue": outputs["TaskQueue"],
        "batchflow-image": f"{outputs['TaskRepository']}:{image_tag}",
        "batchflow-job-role": outputs["TaskRoleArn"],
        "batchflow-execution-role": outputs["ExecutionRoleArn"],
        **events,
        "default-storage-provider": "s3",
        "default-storage-prefix": f'?f"s3://{outputs["Bucket"]}/work/{{folder}}-{{digest}}"',
        "shared-fs-usage": "none",
        "seconds-between-status-checks": 10,
    }


def nextflow_config(outputs: dict[str, str], image_tag: str) -> str:
    return profile_config(
        AwsBatchConfig(
            region=outputs["Region"],
            queue=outputs["TaskQueue"],
            container=f"{outputs['TaskRepository']}:{image_tag}",
            work_dir=f"s3://{outputs['Bucket']}/work/nextflow",
            job_role=outputs["TaskRoleArn"],
            execution_role=outputs["ExecutionRoleArn"],
        )
    )


def write_profile(
    outputs: dict[str, str], directory: Path, image_tag: str, jobs: int
) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    profile = directory / "config.yaml"
    profile.write_text(
        "# Written by `batchflow profile` from the stack's outputs; see docs/executor.md.\n"
        + yaml.safe_dump(snakemake_profile(outputs, image_tag, jobs), sort_keys=False)
    )
    config = directory / "nextflow.config"
    config.write_text(nextflow_config(outputs, image_tag))
    return profile, config
