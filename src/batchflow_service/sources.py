"""The files of a workflow folder that go with a run: those git tracks when the folder is in a
git repository (as Snakemake's own source deployment does), else every regular file outside
Snakemake's working folder and caches."""

import shutil
import subprocess
from pathlib import Path

SKIPPED_FOLDERS = frozenset({".snakemake", ".git", "__pycache__", ".nextflow", "work"})


class SourcesError(ValueError):
    """The folder cannot be read as a workflow; the message says why."""


def workflow_files(folder: Path) -> list[Path]:
    """Regular files (no symlinks), sorted, as paths under `folder`."""
    folder = folder.resolve()
    if not folder.is_dir():
        raise SourcesError(f"{folder} is not a folder")
    tracked = _git_tracked(folder)
    candidates = tracked if tracked is not None else _untracked_walk(folder)
    return sorted(
        path
        for path in candidates
        if path.is_file() and not path.is_symlink() and path.resolve().is_relative_to(folder)
    )


def _git_tracked(folder: Path) -> list[Path] | None:
    """The files git tracks under `folder`; None outside git, or where git tracks nothing there
    (a folder git ignores, such as an installed copy inside a virtualenv in a checkout)."""
    git = shutil.which("git")
    if git is None:
        return None
    listed = subprocess.run(
        [git, "ls-files", "-z", "--", "."],
        cwd=folder,
        capture_output=True,
        check=False,
    )
    names = [name for name in listed.stdout.decode().split("\0") if name]
    if listed.returncode != 0 or not names:
        return None
    return [folder / name for name in names]


def _untracked_walk(folder: Path) -> list[Path]:
    return [
        path
        for path in folder.rglob("*")
        if not SKIPPED_FOLDERS.intersection(path.relative_to(folder).parts[:-1])
    ]
