"""Opaque `nextToken`s: a cursor past the last item returned, stable while items are added."""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .errors import AwsError, client_error

T = TypeVar("T")


def encode_token(last_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_key}).encode()).decode()


def decode_token(token: str, error: Callable[[str], AwsError] = client_error) -> str:
    try:
        cursor = json.loads(base64.urlsafe_b64decode(token.encode()))
        after = cursor["after"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise error(f"Invalid nextToken: {token[:64]!r}") from None
    if not isinstance(after, str):
        raise error(f"Invalid nextToken: {token[:64]!r}")
    return after


def paginate(
    items: Sequence[T],
    key: Callable[[T], str],
    token: str | None,
    limit: int,
    *,
    descending: bool = False,
    error: Callable[[str], AwsError] = client_error,
) -> tuple[list[T], str | None]:
    """One page of `items` (already sorted by `key`) after the token's cursor."""
    start = 0
    if token:
        after = decode_token(token, error)
        start = next(
            (
                i
                for i, item in enumerate(items)
                if (key(item) < after if descending else key(item) > after)
            ),
            len(items),
        )
    page = list(items[start : start + limit])
    more = start + limit < len(items)
    return page, (encode_token(key(page[-1])) if more and page else None)


def listing(field: str, page: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    """A List/Describe response: the page under `field`, and `nextToken` while more remain."""
    return {field: page, "nextToken": token} if token else {field: page}
