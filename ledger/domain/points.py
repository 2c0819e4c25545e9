"""Points are decimals, written as strings on the ledger and rounded half-up."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ledger.core.errors import ValidationError

_POINTS = re.compile(r"[0-9]{1,6}(\.[0-9]{1,6})?")


def parse_points(text: object, field: str, *, precision: int | None = None) -> Decimal:
    """Parse a non-negative decimal written as a string ("1.424"); never a float."""
    if not isinstance(text, str) or not _POINTS.fullmatch(text):
        raise ValidationError(
            f'{field}: {text!r} is not a non-negative decimal written as a string, e.g. "1.25"',
            field=field,
        )
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes this
        raise ValidationError(f"{field}: {text!r} is not a number", field=field) from None
    if precision is not None and decimals(value) > precision:
        raise ValidationError(
            f"{field}: {text} has more than {precision} decimal places", field=field
        )
    return value


def decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def quantize(value: Decimal, precision: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)


def format_points(value: Decimal, precision: int) -> str:
    """The ledger's text for a number of points, at the set's precision."""
    return f"{quantize(value, precision):f}"


def display(value: Decimal, precision: int) -> str:
    """Points for people: at the set's precision, trailing zeros dropped down to two places
    (88.540 -> "88.54", 8.424 -> "8.424", 100 -> "100.00")."""
    text = format_points(value, precision)
    if "." not in text:
        return text
    whole, fraction = text.split(".")
    fraction = fraction.rstrip("0").ljust(min(2, precision), "0")
    return f"{whole}.{fraction}" if fraction else whole


def plain(value: Decimal) -> str:
    """Shortest text for a decimal, without exponent: 8.50 -> "8.5", 10 -> "10"."""
    return f"{value.normalize():f}"
