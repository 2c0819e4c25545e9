"""Points: decimals written as strings, rounded half-up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.core.errors import ValidationError
from ledger.domain.points import decimals, format_points, parse_points, plain, quantize

FIELD = "command.args.points"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", Decimal(0)),
        ("1.424", Decimal("1.424")),
        ("10", Decimal(10)),
        ("0.5", Decimal("0.5")),
        ("999999.999999", Decimal("999999.999999")),
        ("007.50", Decimal("7.5")),
    ],
)
def test_parse_points_accepts_plain_decimal_strings(text, expected):
    value = parse_points(text, FIELD)
    assert isinstance(value, Decimal)
    assert value == expected


@pytest.mark.parametrize(
    "value",
    [
        1.5,  # a float
        1,  # an int
        Decimal("1.5"),
        None,
        "",
        "-1",
        "-0.5",
        "+1",
        "1e2",
        "1E-2",
        "1.",
        ".5",
        "1,5",
        " 1.5",
        "1.5 ",
        "NaN",
        "Infinity",
        "1234567",  # more than six integer digits
        "1.1234567",  # more than six decimal digits
        "0x10",
        "1_000",
    ],
)
def test_parse_points_refuses_anything_but_a_non_negative_decimal_string(value):
    with pytest.raises(ValidationError, match="non-negative decimal written as a string") as info:
        parse_points(value, FIELD)
    assert info.value.field == FIELD


@pytest.mark.parametrize(
    ("text", "precision"),
    [("1.25", 1), ("0.001", 2), ("1.5", 0), ("1.0001", 3)],
)
def test_parse_points_refuses_more_decimals_than_the_precision(text, precision):
    with pytest.raises(ValidationError, match=f"more than {precision} decimal places") as info:
        parse_points(text, FIELD, precision=precision)
    assert info.value.field == FIELD


@pytest.mark.parametrize(
    ("text", "precision"),
    [("1.25", 2), ("1.25", 3), ("2", 0), ("2.0", 0), ("1.500", 1)],
)
def test_parse_points_accepts_up_to_the_precision(text, precision):
    # Trailing zeros do not count: "1.500" is 1.5, which has one decimal place.
    assert parse_points(text, FIELD, precision=precision) == Decimal(text)


def test_parse_points_refuses_trailing_newline():
    with pytest.raises(ValidationError):
        parse_points("1.5\n", FIELD)


@pytest.mark.parametrize("text", ["١.٥", "１２"])
def test_parse_points_refuses_non_ascii_digits(text):
    with pytest.raises(ValidationError):
        parse_points(text, FIELD)


# -- rounding and formatting ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "precision", "expected"),
    [
        ("0.125", 2, "0.13"),
        ("2.675", 2, "2.68"),
        ("0.124", 2, "0.12"),
        ("1.0005", 3, "1.001"),
        ("0.5", 0, "1"),
        ("1.5", 0, "2"),
        ("2.5", 0, "3"),  # half-up, not banker's rounding
        ("8.4235", 3, "8.424"),
        ("1", 2, "1.00"),
    ],
)
def test_quantize_rounds_half_up(value, precision, expected):
    result = quantize(Decimal(value), precision)
    assert result == Decimal(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("value", "precision", "expected"),
    [
        (Decimal("1.5"), 2, "1.50"),
        (Decimal("10"), 3, "10.000"),
        (Decimal("0.125"), 2, "0.13"),
        (Decimal("1E+2"), 2, "100.00"),
        (Decimal("0.00000001"), 4, "0.0000"),
        (Decimal("7.25"), 0, "7"),
    ],
)
def test_format_points_writes_fixed_decimals_without_exponent(value, precision, expected):
    assert format_points(value, precision) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("8.50"), "8.5"),
        (Decimal("10"), "10"),
        (Decimal("100.000"), "100"),
        (Decimal("1E+2"), "100"),
        (Decimal("0.000"), "0"),
        (Decimal("0.0001"), "0.0001"),
        (Decimal("1E-7"), "0.0000001"),
        (Decimal("5.25"), "5.25"),
    ],
)
def test_plain_is_shortest_text_without_exponent(value, expected):
    assert plain(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 0), ("1.50", 1), ("1.25", 2), ("100", 0), ("0.000", 0), ("0.001", 3)],
)
def test_decimals_counts_significant_decimal_places(value, expected):
    assert decimals(Decimal(value)) == expected


# -- properties -------------------------------------------------------------------------


@st.composite
def points_text(draw, max_places=6):
    precision = draw(st.integers(min_value=0, max_value=max_places))
    whole = draw(st.integers(min_value=0, max_value=999_999))
    places = draw(st.integers(min_value=0, max_value=precision))
    text = str(whole)
    if places:
        digits = draw(st.text(alphabet="0123456789", min_size=places, max_size=places))
        text += "." + digits
    return text, precision


@given(points_text())
def test_parse_points_round_trips_exactly(case):
    text, precision = case
    value = parse_points(text, FIELD, precision=precision)
    assert value == Decimal(text)
    # the ledger's text at the set's precision reads back as the same number
    written = format_points(value, precision)
    assert parse_points(written, FIELD, precision=precision) == value
    # quantizing to the precision changes nothing
    assert quantize(value, precision) == value
    # and the shortest text is the same number too
    assert parse_points(plain(value), FIELD, precision=precision) == value


@given(
    st.decimals(min_value=0, max_value=999_999, allow_nan=False, allow_infinity=False, places=6),
    st.integers(min_value=0, max_value=4),
)
def test_quantize_error_is_at_most_half_a_unit(value, precision):
    rounded = quantize(value, precision)
    unit = Decimal(1).scaleb(-precision)
    assert abs(rounded - value) <= unit / 2
    assert decimals(rounded) <= precision
    # exactly half goes up
    if abs(rounded - value) == unit / 2:
        assert rounded > value
