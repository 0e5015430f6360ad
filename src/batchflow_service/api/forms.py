"""Reading multipart forms: JSON fields, text fields and uploaded files, each checked."""

import json
from typing import Any

from fastapi import HTTPException, Request
from starlette.datastructures import FormData, UploadFile

from ..attachments import Attachment, AttachmentError, check_attachments
from .storable_input import refuse_unstorable

FORM_LIMITS = {"max_files": 200, "max_fields": 50, "max_part_size": 1024 * 1024}


async def read_form(request: Request, what: str) -> FormData:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(400, f"{what} takes multipart/form-data")
    try:
        return await request.form(**FORM_LIMITS)
    except HTTPException:
        raise
    except Exception as error:  # python-multipart reports malformed bodies in several ways
        raise HTTPException(400, f"the form could not be read: {error}") from None


def json_object(form: FormData, field: str) -> dict[str, Any]:
    raw = form.get(field)
    if raw in (None, ""):
        return {}
    if not isinstance(raw, str):
        raise HTTPException(400, f"{field} must be a form field holding JSON, not a file")
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise HTTPException(400, f"{field} is not valid JSON: {error}") from None
    except RecursionError:
        raise HTTPException(400, f"{field} nests too deeply") from None
    if not isinstance(value, dict):
        raise HTTPException(400, f"{field} must be a JSON object")
    refuse_unstorable(value, field)
    return value


def text(form: FormData, field: str) -> str | None:
    value = form.get(field)
    if value is not None and not isinstance(value, str):
        raise HTTPException(400, f"{field} must be a text field, not a file")
    return value or None


async def files(request: Request, form: FormData, field: str) -> list[Attachment]:
    """The uploaded files, checked against the service's limits and path rules."""
    uploads = []
    for part in form.getlist(field):
        if not isinstance(part, UploadFile) or not part.filename:
            raise HTTPException(400, f"each {field} must be a file with a filename")
        uploads.append(Attachment(part.filename, await part.read()))
    settings = request.app.state.settings
    try:
        return check_attachments(uploads, settings.max_workflow_files, settings.max_request_bytes)
    except AttachmentError as error:
        raise HTTPException(400, str(error)) from None
