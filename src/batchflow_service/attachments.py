"""Uploaded workflow files: names checked, sizes bounded, nothing written outside the run."""

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

MAX_NAME_LENGTH = 255
URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
NOT_FETCHED = (
    "workflow URLs are never fetched: name a catalog workflow or attach the files and name "
    "the main one by its path"
)


class AttachmentError(ValueError):
    """An upload this service refuses; the message names the file and the rule (HTTP 400)."""


@dataclass(frozen=True)
class Attachment:
    name: str
    content: bytes


def safe_relative_path(name: str, what: str = "attachment") -> str:
    """A relative POSIX path inside the run's folder, or AttachmentError."""
    if not name or len(name) > MAX_NAME_LENGTH:
        raise AttachmentError(f"{what} name must be 1 to {MAX_NAME_LENGTH} characters")
    if "\\" in name or "\x00" in name:
        raise AttachmentError(f"{what} name {name[:80]!r} may not contain backslashes or NUL")
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise AttachmentError(f"{what} name {name[:80]!r} must be a relative path without '..'")
    normalized = path.as_posix()
    if normalized in ("", "."):
        raise AttachmentError(f"{what} name {name[:80]!r} names no file")
    return normalized


def is_url(name: str) -> bool:
    """Whether `name` starts with a URL scheme (http:, s3:, file:, git+https:, ...)."""
    return URL_SCHEME.match(name) is not None


def entry_path(name: str, what: str = "workflow") -> str:
    """The main file of an uploaded workflow as the workflow engine is given it: a relative path
    in normal form, never a URL (a workflow engine would fetch that). Returns `name` itself, so
    the string checked is the string run; AttachmentError otherwise."""
    if is_url(name):
        raise AttachmentError(f"{what} {name[:100]!r} is a URL; {NOT_FETCHED}")
    normalized = safe_relative_path(name, what)
    if normalized != name:
        raise AttachmentError(f"{what} {name[:100]!r} is not a plain path; write it {normalized!r}")
    return name


def check_attachments(
    attachments: list[Attachment], max_files: int, max_bytes: int
) -> list[Attachment]:
    if len(attachments) > max_files:
        raise AttachmentError(f"{len(attachments)} attachments given; at most {max_files} allowed")
    total = sum(len(a.content) for a in attachments)
    if total > max_bytes:
        raise AttachmentError(f"attachments hold {total} bytes; at most {max_bytes} allowed")
    names = [safe_relative_path(a.name) for a in attachments]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise AttachmentError(f"attachment names repeat: {', '.join(duplicates)}")
    return [Attachment(n, a.content) for n, a in zip(names, attachments, strict=True)]
