"""The checks a run request for a head-job engine passes before anything is stored or staged;
each failure is an EngineError (HTTP 400) that says what to change."""

import json
from pathlib import Path
from typing import Any

from ..attachments import NOT_FETCHED, Attachment, AttachmentError, entry_path, is_url
from ..catalog import Catalog, CatalogError, Workflow
from ..sources import workflow_files
from .base import EngineError


def check_not_url(workflow: str) -> None:
    """Refuses a workflow named by a URL, before anything else is looked at."""
    if is_url(workflow):
        raise EngineError(f"workflow {workflow[:100]!r} is a URL; {NOT_FETCHED}")


def check_uploaded_entry(workflow: str, attachments: list[Attachment]) -> None:
    """The workflow names one of the attached files, by the very string the workflow engine is
    given (entry_path: a relative path in normal form, no URL)."""
    try:
        entry = entry_path(workflow)
    except AttachmentError as error:
        raise EngineError(str(error)) from None
    if entry not in {attachment.name for attachment in attachments}:
        raise EngineError(
            f"workflow {workflow[:100]!r} is not one of the attached files; name the main "
            "file by its path among them"
        )


def catalog_entry(catalog_dir: Path, workflow: str, engine: str, entry: str) -> Workflow:
    """The catalog's entry for `workflow`, if `engine` runs it (its folder holds `entry`)."""
    try:
        listed = Catalog(catalog_dir).get(workflow)
    except CatalogError as error:
        raise EngineError(str(error)) from None
    if engine not in listed.engines or not (listed.folder / entry).is_file():
        raise EngineError(
            f"workflow {workflow} runs with {', '.join(listed.engines)}, not {engine}"
        )
    return listed


def check_file_count(folder: Path, limit: int) -> None:
    """Refuses a catalog folder with more files than an upload may hold."""
    if len(workflow_files(folder)) > limit:
        raise EngineError(f"workflow {folder.name} has more than {limit} files")


def check_params_size(params: dict[str, Any], limit: int) -> None:
    try:
        encoded = json.dumps(params, allow_nan=False)
    except ValueError:
        raise EngineError("params may not hold NaN or Infinity: JSON has no such numbers") from None
    if len(encoded) > limit:
        raise EngineError(f"params take {len(encoded)} bytes as JSON; at most {limit} are accepted")


def check_catalog_params(listed: Workflow, params: dict[str, Any]) -> None:
    """The parameters the workflow's schema accepts."""
    try:
        listed.check_params(params)
    except CatalogError as error:
        raise EngineError(str(error)) from None
