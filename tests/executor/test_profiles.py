"""The shipped profiles, as Snakemake's own profile parser reads them."""

from pathlib import Path

import pytest
from snakemake.profiles import ProfileConfigFileParser

PROFILES = Path(__file__).resolve().parents[2] / "workflows" / "profiles"


def read_profile(name: str, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(cwd)
    with (PROFILES / name / "config.yaml").open() as stream:
        return ProfileConfigFileParser().parse(stream)


def test_the_local_profile_gives_each_workflow_directory_its_own_storage_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "one" / "pipeline", tmp_path / "two" / "pipeline"
    first.mkdir(parents=True)
    second.mkdir(parents=True)

    prefixes = [
        read_profile("local", folder, monkeypatch)["default-storage-prefix"]
        for folder in (first, second, first)
    ]

    assert prefixes[0] == prefixes[2]
    assert prefixes[0] != prefixes[1]
    assert all(prefix.startswith("s3://batchflow-local/work/pipeline-") for prefix in prefixes)


def test_the_local_profile_keeps_odd_directory_names_out_of_the_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "my pipeline (v2)"
    folder.mkdir()

    prefix = read_profile("local", folder, monkeypatch)["default-storage-prefix"]

    assert prefix.startswith("s3://batchflow-local/work/my-pipeline-v2-")
