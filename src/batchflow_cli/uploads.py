"""A workflow on this machine, as the files `batchflow submit` uploads with a run."""

from dataclasses import dataclass
from pathlib import Path

from batchflow_service.sources import SourcesError, workflow_files

# Where each engine's entry script sits in a workflow folder, in the order looked for;
# Snakemake's own choices when it is given no --snakefile.
ENTRY_SCRIPTS = {
    "snakemake": ("Snakefile", "snakefile", "workflow/Snakefile", "workflow/snakefile"),
    "nextflow": ("main.nf",),
}


class LocalWorkflowError(ValueError):
    """The path cannot be uploaded as a workflow; the message says why and what to do."""


@dataclass(frozen=True)
class LocalWorkflow:
    folder: Path
    entry: str
    """The entry script (the Snakefile), relative to `folder`, as the service names it."""
    files: list[Path]

    def attachments(self) -> list[tuple[str, bytes]]:
        return [
            (path.relative_to(self.folder).as_posix(), path.read_bytes()) for path in self.files
        ]


def local_workflow(path: Path, engine: str) -> LocalWorkflow:
    """The workflow at `path`: a folder holding the entry script, or the entry script itself.

    A Snakefile in the standard layout's `workflow/` folder brings the folder above with it,
    as giving that folder would.
    """
    if engine not in ENTRY_SCRIPTS:
        raise LocalWorkflowError(
            f"the {engine} engine runs no uploaded files; submit a catalog workflow, or use "
            f"--engine {' or --engine '.join(ENTRY_SCRIPTS)}"
        )
    path = path.absolute()
    if path.is_dir():
        folder = path
        found = next((name for name in ENTRY_SCRIPTS[engine] if (path / name).is_file()), None)
        if found is None:
            raise LocalWorkflowError(
                f"{path} holds no {' or '.join(ENTRY_SCRIPTS[engine])}; give the path of the "
                "workflow's entry script, or a folder that holds one"
            )
        entry = found
    else:
        standard_layout = path.parent.name == "workflow" and engine == "snakemake"
        folder = path.parent.parent if standard_layout else path.parent
        entry = path.relative_to(folder).as_posix()
    folder = folder.resolve()
    try:
        files = workflow_files(folder)
    except SourcesError as error:
        raise LocalWorkflowError(str(error)) from None
    if folder / entry not in files:
        raise LocalWorkflowError(
            f"{entry} is not among the files uploaded from {folder}: in a git repository only "
            "the files git tracks go with a run (git add it), and never a symbolic link"
        )
    return LocalWorkflow(folder, entry, files)
