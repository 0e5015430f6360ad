"""A run's output files, streamed to disk under one folder and never outside it."""

import secrets
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from rich.console import Console
from rich.progress import Progress, TaskID

from .client import FINAL, ServiceClient
from .progress import transfer_progress


class DownloadError(Exception):
    """The outputs cannot be saved; the message says which file and why."""


@dataclass(frozen=True)
class PlannedFile:
    path: str
    """The file's path under the run's outputs prefix, as the service serves it."""
    target: Path


def download_run(
    client: ServiceClient, run_id: str, destination: Path, console: Console
) -> list[Path]:
    """Every output file of the run, saved under `destination`; the files written."""
    run = client.run(run_id)
    outputs = run.get("outputs") or {}
    if not outputs.get("files") and run["state"] != "COMPLETE":
        if run["state"] in FINAL:
            raise DownloadError(f"run {run_id} ended {run['state']}; it has no output files")
        raise DownloadError(
            f"run {run_id} is {run['state']}; its output files are listed once it is COMPLETE"
        )
    return download_outputs(client, run_id, outputs, destination, console)


def download_outputs(
    client: ServiceClient,
    run_id: str,
    outputs: dict[str, Any],
    destination: Path,
    console: Console,
) -> list[Path]:
    """The files `outputs` lists, each written to its path under `destination`.

    Every path is checked before the first byte is fetched. Each file is streamed to a hidden
    name beside its target and renamed when complete, so no half-written file is left."""
    planned = plan_downloads(outputs, destination)
    with transfer_progress(console) as progress:
        files = progress.add_task("files", total=len(planned), unit="files")
        current = progress.add_task("", total=None)
        for item in planned:
            progress.reset(current, description=item.path, total=None)
            _save(client, run_id, item, progress, current)
            progress.advance(files)
    return [item.target for item in planned]


def plan_downloads(outputs: dict[str, Any], destination: Path) -> list[PlannedFile]:
    files = outputs.get("files") or []
    prefix = outputs.get("prefix")
    if files and not (isinstance(prefix, str) and prefix):
        raise DownloadError("the service listed output files without their outputs prefix")
    root = destination.resolve()
    planned = []
    for uri in files:
        if not (isinstance(uri, str) and uri.startswith(prefix)):
            raise DownloadError(
                f"refusing to download: the service listed {str(uri)[:200]!r}, which is not "
                f"under the run's outputs prefix {prefix}"
            )
        path = uri[len(prefix) :]
        planned.append(PlannedFile(path, _target_inside(root, path)))
    return planned


def _target_inside(root: Path, path: str) -> Path:
    relative = PurePosixPath(path)
    target = root.joinpath(*relative.parts).resolve()
    if (
        not path
        or "\\" in path
        or "\x00" in path
        or relative.is_absolute()
        or ".." in relative.parts
        or target == root
        or not target.is_relative_to(root)
    ):
        raise DownloadError(
            f"refusing to download: the service named an output {path[:200]!r}, which would "
            f"be written outside {root}; nothing was downloaded"
        )
    return target


def _save(
    client: ServiceClient, run_id: str, item: PlannedFile, progress: Progress, bar: TaskID
) -> None:
    partial = item.target.with_name(f".{item.target.name}.{secrets.token_hex(4)}.part")
    try:
        item.target.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("xb") as output, client.open_output(run_id, item.path) as stream:
            progress.update(bar, total=stream.size)
            for chunk in stream.chunks:
                output.write(chunk)
                progress.advance(bar, len(chunk))
        partial.replace(item.target)
    except OSError as error:
        raise DownloadError(f"cannot save {item.target}: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
