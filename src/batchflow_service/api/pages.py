"""Opaque page tokens for cursor pagination; a token that does not decode is a 400."""

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from ..storable import is_storable


class BadPageTokenError(ValueError):
    pass


def encode(cursor: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(cursor, default=str).encode()).decode()


def decode(token: str, *keys: str) -> dict[str, Any]:
    try:
        cursor = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadPageTokenError(
            f"page_token {token[:64]!r} is not a token this service issued"
        ) from None
    if (
        not isinstance(cursor, dict)
        or any(not isinstance(cursor.get(k), str) for k in keys)
        or not is_storable(cursor)
    ):
        raise BadPageTokenError(f"page_token {token[:64]!r} is not a token this service issued")
    return cursor


def run_cursor(token: str) -> tuple[datetime, str]:
    cursor = decode(token, "created_at", "id")
    try:
        created_at = datetime.fromisoformat(cursor["created_at"])
    except ValueError:
        created_at = None
    if created_at is None or created_at.tzinfo is None:
        raise BadPageTokenError(f"page_token {token[:64]!r} is not a token this service issued")
    return created_at, cursor["id"]
