"""Signed command envelopes."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ledger.core.canonical import canonical_bytes
from ledger.core.crypto import SigningKey
from ledger.core.envelope import SignedCommand, new_nonce, sign_command
from ledger.core.errors import ValidationError

ISSUED = datetime(2026, 11, 22, 3, 15, tzinfo=UTC)
NONCE = "n0nce-abcdefghijk_0123"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def command(key) -> SignedCommand:
    return sign_command(
        key,
        ledger="hanoi-par",
        type="record_self_score",
        args={"unit": "SNV", "criterion": "1.1", "points": "1.25", "note": "Sở Nội vụ"},
        issued_at=ISSUED,
        nonce=NONCE,
    )


def _envelope(command: SignedCommand) -> dict:
    return copy.deepcopy(command.envelope())


# -- round trip ---------------------------------------------------------------------


def test_sign_command_payload_shape(command, key):
    assert command.payload == {
        "ledger": "hanoi-par",
        "type": "record_self_score",
        "args": {"unit": "SNV", "criterion": "1.1", "points": "1.25", "note": "Sở Nội vụ"},
        "key_id": key.key_id,
        "issued_at": "2026-11-22T03:15:00.000000Z",
        "nonce": NONCE,
    }


def test_issued_at_is_normalised_to_utc(key):
    hanoi = timezone(timedelta(hours=7))
    cmd = sign_command(
        key, ledger="l", type="enrol_key", args={}, issued_at=datetime(2026, 1, 1, 7, tzinfo=hanoi)
    )
    assert cmd.payload["issued_at"] == "2026-01-01T00:00:00.000000Z"
    assert cmd.issued_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_round_trip_through_envelope_verifies(command, key):
    parsed = SignedCommand.from_envelope(_envelope(command))
    assert parsed == command
    assert parsed.signature_valid(key.public_key)
    assert parsed.type == "record_self_score"
    assert parsed.ledger == "hanoi-par"
    assert parsed.key_id == key.key_id
    assert parsed.nonce == NONCE
    assert parsed.args["points"] == "1.25"
    assert parsed.issued_at == ISSUED


def test_signature_is_over_the_canonical_bytes(command, key):
    assert command.signed_bytes() == canonical_bytes(command.payload)
    # key order in the received JSON does not matter
    reordered = dict(reversed(list(command.payload.items())))
    parsed = SignedCommand.from_envelope({"signature": command.signature, "command": reordered})
    assert parsed.signature_valid(key.public_key)


def test_signature_does_not_verify_with_another_key(command):
    assert not command.signature_valid(SigningKey.generate().public_key)


def test_garbage_signature_is_invalid(command, key):
    env = _envelope(command)
    env["signature"] = "not base64!"
    assert not SignedCommand.from_envelope(env).signature_valid(key.public_key)


# -- tampering ----------------------------------------------------------------------

TAMPERED = [
    ("ledger", "other-ledger"),
    ("type", "submit_self_assessment"),
    ("key_id", "0" * 32),
    ("issued_at", "2026-11-22T03:15:00.000001Z"),
    ("nonce", "n0nce-abcdefghijk_0124"),
    ("args", {"unit": "SNV", "criterion": "1.1", "points": "1.26", "note": "Sở Nội vụ"}),
    ("args", {"unit": "SNV", "criterion": "1.1", "points": "1.25", "note": "So Noi vu"}),
    ("args", {"unit": "SNV", "criterion": "1.1", "points": "1.25"}),
    ("args", {"unit": "SNV", "criterion": "1.1", "points": "1.25", "note": "Sở Nội vụ", "x": 1}),
]


@pytest.mark.parametrize(("name", "value"), TAMPERED)
def test_changing_any_field_after_signing_breaks_the_signature(command, key, name, value):
    env = _envelope(command)
    env["command"][name] = value
    parsed = SignedCommand.from_envelope(env)
    assert not parsed.signature_valid(key.public_key)


def test_same_instant_written_differently_breaks_the_signature(command, key):
    # The signature covers the text, not the instant it denotes.
    env = _envelope(command)
    env["command"]["issued_at"] = "2026-11-22T10:15:00.000000+07:00"
    parsed = SignedCommand.from_envelope(env)
    assert parsed.issued_at == command.issued_at
    assert not parsed.signature_valid(key.public_key)


# -- digest and replay key -----------------------------------------------------------


def test_digest_is_stable_and_hex(command):
    again = SignedCommand.from_envelope(_envelope(command))
    assert command.digest() == again.digest()
    assert len(command.digest()) == 64
    assert set(command.digest()) <= set("0123456789abcdef")


def test_digest_ignores_the_signature(command):
    other = SignedCommand(payload=command.payload, signature="AAAA")
    assert other.digest() == command.digest()


def test_digest_differs_for_different_nonces(key):
    def make(nonce):
        return sign_command(
            key, ledger="l", type="enrol_key", args={}, issued_at=ISSUED, nonce=nonce
        )

    assert make("a" * 16).digest() != make("b" * 16).digest()


def test_generated_nonces_are_well_formed_and_distinct(key):
    a = sign_command(key, ledger="l", type="enrol_key", args={}, issued_at=ISSUED)
    b = sign_command(key, ledger="l", type="enrol_key", args={}, issued_at=ISSUED)
    assert a.nonce != b.nonce
    assert a.digest() != b.digest()
    SignedCommand.from_envelope(a.envelope())
    assert len(new_nonce()) == 32


def test_replay_key_is_key_id_and_nonce(command, key):
    assert command.replay_key == f"{key.key_id}:{NONCE}"


# -- envelope shape errors -----------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "envelope",
        {"command": {}},
        {"signature": "x"},
        {"command": {}, "signature": "x", "extra": 1},
    ],
)
def test_envelope_must_have_exactly_command_and_signature(data):
    with pytest.raises(ValidationError) as info:
        SignedCommand.from_envelope(data)
    assert info.value.field == "envelope"


def test_signature_must_be_a_string(command):
    env = _envelope(command)
    env["signature"] = 123
    with pytest.raises(ValidationError) as info:
        SignedCommand.from_envelope(env)
    assert info.value.field == "signature"


def test_command_must_be_an_object(command):
    env = _envelope(command)
    env["command"] = [1, 2]
    with pytest.raises(ValidationError) as info:
        SignedCommand.from_envelope(env)
    assert info.value.field == "command"


@pytest.mark.parametrize("name", ["ledger", "type", "args", "key_id", "issued_at", "nonce"])
def test_missing_field_is_named(command, name):
    env = _envelope(command)
    del env["command"][name]
    with pytest.raises(ValidationError, match=f"missing {name}") as info:
        SignedCommand.from_envelope(env)
    assert info.value.field == "command"


def test_extra_field_is_named(command):
    env = _envelope(command)
    env["command"]["signature"] = "x"
    with pytest.raises(ValidationError, match="unexpected signature") as info:
        SignedCommand.from_envelope(env)
    assert info.value.field == "command"


def test_missing_and_extra_reported_together(command):
    env = _envelope(command)
    del env["command"]["nonce"]
    env["command"]["salt"] = "x"
    with pytest.raises(ValidationError, match="missing nonce; unexpected salt"):
        SignedCommand.from_envelope(env)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("nonce", "short"),
        ("nonce", "a" * 65),
        ("nonce", "has space in it!!"),
        ("nonce", "ünïcödé-nonce-0123"),
        ("nonce", 1234567890123456),
        ("key_id", "0" * 31),
        ("key_id", "0" * 33),
        ("key_id", "A" * 32),
        ("key_id", "g" * 32),
        ("key_id", None),
        ("type", "Record"),
        ("type", "x"),
        ("type", "record-self-score"),
        ("type", ""),
    ],
)
def test_malformed_identifiers_are_refused(command, name, value):
    env = _envelope(command)
    env["command"][name] = value
    with pytest.raises(ValidationError, match="not well formed") as info:
        SignedCommand.from_envelope(env)
    assert info.value.field == f"command.{name}"


@pytest.mark.parametrize("value", [[], "args", None, 1])
def test_args_must_be_an_object(command, value):
    env = _envelope(command)
    env["command"]["args"] = value
    with pytest.raises(ValidationError) as info:
        SignedCommand.from_envelope(env)
    assert info.value.field == "command.args"


def test_float_inside_args_is_refused_with_its_path(command):
    env = _envelope(command)
    env["command"]["args"]["points"] = 1.25
    with pytest.raises(ValidationError, match="decimals as strings") as info:
        SignedCommand.from_envelope(env)
    assert info.value.field == "command.args.points"


def test_float_deep_inside_args_is_refused_with_its_path(command):
    env = _envelope(command)
    env["command"]["args"]["scores"] = [{"points": "1"}, {"points": 0.5}]
    with pytest.raises(ValidationError) as info:
        SignedCommand.from_envelope(env)
    assert info.value.field == "command.args.scores[1].points"


@pytest.mark.parametrize("value", ["", 7, None])
def test_ledger_must_be_a_non_empty_string(command, value):
    env = _envelope(command)
    env["command"]["ledger"] = value
    with pytest.raises(ValidationError) as info:
        SignedCommand.from_envelope(env)
    assert info.value.field == "command.ledger"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-11-22T03:15:00", "no time zone offset"),
        ("2026-11-22T03:15:00.000000", "no time zone offset"),
        ("last tuesday", "not an RFC 3339 timestamp"),
        (1763781300, "must be a string"),
    ],
)
def test_issued_at_must_be_a_timestamp_with_offset(command, value, message):
    env = _envelope(command)
    env["command"]["issued_at"] = value
    with pytest.raises(ValidationError, match=message) as info:
        SignedCommand.from_envelope(env)
    assert info.value.field == "command.issued_at"


@pytest.mark.parametrize("name", ["nonce", "key_id", "type"])
def test_trailing_newline_in_identifier_is_refused(command, name):
    env = _envelope(command)
    env["command"][name] = env["command"][name] + "\n"
    with pytest.raises(ValidationError):
        SignedCommand.from_envelope(env)
