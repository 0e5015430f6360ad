"""The progress bars batchflow draws: a run's tasks as it runs, a download's files and bytes."""

from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from .client import ServiceClient


def follow(client: ServiceClient, run_id: str, console: Console) -> dict[str, Any]:
    """Polls the run until it ends, showing its state and its completed tasks; the last run."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("QUEUED", total=None)
        for run in client.wait(run_id):
            tasks = client.tasks(run_id)
            done = sum(task["state"] == "COMPLETE" for task in tasks)
            progress.update(
                bar,
                description=f"{run['state']:<14} tasks",
                total=len(tasks) or None,
                completed=done,
            )
    return run


class FilesOrBytesColumn(ProgressColumn):
    """`2/5 files` on the bar counting files; `1.2/3.4 MB 5.6 MB/s` on a bar counting bytes."""

    def __init__(self) -> None:
        super().__init__()
        self._size = DownloadColumn()
        self._speed = TransferSpeedColumn()

    def render(self, task: Task) -> Text:
        if task.fields.get("unit") == "files":
            return Text(f"{task.completed:.0f}/{task.total or 0:.0f} files")
        return Text.assemble(self._size.render(task), " ", self._speed.render(task))


def transfer_progress(console: Console) -> Progress:
    """Add a task with the field `unit="files"` to count files, and another to count bytes."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        FilesOrBytesColumn(),
        console=console,
    )
