"""Ed25519 keys: key ids, signatures, key files."""

from __future__ import annotations

import base64
import hashlib
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.core.crypto import (
    SigningKey,
    b64decode,
    key_id_of,
    load_public_key,
    verify_signature,
)
from ledger.core.errors import ValidationError

# RFC 8032 section 7.1, TEST 1.
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@pytest.fixture
def rfc_key() -> SigningKey:
    return SigningKey(Ed25519PrivateKey.from_private_bytes(RFC8032_SECRET))


# -- RFC 8032 known answer ----------------------------------------------------------


def test_rfc8032_test1_public_key(rfc_key):
    assert base64.b64decode(rfc_key.public_key) == RFC8032_PUBLIC


def test_rfc8032_test1_signature_of_empty_message(rfc_key):
    assert base64.b64decode(rfc_key.sign(b"")) == RFC8032_SIGNATURE
    assert verify_signature(_b64(RFC8032_PUBLIC), _b64(RFC8032_SIGNATURE), b"")


def test_rfc8032_test1_key_id(rfc_key):
    expected = hashlib.sha256(RFC8032_PUBLIC).digest()[:16].hex()
    assert rfc_key.key_id == expected
    assert key_id_of(_b64(RFC8032_PUBLIC)) == expected


# -- key ids ------------------------------------------------------------------------


def test_key_id_is_32_lowercase_hex_of_sha256_prefix():
    key = SigningKey.generate()
    raw = base64.b64decode(key.public_key)
    assert len(raw) == 32
    assert len(key.key_id) == 32
    assert set(key.key_id) <= set("0123456789abcdef")
    assert key.key_id == hashlib.sha256(raw).hexdigest()[:32]


def test_distinct_keys_have_distinct_ids():
    assert SigningKey.generate().key_id != SigningKey.generate().key_id


def test_key_id_of_refuses_bad_base64():
    with pytest.raises(ValidationError, match="not valid base64"):
        key_id_of("not base64!")


# -- signatures ---------------------------------------------------------------------


def test_sign_verify_round_trip():
    key = SigningKey.generate()
    message = b'{"command":"x"}'
    assert verify_signature(key.public_key, key.sign(message), message)


def test_signature_from_another_key_fails():
    key, other = SigningKey.generate(), SigningKey.generate()
    message = b"message"
    assert not verify_signature(other.public_key, key.sign(message), message)


@pytest.mark.parametrize("bit", [0, 7, 8 * 7 + 3, 8 * 15, 8 * 16 - 1])
def test_flipped_bit_in_message_fails(bit):
    key = SigningKey.generate()
    message = bytes(range(16))
    signature = key.sign(message)
    assert not verify_signature(key.public_key, signature, _flip(message, bit))


def test_every_flipped_bit_in_signature_fails():
    key = SigningKey.generate()
    message = b"the exact bytes a person signs"
    signature = base64.b64decode(key.sign(message))
    for bit in range(len(signature) * 8):
        assert not verify_signature(key.public_key, _b64(_flip(signature, bit)), message), bit


@pytest.mark.parametrize(
    "signature",
    ["", "!!!!", _b64(b"\x00" * 63), _b64(b"\x00" * 64), _b64(RFC8032_SIGNATURE + b"\x00")],
)
def test_malformed_signature_is_invalid_not_an_error(signature):
    assert not verify_signature(_b64(RFC8032_PUBLIC), signature, b"")


@pytest.mark.parametrize("public_key", ["", "%%%", _b64(b"\x01" * 31), _b64(b"\x01" * 33)])
def test_malformed_public_key_is_invalid_not_an_error(public_key):
    assert not verify_signature(public_key, _b64(RFC8032_SIGNATURE), b"")


def test_load_public_key_refuses_wrong_length():
    with pytest.raises(ValidationError, match="32 bytes, got 31") as info:
        load_public_key(_b64(b"\x01" * 31))
    assert info.value.field == "public_key"


def test_b64decode_is_strict():
    with pytest.raises(ValidationError) as info:
        b64decode("YWJj\n", "signature")
    assert info.value.field == "signature"
    assert b64decode("YWJj") == b"abc"


# -- key files ----------------------------------------------------------------------


