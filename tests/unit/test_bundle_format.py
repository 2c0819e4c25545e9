"""The publication bundle's file format, the reading of one leaf (ledger/bundle.py), and the
key registry as it stood at each leaf (ledger/domain/keyring.KeyTimeline)."""

from __future__ import annotations

import gzip
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import rfc8785

from ledger.audit.bundle_format import (
    BUNDLE_FORMAT,
    BadLeaf,
    Bundle,
    BundleError,
    Leaves,
    decode_bundle,
    encode_bundle,
    read_bundle,
    read_leaf,
)
from ledger.core.canonical import canonical_bytes
from ledger.core.crypto import SigningKey
from ledger.core.errors import ValidationError
from ledger.domain.keyring import KeyTimeline
from tests.unit.test_formats_example import PREVIOUS, example

HEADER = {"format": BUNDLE_FORMAT, "ledger": "parledger.local/demo", "campaign": "HN-2022"}
EXAMPLE, EXAMPLE_HASH, _, _ = example()


def example_event() -> dict[str, Any]:
    """The worked example of docs/FORMATS.md §11 as an object."""
    event: dict[str, Any] = orjson.loads(EXAMPLE)
    return event


def leaf(**changes: Any) -> bytes:
    """The canonical bytes of the worked example with some members changed."""
    return canonical_bytes({**example_event(), **changes})


