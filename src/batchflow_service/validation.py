"""pydantic's validation errors as one line a person can read: `field.path: message; ...`."""

from collections.abc import Sequence
from typing import Any

from .storable import shown


def describe_errors(errors: Sequence[Any], limit: int = 10) -> str:
    return "; ".join(
        f"{'.'.join(shown(str(part)) for part in error['loc']) or 'body'}: {error['msg']}"
        for error in list(errors)[:limit]
    )
