"""Values the service can keep: in PostgreSQL (text and jsonb), in a JSON response, and in the
run record a restarted service reads back from S3.

Python's json module accepts more than those can hold: NaN and Infinity (and numbers too large
for a float, which become Infinity), unpaired surrogates written as escapes ("\\ud800"), and
NUL characters, which PostgreSQL refuses in text and jsonb alike. Nesting is bounded too: a
record is parsed and serialised by code with recursion limits of its own.
"""

import math
from typing import Any

MAX_DEPTH = 64
"""Levels of lists and objects a value may nest; far beyond any workflow's parameters, well
within what pydantic (about 250 levels) and PostgreSQL serialise and parse."""
SHOWN_CHARACTERS = 40
MAX_SHOWN_PATH = 240
FINITE_ADVICE = (
    "send a finite number, or a string (a number too large for a 64-bit float reads as Infinity)"
)


class UnstorableError(ValueError):
    """A value the service could not keep or show; the message names where it is (HTTP 400)."""

    def __init__(self, field: str, problem: str) -> None:
        if len(field) > MAX_SHOWN_PATH:
            field = f"{field[: MAX_SHOWN_PATH // 2]}...{field[-MAX_SHOWN_PATH // 4 :]}"
        super().__init__(f"{field}: {problem}")
        self.field = field


def check_storable(value: Any, field: str, max_depth: int = MAX_DEPTH) -> None:
    """Raises UnstorableError naming the first part of `value` (a parsed JSON value, or a text)
    that could not be stored, at its path under `field` (`tags.team`, `params.samples.0`); an
    empty `field` is a whole request body."""
    found = _first_problem(value, 0, max_depth)
    if found is not None:
        reversed_path, problem = found
        parts = [field] if field else []
        parts += [shown(str(part)) for part in reversed(reversed_path)]
        raise UnstorableError(".".join(parts) or "body", problem)


def is_storable(value: Any) -> bool:
    return _first_problem(value, 0, MAX_DEPTH) is None


def text_problem(text: str) -> str | None:
    """What makes this text unstorable, if anything."""
    if "\x00" in text:
        return "text may not contain NUL characters (\\u0000): PostgreSQL cannot store them"
    if text.isascii():
        return None
    try:
        text.encode()
    except UnicodeEncodeError as error:  # only a surrogate has no UTF-8 encoding
        return (
            f"text may not contain an unpaired surrogate ({ascii(text[error.start])[1:-1]}): it "
            "is not a character UTF-8 can encode; send the character itself, or a surrogate "
            "pair that makes one"
        )
    return None


def _first_problem(value: Any, depth: int, max_depth: int) -> tuple[list[Any], str] | None:
    """The first problem in `value` and the path to it, innermost part first (the path is
    only built for a value that has one: a large body costs one walk and nothing more)."""
    if isinstance(value, str):
        problem = text_problem(value)
        return ([], problem) if problem else None
    if isinstance(value, float):
        if math.isfinite(value):
            return None
        name = "NaN" if math.isnan(value) else f"{'-' if value < 0 else ''}Infinity"
        return [], f"{name} is not a number JSON can hold; {FINITE_ADVICE}"
    if not isinstance(value, dict | list | tuple):
        return None
    if depth >= max_depth:
        return [], f"nests deeper than {max_depth} levels of lists and objects"
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        if isinstance(key, str):
            problem = text_problem(key)
            if problem:
                return [key], f"the key {problem.removeprefix('text ')}"
        found = _first_problem(item, depth + 1, max_depth)
        if found is not None:
            found[0].append(key)
            return found
    return None


def shown(text: str) -> str:
    """`text` as an error message or a log line may quote it: shortened, and with NUL,
    surrogates and other characters that do not print written as escapes."""
    short = text[:SHOWN_CHARACTERS] + ("..." if len(text) > SHOWN_CHARACTERS else "")
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in short)
