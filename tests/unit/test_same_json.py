"""Signed arguments are compared with the event's body as JSON values, type and all."""

from __future__ import annotations

import pytest

from ledger.domain.derivations import same_json


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1.5", "1.5"),
        (1, 1),
        (True, True),
        (None, None),
        ({"a": [1, {"b": "c"}]}, {"a": [1, {"b": "c"}]}),
        ({"x": 1, "y": 2}, {"y": 2, "x": 1}),
    ],
)
def test_equal_json_values_are_the_same(a: object, b: object) -> None:
    assert same_json(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (True, 1),
        (0, False),
        ({"a": 1}, {"a": True}),
        ([1, 2], [1, 2, 3]),
        ({"a": 1}, {"a": 1, "b": 2}),
        ("1", 1),
        (None, "null"),
        ([{"a": "1"}], [{"a": "2"}]),
    ],
)
def test_values_equal_only_to_python_are_not(a: object, b: object) -> None:
    assert not same_json(a, b)
