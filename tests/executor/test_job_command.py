"""A job's deploy step and its job step run in one interpreter: the command is rewritten only
when its steps are exactly Snakemake's, and the inline program runs both, in order."""

import hashlib
import io
import shlex
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ResponseStreamingError

from batchflow_executor.job_command import BOTH_STEPS, SEPARATOR, SOURCES_IN_ONE_GET, one_start

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


def run_both(
    first: list[str], second: list[str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", BOTH_STEPS, *first, SEPARATOR, *second]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, cwd=cwd
    )


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


@pytest.fixture
def sources_archive(tmp_path, s3) -> tuple[str, str]:
    """A workflow's sources as Snakemake packs them for a job, in the local AWS's S3:
    (query, sha256)."""
    packed = tmp_path / "sources.tar.xz"
    with tarfile.open(packed, "w:xz") as archive:
        snakefile = tarfile.TarInfo("Snakefile")
        text = b'rule done:\n    output: "done.txt"\n    shell: "touch {output}"\n'
        snakefile.size = len(text)
        archive.addfile(snakefile, io.BytesIO(text))
    key = f"work/{uuid.uuid4().hex}/snakemake-workflow-sources.tar.xz"
    body = packed.read_bytes()
    s3.put_object(Bucket="batchflow-local", Key=key, Body=body)
    return f"s3://batchflow-local/{key}", hashlib.sha256(body).hexdigest()


def deploy_arguments(query: str, checksum: str) -> list[str]:
    storage = ["--default-storage-provider", "s3", "--default-storage-prefix"]
    return ["--deploy-sources", query, checksum, *storage, query.rpartition("/")[0]]


def test_the_sources_come_in_one_get_object(
    tmp_path, sources_archive, aws_environment, admin, clean_stats
) -> None:
    workdir = tmp_path / "job"
    workdir.mkdir()

    done = run_both(deploy_arguments(*sources_archive), ["-c1"], cwd=workdir)

    assert done.returncode == 0, done.stderr
    assert (workdir / "done.txt").exists()
    calls = admin.get("/stats").json()["calls"]
    assert {name: count for name, count in calls.items() if name.startswith("s3:")} == {"s3:GET": 1}


def test_sources_whose_checksum_differs_stop_the_job(
    tmp_path, sources_archive, aws_environment
) -> None:
    query, _ = sources_archive
    workdir = tmp_path / "job"
    workdir.mkdir()

    done = run_both(deploy_arguments(query, "0" * 64), ["-c1"], cwd=workdir)

    assert done.returncode != 0
    assert "does not match expected checksum" in done.stderr
    assert not (workdir / "Snakefile").exists()
    assert not (workdir / "done.txt").exists()


def test_missing_sources_stop_the_job_and_say_which(tmp_path, aws_environment) -> None:
    query = f"s3://batchflow-local/work/{uuid.uuid4().hex}/snakemake-workflow-sources.tar.xz"
    workdir = tmp_path / "job"
    workdir.mkdir()

    done = run_both(deploy_arguments(query, "0" * 64), ["-c1"], cwd=workdir)

    assert done.returncode != 0
    assert f"Failed to retrieve storage object from {query}" in done.stderr
    assert not (workdir / "done.txt").exists()


class Archive:
    """An S3 object whose first `cut_offs` bodies break off after their first chunk."""

    def __init__(self, path: Path, data: bytes, cut_offs: int) -> None:
        self.path, self.data, self.cut_offs, self.gets = path, data, cut_offs, 0

    def s3obj(self) -> "Archive":
        return self

    def local_path(self) -> Path:
        return self.path

    def get(self) -> dict:
        self.gets += 1
        return {"ContentLength": len(self.data), "Body": self}

    def iter_chunks(self, size: int) -> Iterator[bytes]:
        yield self.data[:3]
        if self.gets <= self.cut_offs:
            raise ResponseStreamingError(error="connection reset")
        yield self.data[3:]


@pytest.fixture
def one_get() -> Iterator[dict]:
    """The deploy step's fetch, as the job's program defines it."""
    program: dict = {}
    exec(SOURCES_IN_ONE_GET, program)  # noqa: S102 - the program a job runs, run as it runs it
    yield program
    program["S3Object"].managed_retrieve = program["managed_retrieve"]


def test_an_archive_cut_off_is_fetched_again_whole(tmp_path, one_get) -> None:
    archive = Archive(tmp_path / "sources.tar.xz", b"the sources", cut_offs=2)

    one_get["fetch_in_one_get"](archive, archive.path)

    assert archive.path.read_bytes() == b"the sources"
    assert archive.gets == 3


def test_an_archive_cut_off_every_time_fails(tmp_path, one_get) -> None:
    archive = Archive(tmp_path / "sources.tar.xz", b"the sources", cut_offs=3)

    with pytest.raises(ResponseStreamingError):
        one_get["fetch_in_one_get"](archive, archive.path)
    assert archive.gets == 3
