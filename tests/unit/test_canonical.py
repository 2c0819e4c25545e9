"""RFC 8785 (JCS) canonical bytes, the JSON value check, and timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.canonical import (
    ZERO_HASH,
    canonical_bytes,
    check_json_value,
    format_time,
    parse_time,
    sha256_hex,
)
from ledger.core.errors import ValidationError

# RFC 8785 section 3.2.2 / 3.2.3 input, minus the "numbers" member: the string
# "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/" decodes to these characters.
RFC_STRING = '€$\x0f\nA\'B"\\\\"/'


# -- the fast path agrees with the reference -----------------------------------------

KEYS = st.text(max_size=8)
SCALARS = (
    st.none() | st.booleans() | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1) | st.text()
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=2000)
@given(VALUES)
def test_canonical_bytes_are_the_rfc8785_reference_bytes(value):
    # any text: control characters, quotes, backslashes, U+2028, characters beyond U+FFFF,
    # non-ASCII keys (which take the reference path) and ASCII ones (which take orjson's)
    assert canonical_bytes(value) == bytes(rfc8785.dumps(value))


@settings(max_examples=500)
@given(st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127)), VALUES, max_size=6))
def test_ascii_keyed_objects_take_the_fast_path_and_agree(value):
    assert canonical_bytes(value) == bytes(rfc8785.dumps(value))


# -- key ordering -------------------------------------------------------------------


def test_rfc8785_sorting_example_orders_keys_by_utf16_code_units():
    # RFC 8785 section 3.2.3: the property names, as given in the RFC's input order.
    value = {
        "€": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "😀": "Emoji: Grinning Face",
        "\u0080": "Control",
        "ö": "Latin Small Letter O With Diaeresis",
    }
    expected = (
        '{"\\r":"Carriage Return",'
        '"1":"One",'
        '"\u0080":"Control",'
        '"ö":"Latin Small Letter O With Diaeresis",'
        '"€":"Euro Sign",'
        '"😀":"Emoji: Grinning Face",'
        '"\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    ).encode()
    assert canonical_bytes(value) == expected


def test_surrogate_pair_key_sorts_before_bmp_key_above_d800():
    # Code-point order would put U+1F600 last; UTF-16 order puts its 0xD83D lead first.
    assert canonical_bytes({"\ufb33": 1, "😀": 2}) == '{"😀":2,"\ufb33":1}'.encode()


def test_key_order_does_not_depend_on_insertion_order():
    assert canonical_bytes({"b": 1, "a": 2, "c": {"z": 0, "y": 1}}) == canonical_bytes(
        {"c": {"y": 1, "z": 0}, "a": 2, "b": 1}
    )


# -- strings ------------------------------------------------------------------------


def test_rfc8785_sample_string_and_literals():
    value = {"string": RFC_STRING, "literals": [None, True, False]}
    expected = (
        '{"literals":[null,true,false],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    ).encode()
    assert canonical_bytes(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\x0f", b'"\\u000f"'),  # control characters: lowercase \u00xx
        ("\x00", b'"\\u0000"'),
        ("\x1f", b'"\\u001f"'),
        ("\n\r\t\b\f", b'"\\n\\r\\t\\b\\f"'),  # the short escapes
        ('"\\', b'"\\"\\\\"'),
        ("/", b'"/"'),  # solidus is not escaped
        ("\x7f", b'"\x7f"'),  # DEL is not a JSON control character
        ("é", '"é"'.encode()),  # non-ASCII stays as UTF-8 bytes
        ("\u2028\u2029", '"\u2028\u2029"'.encode()),  # line separators kept raw
        ("😀", b'"\xf0\x9f\x98\x80"'),
    ],
)
def test_string_escaping(text, expected):
    assert canonical_bytes(text) == expected


# -- numbers, nesting, whitespace ----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, b"0"),
        (-1, b"-1"),
        (1000000, b"1000000"),
        (2**53 - 1, b"9007199254740991"),
        (-(2**53 - 1), b"-9007199254740991"),
    ],
)
def test_integers(value, expected):
    assert canonical_bytes(value) == expected


@pytest.mark.parametrize("value", [2**53, -(2**53), 10**30])
def test_integers_outside_ijson_range_are_refused(value):
    with pytest.raises(ValidationError, match="I-JSON") as info:
        canonical_bytes({"n": [value]})
    assert info.value.field == "$.n[0]"


def test_nested_objects_and_arrays_without_whitespace():
    value = {"outer": {"b": [1, {"y": None, "x": "s"}], "a": {}}, "empty": []}
    assert canonical_bytes(value) == b'{"empty":[],"outer":{"a":{},"b":[1,{"x":"s","y":null}]}}'


def test_booleans_are_literals_not_integers():
    assert canonical_bytes([True, False, 1, 0]) == b"[true,false,1,0]"


# -- refusals -----------------------------------------------------------------------


def test_rfc8785_numbers_sample_is_refused_because_floats_are_not_accepted():
    value = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": RFC_STRING,
        "literals": [None, True, False],
    }
    with pytest.raises(ValidationError, match="send decimals as strings") as info:
        canonical_bytes(value)
    assert info.value.field == "$.numbers[0]"
    assert info.value.field in str(info.value)


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (1.5, "$"),
        ([0, 1, 2.0], "$[2]"),
        ({"args": {"points": 1.25}}, "$.args.points"),
        ({"a": [{"b": float("nan")}]}, "$.a[0].b"),
    ],
)
def test_float_is_refused_naming_its_path(value, path):
    with pytest.raises(ValidationError) as info:
        check_json_value(value)
    assert info.value.field == path
    assert str(info.value).startswith(path + ":")


def test_decimal_as_string_is_accepted():
    assert canonical_bytes({"points": "1.50"}) == b'{"points":"1.50"}'


@pytest.mark.parametrize("value", [{1: "x"}, {"a": {(1, 2): 1}}])
def test_non_string_keys_are_refused(value):
    with pytest.raises(ValidationError, match="keys must be strings"):
        canonical_bytes(value)


@pytest.mark.parametrize("value", [b"bytes", {1, 2}, object(), datetime(2026, 1, 1, tzinfo=UTC)])
def test_non_json_types_are_refused(value):
    with pytest.raises(ValidationError, match="is not a JSON value"):
        canonical_bytes(value)


def test_custom_path_prefix_is_used():
    with pytest.raises(ValidationError) as info:
        check_json_value({"x": 0.5}, "command")
    assert info.value.field == "command.x"


# -- digests ------------------------------------------------------------------------


def test_sha256_hex_known_answer():
    assert sha256_hex(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert len(ZERO_HASH) == 64
    assert set(ZERO_HASH) == {"0"}


# -- timestamps ---------------------------------------------------------------------


def test_format_time_is_utc_with_microseconds_and_z():
    hanoi = timezone(timedelta(hours=7))
    moment = datetime(2026, 11, 22, 10, 15, 0, tzinfo=hanoi)
    assert format_time(moment) == "2026-11-22T03:15:00.000000Z"
    assert format_time(datetime(2026, 1, 2, 3, 4, 5, 67, tzinfo=UTC)) == (
        "2026-01-02T03:04:05.000067Z"
    )


def test_format_time_refuses_naive_datetime():
    with pytest.raises(ValueError, match="naive"):
        format_time(datetime(2026, 11, 22, 3, 15))


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-22T03:15:00.000000Z",
        "2026-11-22T03:15:00z",
        "2026-11-22T10:15:00+07:00",
        "2026-11-21T22:15:00.000000-05:00",
    ],
)
def test_parse_time_accepts_offsets(text):
    moment = parse_time(text)
    assert moment.tzinfo is not None
    assert moment == datetime(2026, 11, 22, 3, 15, tzinfo=UTC)


def test_parse_time_round_trips_format_time():
    moment = datetime(2026, 11, 22, 3, 15, 0, 123456, tzinfo=UTC)
    assert parse_time(format_time(moment)) == moment
    assert format_time(parse_time("2026-11-22T10:15:00.5+07:00")) == "2026-11-22T03:15:00.500000Z"


@pytest.mark.parametrize("text", ["2026-11-22T03:15:00", "2026-11-22"])
def test_parse_time_refuses_naive(text):
    with pytest.raises(ValidationError, match="no time zone offset") as info:
        parse_time(text, "command.issued_at")
    assert info.value.field == "command.issued_at"


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01T00:00:00Z", "2026-11-22T03:15Zjunk"])
def test_parse_time_refuses_garbage(text):
    with pytest.raises(ValidationError, match="not an RFC 3339 timestamp") as info:
        parse_time(text, "at")
    assert info.value.field == "at"


def test_parse_time_refuses_non_string():
    with pytest.raises(ValidationError):
        parse_time(12345)  # type: ignore[arg-type]
