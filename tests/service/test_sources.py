"""Which files of a workflow folder go with a run."""

import shutil
import subprocess
from pathlib import Path

from batchflow_service.sources import workflow_files

GIT = shutil.which("git") or "git"


def make_folder(root: Path) -> Path:
    folder = root / "pipeline"
    (folder / "scripts").mkdir(parents=True)
    (folder / "Snakefile").write_text("rule all:\n")
    (folder / "scripts" / "helper.py").write_text("print(1)\n")
    (folder / ".snakemake" / "log").mkdir(parents=True)
    (folder / ".snakemake" / "log" / "run.log").write_text("old run\n")
    (folder / "notes.txt").write_text("not added\n")
    return folder


def names(folder: Path) -> list[str]:
    return [path.relative_to(folder).as_posix() for path in workflow_files(folder)]


def test_in_a_git_repository_only_tracked_files_go(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    subprocess.run([GIT, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([GIT, "add", "pipeline/Snakefile", "pipeline/scripts"], cwd=tmp_path, check=True)

    assert names(folder) == ["Snakefile", "scripts/helper.py"]


def test_outside_git_every_file_but_snakemakes_own_folder_goes(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)

    assert names(folder) == ["Snakefile", "notes.txt", "scripts/helper.py"]


def test_a_folder_git_ignores_is_read_as_if_outside_git(tmp_path: Path) -> None:
    subprocess.run([GIT, "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text("venv/\n")
    folder = make_folder(tmp_path / "venv")

    assert names(folder) == ["Snakefile", "notes.txt", "scripts/helper.py"]


def test_symbolic_links_never_go(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "secret").symlink_to("/etc/passwd")

    assert "secret" not in names(folder)
