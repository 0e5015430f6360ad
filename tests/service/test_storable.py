"""What the service can keep: refused values are named by their path, and the message naming
them is itself text any response or log can carry."""

import json

import pytest

from batchflow_service.storable import MAX_DEPTH, UnstorableError, check_storable, is_storable


def nested(levels: int) -> object:
    value: object = "bottom"
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "field", "fragment"),
    [
        ({"team": "a\x00b"}, "params.team", "NUL characters"),
        ({"x": ["ok", "\ud800"]}, "params.x.1", "unpaired surrogate (\\ud800)"),
        ({"x": float("nan")}, "params.x", "NaN is not a number JSON can hold"),
        ({"x": float("inf")}, "params.x", "Infinity is not a number"),
        ({"x": -float("inf")}, "params.x", "-Infinity is not a number"),
        ({"bad\udc00key": 1}, "params.bad\\udc00key", "the key may not contain an unpaired"),
        ({"nul\x00key": 1}, "params.nul\\x00key", "the key may not contain NUL"),
        ({"deep": nested(MAX_DEPTH)}, "params.deep" + ".0" * (MAX_DEPTH - 1), "nests deeper"),
    ],
)
def test_each_unstorable_value_is_refused_naming_its_path(value, field, fragment) -> None:
    with pytest.raises(UnstorableError) as refused:
        check_storable(value, "params")

    assert refused.value.field == field
    assert fragment in str(refused.value)
    assert str(refused.value).encode()  # the message itself is text UTF-8 can carry


def test_a_whole_body_is_named_by_its_fields_or_as_the_body() -> None:
    with pytest.raises(UnstorableError, match=r"^workflow: text may not contain NUL"):
        check_storable({"workflow": "demo\x00"}, "")
    with pytest.raises(UnstorableError, match=r"^body: NaN"):
        check_storable(float("nan"), "")


def test_everything_json_and_postgresql_hold_is_storable() -> None:
    value = {
        "text": "é 😀 \ufffe \x01 tab\tnew\nline",
        "numbers": [0, -1, 10**300, 1e308, -0.0, 5e-324],
        "nothing": None,
        "yes": True,
        "deep": nested(MAX_DEPTH - 1),
        "": "an empty key",
    }

    check_storable(value, "params")

    assert is_storable(value)
    assert json.loads(json.dumps(value, allow_nan=False)) == value


def test_long_hostile_keys_are_shown_shortened_and_escaped() -> None:
    key = "\x00" * 1000

    with pytest.raises(UnstorableError) as refused:
        check_storable({key: 1}, "tags")

    assert len(refused.value.field) < 200
    assert "\x00" not in str(refused.value)