def sorted_dumps(value: Any) -> bytes:
    """Keys sorted, compact, as canonical as JSON gets short of the RFC 8785 checks."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def refused(data: bytes, fragment: str = "") -> str:
    with pytest.raises(BadLeaf) as info:
        read_leaf(data)
    assert fragment in str(info.value)
    return str(info.value)


# -- writing and reading a bundle ---------------------------------------------------------

BUNDLE = Bundle(dict(HEADER), [EXAMPLE, leaf(version=3), leaf(version=4)])


@pytest.mark.parametrize("compress", [True, False])
def test_a_bundle_reads_back_as_it_was_written(compress):
    assert decode_bundle(encode_bundle(BUNDLE, compress=compress)) == BUNDLE


def test_a_bundle_is_gzip_compressed_by_default():
    data = encode_bundle(BUNDLE)
    assert data.startswith(b"\x1f\x8b")
    assert gzip.decompress(data) == encode_bundle(BUNDLE, compress=False)


def test_the_same_bundle_is_always_the_same_bytes():
    assert encode_bundle(BUNDLE) == encode_bundle(Bundle(dict(HEADER), list(BUNDLE.leaves)))


def test_the_header_is_the_first_line_in_rfc8785_form_and_each_leaf_a_line():
    header = {"ledger": "Sở Nội vụ", "format": BUNDLE_FORMAT, "a": [1, 2]}
    text = encode_bundle(Bundle(header, [b"leaf0", b"leaf1"]), compress=False)
    assert text == rfc8785.dumps(header) + b"\nleaf0\nleaf1\n"


def test_read_bundle_gives_the_header_and_the_leaves():
    header, leaves = read_bundle(encode_bundle(BUNDLE))
    assert header == HEADER
    assert isinstance(leaves, Leaves)
    assert list(leaves) == BUNDLE.leaves


def test_a_bundle_with_a_header_only_has_no_leaves():
    header, leaves = read_bundle(encode_bundle(Bundle(dict(HEADER), [])))
    assert header == HEADER
    assert len(leaves) == 0
    assert list(leaves) == []


def test_leaves_are_a_sequence_by_index_and_slice():
    _, leaves = read_bundle(encode_bundle(BUNDLE, compress=False))
    assert len(leaves) == 3
    assert leaves[0] == EXAMPLE
    assert leaves[2] == BUNDLE.leaves[2]
    assert leaves[1:] == BUNDLE.leaves[1:]
    assert leaves[::-1] == BUNDLE.leaves[::-1]
    assert leaves[-2:] == BUNDLE.leaves[-2:]


def test_a_leaf_past_the_end_is_an_index_error():
    _, leaves = read_bundle(encode_bundle(BUNDLE))
    with pytest.raises(IndexError):
        leaves[3]


def test_an_empty_leaf_line_is_kept():
    bundle = Bundle(dict(HEADER), [b"", EXAMPLE])
    assert decode_bundle(encode_bundle(bundle)) == bundle


def test_a_bundle_error_is_a_validation_error_with_its_code():
    assert issubclass(BundleError, ValidationError)
    assert BundleError("x").code == "invalid_bundle"


def test_data_with_the_gzip_magic_that_is_not_gzip_is_refused():
    with pytest.raises(BundleError, match="not a readable gzip file"):
        read_bundle(b"\x1f\x8b" + b"not really gzip\n")


def test_a_gzip_bundle_cut_short_is_refused():
    data = encode_bundle(BUNDLE)
    with pytest.raises(BundleError, match="not a readable gzip file"):
        read_bundle(data[: len(data) // 2])


@pytest.mark.parametrize("compress", [True, False])
def test_a_bundle_without_its_final_newline_is_refused(compress):
    text = encode_bundle(BUNDLE, compress=False)[:-1]
    data = gzip.compress(text) if compress else text
    with pytest.raises(BundleError, match="does not end with a newline"):
        read_bundle(data)


def test_an_empty_file_is_refused():
    with pytest.raises(BundleError, match="does not end with a newline"):
        read_bundle(b"")


@pytest.mark.parametrize("first", [b"parledger bundle", b"{", b""])
def test_a_first_line_that_is_not_json_is_refused(first):
    with pytest.raises(BundleError, match="first line is not a JSON header"):
        read_bundle(first + b"\n" + EXAMPLE + b"\n")


@pytest.mark.parametrize(
    "header",
    [
        {"ledger": "parledger.local/demo"},
        {"format": "parledger-bundle/3"},
        {"format": "parledger-results/1"},
        [{"format": BUNDLE_FORMAT}],
        BUNDLE_FORMAT,
    ],
)
def test_a_header_without_the_bundle_format_is_refused(header):
    with pytest.raises(BundleError, match="header says neither format"):
        read_bundle(canonical_bytes(header) + b"\n" + EXAMPLE + b"\n")


# -- reading one leaf ---------------------------------------------------------------------


def test_the_worked_example_reads_as_its_event():
    event, _ = read_leaf(EXAMPLE)
    original = example_event()
    assert event.aggregate_type == "Scorecard"
    assert event.aggregate_id == original["aggregate_id"]
    assert event.version == 2
    assert event.event_type == "SelfScoreRecorded"
    assert event.recorded_at == datetime(2023, 2, 1, 3, 15, tzinfo=UTC)
    assert event.prev_hash == PREVIOUS
    assert event.body == original["body"]
    assert event.command == original["command"]


def test_a_leafs_event_hash_is_the_sha256_of_its_bytes():
    event, _ = read_leaf(EXAMPLE)
    assert event.event_hash == hashlib.sha256(EXAMPLE).hexdigest() == EXAMPLE_HASH


def test_a_leaf_with_ascii_keys_gives_the_signed_bytes_of_its_command():
    _, signed = read_leaf(EXAMPLE)
    assert signed == canonical_bytes(example_event()["command"]["command"])


@pytest.mark.parametrize("data", [b"", b"{", b"\xff\xfe", b"not json", EXAMPLE + b"}"])
def test_a_leaf_that_is_not_json_is_refused(data):
    refused(data, "not JSON")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({k: v for k, v in example_event().items() if k != "command"}, id="seven"),
        pytest.param({**example_event(), "signature": "x"}, id="nine"),
        pytest.param(
            {**{k: v for k, v in example_event().items() if k != "type"}, "event_type": "x"},
            id="one misnamed",
        ),
        pytest.param([example_event()], id="a list"),
        pytest.param("SelfScoreRecorded", id="a string"),
        pytest.param(None, id="null"),
    ],
)
def test_a_leaf_without_exactly_the_eight_members_is_refused(value):
    refused(canonical_bytes(value), "exactly the eight members")


def test_a_leaf_with_an_added_space_is_refused():
    refused(EXAMPLE.replace(b'"version":2', b'"version": 2'), "not in canonical form")


def test_a_leaf_with_its_members_out_of_order_is_refused():
    event = example_event()
    reordered = {key: event[key] for key in reversed(list(event))}
    refused(orjson.dumps(reordered), "not in canonical form")


def test_a_leaf_with_body_keys_out_of_order_is_refused():
    event = example_event()
    event["body"] = dict(reversed(list(event["body"].items())))
    data = orjson.dumps(event)
    assert data != EXAMPLE
    assert orjson.loads(data) == orjson.loads(EXAMPLE)
    refused(data, "not in canonical form")


def test_a_leaf_with_an_escaped_non_ascii_character_is_refused():
    # RFC 8785 writes "á" as its raw UTF-8 bytes, never as \u00e1
    data = EXAMPLE.replace("á".encode(), b"\\u00e1")
    assert data != EXAMPLE
    assert orjson.loads(data) == orjson.loads(EXAMPLE)
    refused(data, "not in canonical form")


def test_a_leaf_with_an_escaped_slash_is_refused():
    data = EXAMPLE.replace(b"12/BC", b"12\\/BC")
    assert data != EXAMPLE
    assert orjson.loads(data) == orjson.loads(EXAMPLE)
    refused(data, "not in canonical form")


@pytest.mark.parametrize(
    "where",
    [
        pytest.param(lambda e: e["body"].update(points=1.5), id="in the body"),
        pytest.param(lambda e: e["body"].update(points=1.0), id="a whole float"),
        pytest.param(lambda e: e["command"]["command"]["args"].update(n=0.1), id="in the args"),
        pytest.param(lambda e: e.update(version=2.0), id="as the version"),
    ],
)
def test_a_leaf_with_a_float_anywhere_is_refused(where):
    event = example_event()
    where(event)
    refused(sorted_dumps(event), "not canonical JSON")


@pytest.mark.parametrize("number", [2**53, -(2**53), 2**63 - 1])
def test_a_leaf_with_an_integer_beyond_the_i_json_range_is_refused(number):
    event = example_event()
    event["body"]["count"] = number
    refused(sorted_dumps(event), "not canonical JSON")


def test_a_leaf_with_the_largest_i_json_integer_is_accepted():
    event = example_event()
    event["body"]["count"] = 2**53 - 1
    facts, _ = read_leaf(canonical_bytes(event))
    assert facts.body["count"] == 2**53 - 1


@pytest.mark.parametrize("version", [0, -1, "2", True, None])
def test_a_leaf_whose_version_is_not_a_positive_integer_is_refused(version):
    refused(leaf(version=version), "version must be a positive integer")


@pytest.mark.parametrize(
    "recorded_at",
    [
        "2023-02-01T03:15:00Z",
        "2023-02-01T03:15:00.000Z",
        "2023-02-01T03:15:00.000000+00:00",
        "2023-02-01T10:15:00.000000+07:00",
        "2023-02-01 03:15:00.000000Z",
        "2023-02-01t03:15:00.000000z",
        "2023-02-30T03:15:00.000000Z",
        "2023-02-01T24:00:00.000000Z",
        "2023-13-01T03:15:00.000000Z",
        "",
        20230201,
        None,
    ],
)
def test_a_leaf_whose_time_is_not_as_the_ledger_writes_it_is_refused(recorded_at):
    refused(leaf(recorded_at=recorded_at), "recorded_at is not a time")


@pytest.mark.parametrize("prev_hash", [None, 0, [PREVIOUS], {"hash": PREVIOUS}])
def test_a_leaf_whose_prev_hash_is_not_a_string_is_refused(prev_hash):
    refused(leaf(prev_hash=prev_hash), "prev_hash is not a string")


@pytest.mark.parametrize(
    "changes",
    [{"body": ["1.5"]}, {"body": "1.5"}, {"command": None}, {"command": []}],
)
def test_a_leaf_whose_body_or_command_is_not_an_object_is_refused(changes):
    refused(leaf(**changes), "body and command must be objects")


@pytest.mark.parametrize("changes", [{"type": 7}, {"aggregate_type": None}])
def test_a_leaf_whose_types_are_not_strings_is_refused(changes):
    refused(leaf(**changes), "must be strings")


# RFC 8785 sorts keys by UTF-16 code units: U+1F600 is the surrogate pair D83D DE00, so it
# comes before U+FF01, which code-point (and UTF-8 byte) order puts after it. "é" (U+00E9)
# comes first in both orders.
NON_ASCII_BODY = {"é": "a", "\U0001f600": "b", "\uff01": "c", "points": "1"}


def test_non_ascii_keys_in_utf16_order_are_accepted():
    event = {**example_event(), "body": NON_ASCII_BODY}
    data = bytes(rfc8785.dumps(event))
    assert data.index("\U0001f600".encode()) < data.index("\uff01".encode())
    facts, _ = read_leaf(data)
    assert facts.body == NON_ASCII_BODY
    assert facts.event_hash == hashlib.sha256(data).hexdigest()


def test_non_ascii_keys_in_code_point_order_are_refused():
    event = {**example_event(), "body": NON_ASCII_BODY}
    data = sorted_dumps(event)
    assert data != rfc8785.dumps(event)
    assert data.index("\uff01".encode()) < data.index("\U0001f600".encode())
    refused(data, "not in canonical form")


def test_a_non_ascii_key_that_sorts_alike_in_both_orders_is_accepted():
    event = {**example_event(), "body": {"é": "1", "\U0001f600": "2", "e": "3"}}
    data = bytes(rfc8785.dumps(event))
    assert data == sorted_dumps(event)
    facts, _ = read_leaf(data)
    assert facts.body == {"e": "3", "é": "1", "\U0001f600": "2"}


# -- the key registry at each leaf --------------------------------------------------------

T0 = datetime(2023, 1, 10, 2, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
T2 = T0 + timedelta(days=2)
ADMIN, SERVER, ALICE = SigningKey.generate(), SigningKey.generate(), SigningKey.generate()
GENESIS = {
    "ledger": "parledger.local/demo",
    "administrator": {
        "public_key": ADMIN.public_key,
        "name": "Quản trị",
        "title": "Chuyên viên",
        "unit": "Sở Nội vụ",
    },
    "server": {"public_key": SERVER.public_key, "name": "Máy chủ"},
}
ENROLMENT = {
    "public_key": ALICE.public_key,
    "name": "Nguyễn Thị A",
    "title": "Cán bộ đầu mối",
    "unit": "Quận Ba Đình",
    "roles": [{"role": "unit_staff", "scope": ["D1"]}],
    "key_id": ALICE.key_id,
}


def timeline(genesis: int = 0, enrolled: int = 3, revoked: int | None = 7) -> KeyTimeline:
    keys = KeyTimeline()
    keys.apply(genesis, "LedgerInitialised", GENESIS, T0)
    keys.apply(enrolled, "KeyEnrolled", ENROLMENT, T1)
    if revoked is not None:
        keys.apply(revoked, "KeyRevoked", {"key_id": ALICE.key_id, "reason": "lost"}, T2)
    return keys


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_a_key_is_unknown_up_to_and_at_its_enrolment(index):
    assert timeline().at(index).get(ALICE.key_id) is None


@pytest.mark.parametrize("index", [4, 5, 7])
def test_a_key_is_active_from_the_leaf_after_its_enrolment(index):
    record = timeline().at(index).get(ALICE.key_id)
    assert record is not None
    assert record.active
    assert record.has_role("unit_staff", "D1")
    assert not record.has_role("unit_staff", "D2")


def test_the_enrolled_record_holds_who_holds_the_key():
    record = timeline().at(4).get(ALICE.key_id)
    assert record is not None
    assert (record.key_id, record.public_key) == (ALICE.key_id, ALICE.public_key)
    assert (record.name, record.title, record.unit) == (
        "Nguyễn Thị A",
        "Cán bộ đầu mối",
        "Quận Ba Đình",
    )
    assert record.roles() == ["unit_staff"]
    assert record.enrolled_at == T1


@pytest.mark.parametrize("index", [8, 9, 1000])
def test_a_key_is_revoked_from_the_leaf_after_its_revocation(index):
    record = timeline().at(index).get(ALICE.key_id)
    assert record is not None
    assert not record.active
    assert (record.revoked_at, record.revocation_reason) == (T2, "lost")
    assert record.enrolled_at == T1


def test_a_revocation_does_not_change_the_past():
    keys = timeline()
    before = keys.at(7).get(ALICE.key_id)
    assert before is not None
    assert before.active
    assert keys.at(4).get(ALICE.key_id) == before


def test_the_administrator_and_server_keys_exist_from_the_leaf_after_genesis():
    keys = timeline()
    assert keys.at(0).get(ADMIN.key_id) is None
    assert keys.at(0).get(SERVER.key_id) is None
    admin, server = keys.at(1).get(ADMIN.key_id), keys.at(1).get(SERVER.key_id)
    assert admin is not None
    assert admin.has_role("administrator")
    assert (admin.name, admin.title, admin.unit) == ("Quản trị", "Chuyên viên", "Sở Nội vụ")
    assert server is not None
    assert server.has_role("system")
    assert (server.name, server.title, server.unit) == ("Máy chủ", "", "")


def test_an_unknown_key_is_none_at_every_leaf():
    keys = timeline()
    assert keys.at(1000).get(SigningKey.generate().key_id) is None


@pytest.mark.parametrize(
    ("index", "ledger"), [(0, ""), (4, ""), (5, ""), (6, "parledger.local/demo")]
)
def test_the_ledger_is_named_only_after_its_genesis_leaf(index, ledger):
    assert timeline(genesis=5, enrolled=6, revoked=None).at(index).ledger == ledger


def test_the_ledger_is_named_from_leaf_1_when_genesis_is_leaf_0():
    keys = timeline()
    assert keys.at(0).ledger == ""
    assert keys.at(1).ledger == "parledger.local/demo"


def test_a_registry_without_genesis_names_no_ledger():
    assert KeyTimeline().at(10).ledger == ""
    assert KeyTimeline().at(10).get(ALICE.key_id) is None


def test_the_history_lists_every_state_of_a_key_with_its_leaf():
    history = timeline().history()[ALICE.key_id]
    assert [index for index, _ in history] == [3, 7]
    assert [record.active for _, record in history] == [True, False]