def test_save_writes_owner_only_pem_and_pub_file(tmp_path):
    key = SigningKey.generate()
    path = tmp_path / "keys" / "alice.pem"
    key.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    pub = tmp_path / "keys" / "alice.pub"
    assert pub.read_text(encoding="ascii") == key.public_key + "\n"


def test_save_then_load_gives_the_same_key(tmp_path):
    key = SigningKey.generate()
    path = tmp_path / "k.pem"
    key.save(path)
    loaded = SigningKey.load(path)
    assert loaded.key_id == key.key_id
    assert loaded.public_key == key.public_key
    message = b"hello"
    assert verify_signature(key.public_key, loaded.sign(message), message)


def test_save_does_not_overwrite_an_existing_key(tmp_path):
    path = tmp_path / "k.pem"
    first = SigningKey.generate()
    first.save(path)
    with pytest.raises(FileExistsError):
        SigningKey.generate().save(path)
    assert SigningKey.load(path).key_id == first.key_id


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_load_refuses_key_readable_by_others(tmp_path, mode):
    path = tmp_path / "k.pem"
    SigningKey.generate().save(path)
    os.chmod(path, mode)
    with pytest.raises(ValidationError, match="chmod 600") as info:
        SigningKey.load(path)
    assert info.value.field == "key"
    assert f"{mode:o}" in str(info.value)
    assert str(path) in str(info.value)


def test_load_missing_file(tmp_path):
    with pytest.raises(ValidationError, match="does not exist"):
        SigningKey.load(tmp_path / "nope.pem")


@pytest.mark.parametrize(
    "content",
    [b"hello", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"],
)
def test_load_refuses_non_pem(tmp_path, content):
    path = tmp_path / "k.pem"
    path.write_bytes(content)
    os.chmod(path, 0o600)
    with pytest.raises(ValidationError, match="not a PEM private key"):
        SigningKey.load(path)


def test_load_refuses_public_key_pem(tmp_path):
    path = tmp_path / "k.pem"
    public = Ed25519PrivateKey.generate().public_key()
    path.write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    os.chmod(path, 0o600)
    with pytest.raises(ValidationError, match="holds a public key, not a private one"):
        SigningKey.load(path)


def test_load_says_a_pub_file_is_a_public_key_not_to_chmod_it(tmp_path):
    key = SigningKey.generate()
    key.save(tmp_path / "alice.key")
    public = tmp_path / "alice.pub"
    assert stat.S_IMODE(public.stat().st_mode) & 0o044  # as saved: readable by others
    with pytest.raises(ValidationError) as info:
        SigningKey.load(public)
    assert str(info.value) == (
        f"key file {public} holds a public key, not a private one: sign with the private "
        "key file (PEM), the one whose name has no .pub"
    )
    assert "chmod" not in str(info.value)
    assert info.value.field == "key"


def test_load_says_an_ssh_public_key_is_a_public_key(tmp_path):
    path = tmp_path / "id_ed25519.pub"
    path.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0 someone@host\n")
    with pytest.raises(ValidationError, match="holds a public key, not a private one"):
        SigningKey.load(path)


@pytest.mark.parametrize("content", [b"", b"\n", b"  \n\n"])
def test_load_says_an_empty_file_is_empty(tmp_path, content):
    path = tmp_path / "k.pem"
    path.write_bytes(content)
    os.chmod(path, 0o644)
    with pytest.raises(ValidationError) as info:
        SigningKey.load(path)
    assert str(info.value) == f"key file {path} is empty"


def test_load_says_a_directory_is_a_directory(tmp_path):
    with pytest.raises(ValidationError) as info:
        SigningKey.load(tmp_path)
    assert str(info.value) == f"key file {tmp_path} is a directory; give the private key file in it"


def test_load_says_a_path_through_a_file_does_not_exist(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValidationError, match="does not exist"):
        SigningKey.load(tmp_path / "file" / "k.pem")


def test_load_refuses_non_ed25519_pem(tmp_path):
    path = tmp_path / "ec.pem"
    ec_key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(
        ec_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.chmod(path, 0o600)
    with pytest.raises(ValidationError, match="does not hold an Ed25519 key") as info:
        SigningKey.load(path)
    assert info.value.field == "key"


def test_load_refuses_encrypted_pem_with_validation_error(tmp_path):
    path = tmp_path / "enc.pem"
    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    os.chmod(path, 0o600)
    with pytest.raises(ValidationError):
        SigningKey.load(path)
