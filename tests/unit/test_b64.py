"""Base64 has one spelling per byte string: every other text that a lenient decoder would
read as the same bytes is refused, by the decoder and by everything that reads signatures,
keys and tokens through it."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.http.tokens import TokenIssuer
from ledger.core.b64 import NON_CANONICAL, b64decode, b64encode, b64url_decode, b64url_encode
from ledger.core.crypto import SigningKey, key_id_of, verify_signature
from ledger.core.envelope import SignedCommand, sign_command
from ledger.core.errors import AuthorizationError, ValidationError
from ledger.domain.keyring import Keyring
from tests.world import START

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def with_stray_bits(text: str) -> str:
    """The same bytes with the unused low bits of the last character set (``…AA==`` is
    written ``…AP==``): what a lenient decoder reads as the same value."""
    body = text.rstrip("=")
    unused = {1: 2, 2: 4}[len(text) - len(body)]
    last = ALPHABET.index(body[-1]) | ((1 << unused) - 1)
    return body[:-1] + ALPHABET[last] + text[len(body) :]


def other_spellings(text: str) -> list[str]:
    """Texts a lenient decoder reads as ``text``'s bytes."""
    spellings = [
        with_stray_bits(text),
        text.rstrip("="),  # padding left out
        text + "\n",
        text[:4] + "\n" + text[4:],
        " " + text,
    ]
    return [s for s in spellings if s != text]


@given(st.binary(max_size=100))
def test_canonical_text_round_trips(data: bytes) -> None:
    assert b64decode(b64encode(data)) == data
    assert b64url_decode(b64url_encode(data)) == data


@given(st.binary(min_size=1, max_size=100).filter(lambda d: len(d) % 3))
def test_stray_bits_are_refused_though_a_lenient_decoder_reads_the_same_bytes(
    data: bytes,
) -> None:
    text = with_stray_bits(b64encode(data))
    assert base64.b64decode(text) == data
    with pytest.raises(ValidationError) as info:
        b64decode(text, "signature")
    assert info.value.code == NON_CANONICAL
    assert info.value.field == "signature"


@pytest.mark.parametrize("text", other_spellings(b64encode(b"\x01" * 64)))
def test_every_other_spelling_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="signature: not"):
        b64decode(text, "signature")


def test_base64url_without_padding_has_one_spelling() -> None:
    text = b64url_encode(b"\xff\xfe")  # "__4": its last character has two unused bits
    assert text == "__4"
    for other in ("__7", "__4=", "//4", "__4\n"):
        with pytest.raises(ValidationError):
            b64url_decode(other, "token")


def test_a_signature_spelled_otherwise_does_not_verify() -> None:
    key = SigningKey.generate()
    signature = key.sign(b"message")
    assert verify_signature(key.public_key, signature, b"message")
    for other in other_spellings(signature):
        assert not verify_signature(key.public_key, other, b"message"), other
    assert not verify_signature(with_stray_bits(key.public_key), signature, b"message")


def test_a_public_key_spelled_otherwise_has_no_key_id() -> None:
    key = SigningKey.generate()
    with pytest.raises(ValidationError) as info:
        key_id_of(with_stray_bits(key.public_key), "command.args.public_key")
    assert info.value.code == NON_CANONICAL
    assert info.value.field == "command.args.public_key"


def test_an_envelope_whose_signature_is_spelled_otherwise_is_refused_as_such() -> None:
    command = sign_command(
        SigningKey.generate(), ledger="l", type="record_self_score", args={}, issued_at=START
    )
    envelope = {**command.envelope(), "signature": with_stray_bits(command.signature)}
    with pytest.raises(ValidationError) as info:
        SignedCommand.from_envelope(envelope)
    assert info.value.code == NON_CANONICAL
    assert info.value.field == "signature"
    # text that is no Base64 at all is left to the signature check (a bad signature)
    SignedCommand.from_envelope({**command.envelope(), "signature": "not base64!"})


def test_a_challenge_spelled_otherwise_is_refused() -> None:
    issuer = TokenIssuer(SigningKey.generate(), "l", timedelta(hours=1))
    challenge = issuer.challenge("0" * 32, START)["challenge"]
    data, signature = challenge.split(".")
    url = ALPHABET[:-2] + "-_"
    stray = signature[:-1] + url[url.index(signature[-1]) | 0b1111]  # 64 bytes: 4 unused bits
    assert base64.urlsafe_b64decode(stray + "==") == base64.urlsafe_b64decode(signature + "==")
    for forged in (f"{data}.{stray}", f"{data}.{signature}==", f"{data}.{signature}\n"):
        with pytest.raises(AuthorizationError, match="not well formed") as info:
            issuer.token(Keyring(), "0" * 32, forged, "x", START)
        assert info.value.code == "challenge_invalid"
