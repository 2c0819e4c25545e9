"""RFC 8785 (JCS) canonical bytes and SHA-256 digests.

Everything that is hashed or signed goes through :func:`canonical_bytes`. Values are
restricted to JSON's own types with integer numbers only: decimals travel as strings,
so no binary float ever reaches a hash.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
import rfc8785

from ledger.core.errors import ValidationError

ZERO_HASH = "0" * 64


_MAX_INT = 2**53 - 1
# U+0000 as canonical bytes write it: ``\u0000`` not itself escaped by a backslash
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def is_plain_json(value: Any, ascii_keys: bool = False) -> bool:
    """Whether ``value`` holds only what :func:`check_json_value` accepts (quickly, for the
    common case; the full walk names what is wrong), and, if asked, only ASCII keys."""
    kind = type(value)
    if kind is dict:
        for key in value:
            if type(key) is not str or (ascii_keys and not key.isascii()):
                return False
        items = value.values()
    elif kind is list:
        items = value
    else:
        return _plain_scalar(value)
    # scalars are checked here, without a call each: this runs on every command and every
    # event a verifier reads
    for item in items:
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if not -_MAX_INT <= item <= _MAX_INT:
                return False
        elif kind is dict or kind is list:
            if not is_plain_json(item, ascii_keys):
                return False
        else:
            return False
    return True


def _plain_scalar(value: Any) -> bool:
    kind = type(value)
    if kind is int:
        return bool(-_MAX_INT <= value <= _MAX_INT)
    return kind is str or kind is bool or value is None


def check_json_value(value: Any, path: str = "$") -> None:
    """Refuse anything but null, bool, int, str, lists and string-keyed objects."""
    if is_plain_json(value):
        return
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if abs(value) > 2**53 - 1:
            raise ValidationError(
                f"{path}: integer {value} is outside the I-JSON range", field=path
            )
        return
    if isinstance(value, float):
        raise ValidationError(
            f"{path}: numbers with a fraction are not accepted; send decimals as strings",
            field=path,
        )
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_json_value(item, f"{path}[{i}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(f"{path}: object keys must be strings", field=path)
            check_json_value(item, f"{path}.{key}")
        return
    raise ValidationError(f"{path}: {type(value).__name__} is not a JSON value", field=path)


def refuse_nul(canonical: bytes, field: str) -> None:
    """Refuse a value, given as its canonical bytes, with U+0000 in any string: text columns
    of the read models (PostgreSQL) cannot hold it, so it is never recorded."""
    if _NUL.search(canonical):
        raise ValidationError(
            f"{field}: a string holds the character U+0000 (NUL), which the ledger does not take",
            code="nul_character",
            field=field,
        )


def canonical_bytes(value: Any) -> bytes:
    """The RFC 8785 canonical form of a JSON value.

    The ``rfc8785`` package is the reference. For plain values (strings, integers within
    ±(2^53 − 1), booleans, null, lists and objects) whose keys are all ASCII, orjson's output
    with sorted keys is the same bytes, at a fraction of the cost: it escapes strings as
    RFC 8785 does and, for ASCII keys, code-point order is UTF-16 order (ADR 8;
    ``tests/unit/test_canonical.py`` checks the two agree)."""
    if is_plain_json(value, ascii_keys=True):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass  # e.g. a lone surrogate: the reference says what is wrong
    check_json_value(value)
    return bytes(rfc8785.dumps(value))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds, e.g. ``2026-11-22T03:15:00.000000Z``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


_LOCAL = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?)?"
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


LEDGER_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


def parse_time(text: str, field: str = "time") -> datetime:
    """Parse an RFC 3339 timestamp: date, 'T', time, and 'Z' or an offset."""
    if isinstance(text, str) and LEDGER_TIME.fullmatch(text):
        try:  # the ledger's own form, the common case
            return datetime.fromisoformat(text)
        except ValueError:
            pass  # no such date: the full parse says so
    if isinstance(text, str) and re.fullmatch(_LOCAL, text):
        raise ValidationError(f"{field}: {text!r} has no time zone offset", field=field)
    if not isinstance(text, str) or not _RFC3339.fullmatch(text):
        raise ValidationError(f"{field}: {text!r} is not an RFC 3339 timestamp", field=field)
    date_time, dot, rest = text.upper().partition(".")
    if dot:  # keep microseconds, Python's resolution
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{date_time}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{field}: {text!r} is not an RFC 3339 timestamp (no such date or time)", field=field
        ) from None
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValidationError(
            f"{field}: {text!r} falls outside the years 1 to 9999 in UTC", field=field
        ) from None
    return moment
