"""docs/embedding.md, followed step by step: an existing Snakemake repository outside this
project gets a batchflow profile and runs its jobs on the local AWS, helper script included."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
LOCAL_PROFILE = REPOSITORY / "workflows" / "profiles" / "local" / "config.yaml"

pytestmark = pytest.mark.slow

SNAKEFILE = """\
configfile: "config/config.yaml"


rule all:
    input:
        expand("counts/{name}.txt", name=config["names"]),


rule count:
    output:
        "counts/{name}.txt",
    shell:
        "bash scripts/count.sh {wildcards.name} > {output}"
"""

HELPER = """\
#!/usr/bin/env bash
# Called from a shell: rule, so only git tells Snakemake to ship it to the jobs.
printf '%s has %d letters\\n' "$1" "${#1}"
"""


GIT = shutil.which("git") or "git"


def git(repository: Path, *args: str) -> None:
    subprocess.run(
        [GIT, "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repository,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def existing_repository(tmp_path: Path) -> Path:
    """A user's workflow repository, as it was before batchflow."""
    repository = tmp_path / "their-pipeline"
    (repository / "scripts").mkdir(parents=True)
    (repository / "config").mkdir()
    (repository / "workflow").mkdir()
    (repository / "workflow" / "Snakefile").write_text(SNAKEFILE)
    (repository / "scripts" / "count.sh").write_text(HELPER)
    (repository / "config" / "config.yaml").write_text("names: [ada, grace]\n")
    git(repository, "init", "--quiet")
    git(repository, "add", "--all")
    git(repository, "commit", "--quiet", "-m", "their pipeline")
    assert not repository.resolve().is_relative_to(REPOSITORY)
    return repository


def test_an_existing_repository_runs_on_batch_with_a_copied_profile(
    existing_repository: Path, aws_environment: dict[str, str], s3, admin, clean_stats
) -> None:
    profile = existing_repository / "profiles" / "batchflow"
    profile.mkdir(parents=True)
    shutil.copy(LOCAL_PROFILE, profile / "config.yaml")
    git(existing_repository, "add", "profiles")
    git(existing_repository, "commit", "--quiet", "-m", "run on batchflow")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--profile",
            "profiles/batchflow",
            "--default-storage-prefix",
            "s3://batchflow-local/work/their-pipeline",
        ],
        cwd=existing_repository,
        env={**environment, **aws_environment},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    counts = {
        name: s3.get_object(Bucket="batchflow-local", Key=f"work/their-pipeline/counts/{name}.txt")[
            "Body"
        ]
        .read()
        .decode()
        for name in ("ada", "grace")
    }
    assert counts == {"ada": "ada has 3 letters\n", "grace": "grace has 5 letters\n"}
    # Both count jobs are ready at once and alike, so they go to Batch as one array job.
    assert admin.get("/stats").json()["calls"]["batch:SubmitJob"] == 1
