"""C2SP signed notes, tlog checkpoints and tlog cosignatures (ledger.transparency.note).

The Go vectors come from golang.org/x/mod/sumdb/note (note_test.go and the package doc); the
type-0x04 and type-0x01 vkeys with '+' in their key material from
github.com/transparency-dev/formats (note/note_cosigv1_test.go); the checkpoint and cosignature
examples from c2sp.org/tlog-checkpoint and c2sp.org/tlog-cosignature.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.core.crypto import SigningKey
from ledger.core.errors import ValidationError
from ledger.transparency.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.transparency.cosignature import (
    CosignatureVerifier,
    Cosigner,
    add_cosignature,
    cosignature_message,
    verify_cosignature,
)
from ledger.transparency.note import open_note, sign_note
from ledger.transparency.note_keys import (
    EM_DASH,
    MAX_SIGNATURES,
    SIG_TYPE_COSIGNATURE_V1,
    SIG_TYPE_ED25519,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    key_id_for,
    parse_signature_line,
)

# golang.org/x/mod/sumdb/note
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_B64 = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
ENOCH_B64 = (
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ="
)
PETER_SIG = "— PeterNeumann " + PETER_B64 + "\n"
ENOCH_SIG = "— EnochRoot " + ENOCH_B64 + "\n"
SIGNED = TEXT + "\n" + PETER_SIG

# github.com/transparency-dev/formats note/note_cosigv1_test.go
REMORA_COSIG_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
TEST_VKEY_WITH_PLUS = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"

# c2sp.org/tlog-checkpoint and c2sp.org/tlog-cosignature
SOFA_TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SOFA_LOG_SIG = (
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
    "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
SOFA_WITNESS_SIG = (
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2"
    "oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)

B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _key(seed_byte: int) -> SigningKey:
    return SigningKey(Ed25519PrivateKey.from_private_bytes(bytes([seed_byte]) * 32))


def _raw_public(key: SigningKey) -> bytes:
    return base64.b64decode(key.public_key)


def _next_b64(char: str) -> str:
    return B64_ALPHABET[(B64_ALPHABET.index(char) + 1) % 64]


LOG_ORIGIN = "ledger.example/log"
ROOT = hashlib.sha256(b"root").digest()
CHECKPOINT = Checkpoint(LOG_ORIGIN, 42, ROOT)


@pytest.fixture
def log_signer() -> NoteSigner:
    return NoteSigner(LOG_ORIGIN, _key(1))


@pytest.fixture
def cosigner() -> Cosigner:
    return Cosigner("witness.example/w1", _key(2))


# --- keys -----------------------------------------------------------------------------------


def test_go_verifier_key_parses_and_round_trips() -> None:
    verifier = NoteVerifier.from_string(PETER_VKEY)
    assert verifier.name == "PeterNeumann"
    assert verifier.key_id == 0xC74F20A3
    assert len(verifier.public_key) == 32
    assert verifier.key_id == key_id_for("PeterNeumann", SIG_TYPE_ED25519, verifier.public_key)
    assert verifier.to_string() == PETER_VKEY
    assert NoteVerifier("PeterNeumann", verifier.public_key).to_string() == PETER_VKEY


def test_key_id_is_sha256_of_name_newline_type_and_key() -> None:
    public = NoteVerifier.from_string(PETER_VKEY).public_key
    digest = hashlib.sha256(b"PeterNeumann\n\x01" + public).digest()
    assert key_id_for("PeterNeumann", 1, public) == int.from_bytes(digest[:4], "big")


def test_go_signer_key_parses_and_round_trips() -> None:
    signer = NoteSigner.from_string(PETER_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_id == 0xC74F20A3
    assert signer.to_string() == PETER_SKEY
    assert signer.verifier().to_string() == PETER_VKEY


def test_signer_from_signing_key_matches_the_key_string() -> None:
    seed = base64.b64decode(PETER_SKEY.split("+", 4)[4])[1:]
    key = SigningKey(Ed25519PrivateKey.from_private_bytes(seed))
    signer = NoteSigner("PeterNeumann", key)
    assert signer.key_id == 0xC74F20A3
    assert signer.to_string() == PETER_SKEY
    assert signer.sign(TEXT) == PETER_SIG


def test_key_material_containing_plus_is_split_correctly() -> None:
    verifier = NoteVerifier.from_string(TEST_VKEY_WITH_PLUS)
    assert verifier.name == "TEST"
    assert verifier.key_id == 0x7997405C
    assert verifier.to_string() == TEST_VKEY_WITH_PLUS


def test_mangled_verifier_keys_are_refused() -> None:
    accepted = []
    for i in range(len(PETER_VKEY) + 1):
        for j in range(i + 1, len(PETER_VKEY) + 1):
            if (i, j) == (0, len(PETER_VKEY)):
                continue
            try:
                NoteVerifier.from_string(PETER_VKEY[i:j])
            except ValidationError:
                continue
            accepted.append(PETER_VKEY[i:j])
    for i in range(len(PETER_VKEY)):
        mangled = PETER_VKEY[:i] + chr(ord(PETER_VKEY[i]) + 1) + PETER_VKEY[i + 1 :]
        try:
            NoteVerifier.from_string(mangled)
        except ValidationError:
            continue
        accepted.append(mangled)
    assert accepted == []


@pytest.mark.parametrize(
    "vkey",
    [
        # wrong length key, with adjusted key hash (Go)
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        # unknown algorithm, with adjusted key hash (Go)
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        # wrong key id
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        # key id spellings int(..., 16) would accept
        "PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f_20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+ c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        # truncated / missing parts
        "PeterNeumann+c74f20a3+",
        "PeterNeumann+c74f20a3",
        "PeterNeumann",
        "",
        # a cosigner (type 0x04) key is not a note verifier key
        REMORA_COSIG_VKEY,
        # a signer key is not a verifier key
        PETER_SKEY,
    ],
)
def test_bad_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(ValidationError):
        NoteVerifier.from_string(vkey)


def test_uppercase_hex_key_id_is_accepted_like_go() -> None:
    verifier = NoteVerifier.from_string(PETER_VKEY.replace("c74f20a3", "C74F20A3"))
    assert verifier.to_string() == PETER_VKEY


def test_mangled_signer_keys_are_refused() -> None:
    accepted = []
    for i in range(len(PETER_SKEY) + 1):
        for j in range(i + 1, len(PETER_SKEY) + 1):
            if (i, j) == (0, len(PETER_SKEY)):
                continue
            try:
                NoteSigner.from_string(PETER_SKEY[i:j])
            except ValidationError:
                continue
            accepted.append(PETER_SKEY[i:j])
    for i in range(len(PETER_SKEY)):
        mangled = PETER_SKEY[:i] + chr(ord(PETER_SKEY[i]) + 1) + PETER_SKEY[i + 1 :]
        try:
            NoteSigner.from_string(mangled)
        except ValidationError:
            continue
        accepted.append(mangled)
    assert accepted == []


def test_signer_key_with_wrong_type_byte_is_refused() -> None:
    seed = base64.b64decode(PETER_SKEY.split("+", 4)[4])[1:]
    public = NoteVerifier.from_string(PETER_VKEY).public_key
    key_id = key_id_for("PeterNeumann", 4, public)
    material = base64.b64encode(b"\x04" + seed).decode()
    with pytest.raises(ValidationError):
        NoteSigner.from_string(f"PRIVATE+KEY+PeterNeumann+{key_id:08x}+{material}")


@pytest.mark.parametrize(
    "name", ["", "a b", "a+b", "a\tb", "a\u00a0b", "a\u3000b", "a\u2028b", "a\nb", "a\x01b"]
)
def test_invalid_key_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        NoteSigner(name, _key(1))
    with pytest.raises(ValidationError):
        NoteVerifier(name, _raw_public(_key(1)))
    with pytest.raises(ValidationError):
        Cosigner(name, _key(1))


def test_unicode_and_url_key_names_are_accepted() -> None:
    for name in ["example.com/log42", "quasimodo.example/salvatore", "café/ü", "oid/1.3.6.1"]:
        signer = NoteSigner(name, _key(3))
        assert NoteVerifier.from_string(signer.verifier().to_string()).name == name


def test_verifier_checks_signature_and_message() -> None:
    signer = NoteSigner("EnochRoot", _key(4))
    verifier = signer.verifier()
    assert verifier.key_id == signer.key_id
    line = parse_signature_line(signer.sign("hi\n"))
    assert verifier.verify(b"hi\n", line.signature)
    corrupt = bytes([line.signature[0] ^ 1]) + line.signature[1:]
    assert not verifier.verify(b"hi\n", corrupt)
    assert not verifier.verify(b"hj\n", line.signature)
    assert not verifier.verify(b"hi\n", line.signature[:-1])
    assert not verifier.verify(b"hi\n", b"")


def test_public_key_of_wrong_size_is_refused() -> None:
    with pytest.raises(ValidationError):
        NoteVerifier("name", b"\x00" * 31)


# --- signing notes ---------------------------------------------------------------------------


def test_signing_the_go_text_gives_the_go_note() -> None:
    signer = NoteSigner.from_string(PETER_SKEY)
    assert signer.sign(TEXT) == PETER_SIG
    assert sign_note(TEXT, [signer]) == SIGNED


def test_sign_refuses_malformed_text() -> None:
    signer = NoteSigner.from_string(PETER_SKEY)
    for text in ["abc", "", "a\x01\n", "a\rb\n", "\ud800\n"]:
        with pytest.raises(ValidationError):
            signer.sign(text)
        with pytest.raises(ValidationError):
            sign_note(text, [signer])


def test_sign_note_needs_distinct_signers() -> None:
    signer = NoteSigner.from_string(PETER_SKEY)
    with pytest.raises(ValidationError):
        sign_note(TEXT, [])
    with pytest.raises(ValidationError):
        sign_note(TEXT, [signer, NoteSigner.from_string(PETER_SKEY)])


def test_several_signers_sign_in_order() -> None:
    signers = [NoteSigner(f"signer{i}.example", _key(10 + i)) for i in range(3)]
    note = sign_note(TEXT, signers)
    assert note == TEXT + "\n" + "".join(signer.sign(TEXT) for signer in signers)


@pytest.mark.parametrize("text", ["a\n\nb\n", "Note\n\n", "\n", "one line\n", "ünïcödé — ok\n"])
def test_texts_with_blank_lines_round_trip(text: str) -> None:
    signer = NoteSigner("quasimodo.example/salvatore", _key(5))
    note = sign_note(text, [signer])
    opened, lines = open_note(note, [signer.verifier()])
    assert opened == text
    assert lines == [signer.sign(text)]


# --- opening notes ---------------------------------------------------------------------------


def test_opening_the_go_note() -> None:
    text, lines = open_note(SIGNED, [NoteVerifier.from_string(PETER_VKEY)])
    assert text == TEXT
    assert lines == [PETER_SIG]


def test_unknown_signatures_are_ignored() -> None:
    peter = NoteVerifier.from_string(PETER_VKEY)
    enoch = NoteVerifier.from_string(ENOCH_VKEY)
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(note, [peter]) == (TEXT, [PETER_SIG])
    assert open_note(note, [enoch]) == (TEXT, [ENOCH_SIG])
    assert open_note(note, [peter, enoch]) == (TEXT, [PETER_SIG, ENOCH_SIG])
    assert open_note(note, [enoch, peter]) == (TEXT, [PETER_SIG, ENOCH_SIG])


def test_a_note_with_only_unknown_signatures_is_refused() -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    with pytest.raises(ValidationError) as caught:
        open_note(note, [])
    assert caught.value.code == "unverified_note"
    other = NoteSigner("SomeoneElse", _key(6)).verifier()
    with pytest.raises(ValidationError) as caught:
        open_note(note, [other])
    assert caught.value.code == "unverified_note"


def test_same_name_other_key_and_same_id_other_name_are_unknown() -> None:
    peter = NoteVerifier.from_string(PETER_VKEY)
    impostor = NoteSigner("PeterNeumann", _key(7))
    assert impostor.key_id != peter.key_id
    # Same name, different key: ignored, not a failure.
    note = TEXT + "\n" + impostor.sign(TEXT) + PETER_SIG
    assert open_note(note, [peter]) == (TEXT, [PETER_SIG])
    with pytest.raises(ValidationError) as caught:
        open_note(TEXT + "\n" + impostor.sign(TEXT), [peter])
    assert caught.value.code == "unverified_note"
    # Same key id, different name: ignored.
    renamed = PETER_SIG.replace("PeterNeumann", "CarmenSandiego")
    with pytest.raises(ValidationError) as caught:
        open_note(TEXT + "\n" + renamed, [peter])
    assert caught.value.code == "unverified_note"


def test_every_changed_character_of_the_text_is_detected() -> None:
    peter = NoteVerifier.from_string(PETER_VKEY)
    for i, char in enumerate(TEXT):
        changed = "x" if char == "\n" else chr(ord(char) ^ 1)
        note = TEXT[:i] + changed + TEXT[i + 1 :] + "\n" + PETER_SIG
        with pytest.raises(ValidationError):
            open_note(note, [peter])


def test_every_changed_character_of_the_signature_is_detected() -> None:
    peter = NoteVerifier.from_string(PETER_VKEY)
    start = SIGNED.index(PETER_B64)
    for i in range(len(PETER_B64)):
        char = PETER_B64[i]
        changed = "A" if char == "=" else _next_b64(char)
        note = SIGNED[: start + i] + changed + SIGNED[start + i + 1 :]
        with pytest.raises(ValidationError):
            open_note(note, [peter])


def test_non_canonical_base64_is_refused() -> None:
    # 'M' -> 'N' only changes the unused low bits of the last base64 digit: a lenient
    # decoder would give the same bytes, and the signature would still verify.
    assert PETER_B64.endswith("AM=")
    lenient = PETER_B64[:-2] + "N="
    peter = NoteVerifier.from_string(PETER_VKEY)
    assert base64.b64decode(lenient) == base64.b64decode(PETER_B64)
    assert peter.verify(TEXT.encode(), base64.b64decode(lenient)[4:])
    with pytest.raises(ValidationError) as caught:
        open_note(TEXT + "\n— PeterNeumann " + lenient + "\n", [peter])
    assert "canonical" in caught.value.message


def test_a_failing_signature_from_a_known_key_rejects_the_note() -> None:
    peter = NoteVerifier.from_string(PETER_VKEY)
    enoch = NoteVerifier.from_string(ENOCH_VKEY)
    raw = PETER_SIG.encode()
    bad = (raw[:60] + b"ABCD" + raw[60:]).decode()
    with pytest.raises(ValidationError) as caught:
        open_note(TEXT + "\n" + bad, [peter])
    assert caught.value.code == "invalid_signature"
    # Even when another known key signed correctly.
    with pytest.raises(ValidationError) as caught:
        open_note(TEXT + "\n" + ENOCH_SIG + bad, [peter, enoch])
    assert caught.value.code == "invalid_signature"


def test_duplicated_signatures_are_listed_once() -> None:
    peter = NoteVerifier.from_string(PETER_VKEY)
    raw = ENOCH_SIG.encode()
    enoch_abcd = (raw[:60] + b"ABCD" + raw[60:]).decode()
    note = TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + enoch_abcd
    assert open_note(note, [peter]) == (TEXT, [PETER_SIG])


@pytest.mark.parametrize(
    "note",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        "\ud800" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + "— Bad Name " + PETER_B64,
        TEXT + "\n" + "— Bad Name " + PETER_B64 + "\n",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG.replace(EM_DASH, "-"),
        TEXT + "\n" + PETER_SIG.replace(EM_DASH + " ", EM_DASH),
        TEXT + "\n" + "— PeterNeumann\n",
        TEXT + "\n" + "— PeterNeumann \n",
        TEXT + "\n" + "— PeterNeumann  " + PETER_B64 + "\n",
        TEXT + "\n" + "— PeterNeumann " + PETER_B64 + " \n",
        TEXT + "\n" + "— PeterNeumann x08gow==\n",  # key id only, no signature
        TEXT + "\n" + "— PeterNeumann not*base64\n",
        TEXT + "\n" + PETER_SIG + "\n" + PETER_SIG + "\r",
        "",
        "\n\n",
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(ValidationError) as caught:
        open_note(note, [NoteVerifier.from_string(PETER_VKEY)])
    assert caught.value.code == "invalid_input"


def test_signature_count_limit() -> None:
    peter = NoteVerifier.from_string(PETER_VKEY)
    assert MAX_SIGNATURES == 100
    assert open_note(TEXT + "\n" + PETER_SIG * 100, [peter]) == (TEXT, [PETER_SIG])
    for verifiers in ([peter], []):
        with pytest.raises(ValidationError) as caught:
            open_note(TEXT + "\n" + PETER_SIG * 101, verifiers)
        assert caught.value.code == "invalid_input"


def test_sixteen_distinct_signatures_are_accepted() -> None:
    signers = [NoteSigner(f"witness{i}.example", _key(40 + i)) for i in range(16)]
    note = sign_note(TEXT, signers)
    text, lines = open_note(note, [signer.verifier() for signer in signers])
    assert text == TEXT
    assert lines == [signer.sign(TEXT) for signer in signers]


class _FakeVerifier:
    def __init__(self, name: str, key_id: int, public_key: bytes) -> None:
        self.name = name
        self.key_id = key_id
        self.public_key = public_key

    def verify(self, text: bytes, sig: bytes) -> bool:
        return True


def test_ambiguous_verifiers_are_refused() -> None:
    peter = NoteVerifier.from_string(PETER_VKEY)
    twin = _FakeVerifier(peter.name, peter.key_id, b"\x01" * 32)
    with pytest.raises(ValidationError):
        open_note(SIGNED, [peter, twin])
    # The same key twice is not ambiguous.
    assert open_note(SIGNED, [peter, NoteVerifier.from_string(PETER_VKEY)])[1] == [PETER_SIG]


def test_any_object_with_name_key_id_and_verify_is_a_verifier() -> None:
    peter = NoteVerifier.from_string(PETER_VKEY)
    fake = _FakeVerifier(peter.name, peter.key_id, peter.public_key)
    assert open_note(SIGNED, [fake]) == (TEXT, [PETER_SIG])


# --- signature lines -------------------------------------------------------------------------


def test_signature_lines_parse_and_format() -> None:
    signature = parse_signature_line(PETER_SIG)
    assert signature.name == "PeterNeumann"
    assert signature.key_id == 0xC74F20A3
    assert len(signature.signature) == 64
    assert signature.to_line() == PETER_SIG
    assert parse_signature_line(PETER_SIG.removesuffix("\n")) == signature
    assert NoteSignature("n", 0xFFFFFFFF, b"s").to_line() == "— n /////3M=\n"


@pytest.mark.parametrize(
    "line", ["", "\n", PETER_SIG + "\n", PETER_SIG + PETER_SIG, "- PeterNeumann " + PETER_B64]
)
def test_bad_signature_lines_are_refused(line: str) -> None:
    with pytest.raises(ValidationError):
        parse_signature_line(line)


def test_signature_fields_are_checked() -> None:
    with pytest.raises(ValidationError):
        NoteSignature("a b", 1, b"s")
    with pytest.raises(ValidationError):
        NoteSignature("a", 1 << 32, b"s")
    with pytest.raises(ValidationError):
        NoteSignature("a", -1, b"s")
    with pytest.raises(ValidationError):
        NoteSignature("a", 1, b"")


# --- checkpoints -----------------------------------------------------------------------------


def test_checkpoint_text_is_exact() -> None:
    assert CHECKPOINT.to_text() == f"{LOG_ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\n"
    with_ext = Checkpoint(LOG_ORIGIN, 0, ROOT, ("ext one", "ext-two"))
    assert with_ext.to_text() == (
        f"{LOG_ORIGIN}\n0\n{base64.b64encode(ROOT).decode()}\next one\next-two\n"
    )
    assert Checkpoint.from_text(with_ext.to_text()) == with_ext


def test_c2sp_checkpoint_example_parses() -> None:
    checkpoint = Checkpoint.from_text(SOFA_TEXT)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.extensions == ()
    assert checkpoint.to_text() == SOFA_TEXT


def test_c2sp_checkpoint_note_structure_parses() -> None:
    note = SOFA_TEXT + "\n" + SOFA_LOG_SIG + SOFA_WITNESS_SIG
    log = parse_signature_line(SOFA_LOG_SIG)
    assert log.name == "example.com/behind-the-sofa"
    assert len(log.signature) == 64
    witness = parse_signature_line(SOFA_WITNESS_SIG)
    assert witness.name == "witness.example.com/w1"
    assert len(witness.signature) == 8 + 64
    # The timestamp of the spec's example message, "time 1679315147".
    assert int.from_bytes(witness.signature[:8], "big") == 1679315147
    # Syntax is fine; no known key signed it.
    with pytest.raises(ValidationError) as caught:
        open_note(note, [])
    assert caught.value.code == "unverified_note"


@pytest.mark.parametrize("size", [0, 1, 9, 10, (1 << 64) - 1])
def test_tree_sizes_round_trip(size: int) -> None:
    checkpoint = Checkpoint(LOG_ORIGIN, size, ROOT)
    assert checkpoint.to_text().split("\n")[1] == str(size)
    assert Checkpoint.from_text(checkpoint.to_text()) == checkpoint


ROOT_B64 = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        f"{LOG_ORIGIN}\n42\n{ROOT_B64}",  # no final newline
        f"{LOG_ORIGIN}\n42\n",  # no root hash
        f"{LOG_ORIGIN}\n",
        f"\n42\n{ROOT_B64}\n",  # empty origin
        f"ledger example\n42\n{ROOT_B64}\n",  # space in origin
        f"ledger\u00a0example\n42\n{ROOT_B64}\n",
        f"ledger\texample\n42\n{ROOT_B64}\n",
        f"{LOG_ORIGIN}\n042\n{ROOT_B64}\n",  # leading zero
        f"{LOG_ORIGIN}\n00\n{ROOT_B64}\n",
        f"{LOG_ORIGIN}\n-1\n{ROOT_B64}\n",
        f"{LOG_ORIGIN}\n+1\n{ROOT_B64}\n",
        f"{LOG_ORIGIN}\n 1\n{ROOT_B64}\n",
        f"{LOG_ORIGIN}\n1 \n{ROOT_B64}\n",
        f"{LOG_ORIGIN}\n1_000\n{ROOT_B64}\n",
        f"{LOG_ORIGIN}\n1.0\n{ROOT_B64}\n",
        f"{LOG_ORIGIN}\n0x10\n{ROOT_B64}\n",
        f"{LOG_ORIGIN}\n\uff11\n{ROOT_B64}\n",  # fullwidth digit
        f"{LOG_ORIGIN}\n\n{ROOT_B64}\n",
        f"{LOG_ORIGIN}\n{1 << 64}\n{ROOT_B64}\n",  # exceeds uint64
        f"{LOG_ORIGIN}\n{'9' * 5000}\n{ROOT_B64}\n",
        f"{LOG_ORIGIN}\n42\n{base64.b64encode(ROOT[:31]).decode()}\n",  # 31 bytes
        f"{LOG_ORIGIN}\n42\n{base64.b64encode(ROOT + b'x').decode()}\n",  # 33 bytes
        f"{LOG_ORIGIN}\n42\n{ROOT_B64.rstrip('=')}\n",  # missing padding
        f"{LOG_ORIGIN}\n42\n{ROOT_B64[:-2]}J=\n",  # non-canonical
        f"{LOG_ORIGIN}\n42\n{ROOT.hex()}\n",
        f"{LOG_ORIGIN}\n42\n\n",
        f"{LOG_ORIGIN}\n42\n{ROOT_B64}\n\n",  # empty extension line
        f"{LOG_ORIGIN}\n42\n{ROOT_B64}\next\n\nmore\n",
        f"{LOG_ORIGIN}\n42\n{ROOT_B64}\next\x01\n",
        f"{LOG_ORIGIN}\r\n42\n{ROOT_B64}\n",
    ],
)
def test_malformed_checkpoint_texts_are_refused(text: str) -> None:
    assert ROOT_B64[-2] != "J"
    with pytest.raises(ValidationError) as caught:
        Checkpoint.from_text(text)
    assert caught.value.field == "checkpoint"


@pytest.mark.parametrize(
    ("origin", "size", "root_hash", "extensions"),
    [
        ("", 1, ROOT, ()),
        ("a b", 1, ROOT, ()),
        (LOG_ORIGIN, -1, ROOT, ()),
        (LOG_ORIGIN, 1 << 64, ROOT, ()),
        (LOG_ORIGIN, True, ROOT, ()),
        (LOG_ORIGIN, 1, ROOT[:31], ()),
        (LOG_ORIGIN, 1, ROOT, ("",)),
        (LOG_ORIGIN, 1, ROOT, ("a\nb",)),
        (LOG_ORIGIN, 1, ROOT, ("a\x00",)),
    ],
)
def test_checkpoint_fields_are_checked(
    origin: str, size: int, root_hash: bytes, extensions: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError):
        Checkpoint(origin, size, root_hash, extensions)


def test_checkpoint_sign_and_open(log_signer: NoteSigner) -> None:
    note = sign_checkpoint(CHECKPOINT, log_signer)
    assert note == CHECKPOINT.to_text() + "\n" + log_signer.sign(CHECKPOINT.to_text())
    assert open_checkpoint(note, log_signer.verifier()) == CHECKPOINT
    with_ext = Checkpoint(LOG_ORIGIN, 7, ROOT, ("extension",))
    assert open_checkpoint(sign_checkpoint(with_ext, log_signer), log_signer.verifier()) == with_ext


def test_checkpoint_signer_must_be_named_after_the_origin() -> None:
    with pytest.raises(ValidationError):
        sign_checkpoint(CHECKPOINT, NoteSigner("other.example/log", _key(1)))


def test_checkpoint_verifier_must_be_named_after_the_origin() -> None:
    other = NoteSigner("other.example/log", _key(1))
    note = sign_note(CHECKPOINT.to_text(), [other])
    with pytest.raises(ValidationError) as caught:
        open_checkpoint(note, other.verifier())
    assert "origin" in caught.value.message


def test_open_checkpoint_needs_the_log_signature(log_signer: NoteSigner) -> None:
    note = sign_checkpoint(CHECKPOINT, log_signer)
    stranger = NoteSigner(LOG_ORIGIN, _key(9)).verifier()
    with pytest.raises(ValidationError) as caught:
        open_checkpoint(note, stranger)
    assert caught.value.code == "unverified_note"
    tampered = note.replace("\n42\n", "\n43\n")
    with pytest.raises(ValidationError) as caught:
        open_checkpoint(tampered, log_signer.verifier())
    assert caught.value.code == "invalid_signature"


def test_open_checkpoint_refuses_a_signed_non_checkpoint(log_signer: NoteSigner) -> None:
    note = sign_note(f"{LOG_ORIGIN}\nnot a size\n", [log_signer])
    with pytest.raises(ValidationError) as caught:
        open_checkpoint(note, log_signer.verifier())
    assert caught.value.field == "checkpoint"


# --- cosignatures ----------------------------------------------------------------------------


def test_remora_cosigner_key_parses() -> None:
    verifier = CosignatureVerifier.from_string(REMORA_COSIG_VKEY)
    assert verifier.name == "remora.n621.de"
    assert verifier.key_id == 0xDA77ADE7
    assert verifier.key_id == key_id_for(
        verifier.name, SIG_TYPE_COSIGNATURE_V1, verifier.public_key
    )
    assert verifier.to_string() == REMORA_COSIG_VKEY


def test_cosigner_key_id_uses_type_0x04(cosigner: Cosigner) -> None:
    public = _raw_public(_key(2))
    digest = hashlib.sha256(b"witness.example/w1\n\x04" + public).digest()
    assert cosigner.key_id == int.from_bytes(digest[:4], "big")
    assert cosigner.key_id != NoteSigner("witness.example/w1", _key(2)).key_id
    vkey = cosigner.verifier_string()
    material = base64.b64encode(b"\x04" + public).decode()
    assert vkey == f"witness.example/w1+{cosigner.key_id:08x}+{material}"
    assert CosignatureVerifier.from_string(vkey).to_string() == vkey


def test_cosignature_line_layout(cosigner: Cosigner) -> None:
    text = CHECKPOINT.to_text()
    line = cosigner.cosign(text, 1679315147)
    assert line.startswith("— witness.example/w1 ")
    assert line.endswith("\n")
    payload = base64.b64decode(line.split(" ")[2])
    assert len(payload) == 4 + 8 + 64
    assert int.from_bytes(payload[:4], "big") == cosigner.key_id
    assert int.from_bytes(payload[4:12], "big") == 1679315147
    message = b"cosignature/v1\ntime 1679315147\n" + text.encode()
    assert cosignature_message(text, 1679315147) == message
    # An independent check with the raw Ed25519 key.
    Ed25519PrivateKey.from_private_bytes(b"\x02" * 32).public_key().verify(payload[12:], message)


def test_cosignature_round_trip(cosigner: Cosigner) -> None:
    text = Checkpoint(LOG_ORIGIN, 5, ROOT, ("ext",)).to_text()
    vkey = cosigner.verifier_string()
    for timestamp in [0, 1, 1679315147, (1 << 63) - 1]:
        line = cosigner.cosign(text, timestamp)
        assert verify_cosignature(text, line, vkey) == timestamp
        assert verify_cosignature(text, line.removesuffix("\n"), vkey) == timestamp


def test_cosignatures_are_deterministic(cosigner: Cosigner) -> None:
    text = CHECKPOINT.to_text()
    assert cosigner.cosign(text, 100) == cosigner.cosign(text, 100)
    assert cosigner.cosign(text, 100) != cosigner.cosign(text, 101)


@pytest.mark.parametrize("timestamp", [-1, 1 << 63, 1 << 64])
def test_out_of_range_timestamps_are_refused(cosigner: Cosigner, timestamp: int) -> None:
    with pytest.raises(ValidationError):
        cosigner.cosign(CHECKPOINT.to_text(), timestamp)


def test_bool_timestamp_is_refused(cosigner: Cosigner) -> None:
    with pytest.raises(ValidationError):
        cosigner.cosign(CHECKPOINT.to_text(), True)


def test_cosign_refuses_a_non_checkpoint(cosigner: Cosigner) -> None:
    for text in [
        "hello\n",
        CHECKPOINT.to_text() + "\n",
        sign_note(TEXT, [NoteSigner.from_string(PETER_SKEY)]),
    ]:
        with pytest.raises(ValidationError):
            cosigner.cosign(text, 1)


def test_tampered_checkpoints_fail_the_cosignature(cosigner: Cosigner) -> None:
    text = CHECKPOINT.to_text()
    line = cosigner.cosign(text, 1000)
    vkey = cosigner.verifier_string()
    other_root = hashlib.sha256(b"other").digest()
    for tampered in [
        Checkpoint(LOG_ORIGIN, 43, ROOT).to_text(),
        Checkpoint(LOG_ORIGIN, 42, other_root).to_text(),
        Checkpoint("ledger.example/other", 42, ROOT).to_text(),
        Checkpoint(LOG_ORIGIN, 42, ROOT, ("ext",)).to_text(),
    ]:
        with pytest.raises(ValidationError) as caught:
            verify_cosignature(tampered, line, vkey)
        assert caught.value.code == "invalid_signature"


def test_every_changed_character_of_a_cosignature_is_detected(cosigner: Cosigner) -> None:
    text = CHECKPOINT.to_text()
    line = cosigner.cosign(text, 1000)
    vkey = cosigner.verifier_string()
    start = line.rindex(" ") + 1
    for i in range(start, len(line) - 1):
        char = line[i]
        changed = "A" if char == "=" else _next_b64(char)
        with pytest.raises(ValidationError):
            verify_cosignature(text, line[:i] + changed + line[i + 1 :], vkey)


def test_a_changed_timestamp_fails_the_cosignature(cosigner: Cosigner) -> None:
    text = CHECKPOINT.to_text()
    signature = parse_signature_line(cosigner.cosign(text, 1000))
    moved = NoteSignature(
        signature.name,
        signature.key_id,
        (1001).to_bytes(8, "big") + signature.signature[8:],
    )
    with pytest.raises(ValidationError) as caught:
        verify_cosignature(text, moved.to_line(), cosigner.verifier_string())
    assert caught.value.code == "invalid_signature"


def test_timestamp_above_2_63_is_refused(cosigner: Cosigner) -> None:
    text = CHECKPOINT.to_text()
    signature = parse_signature_line(cosigner.cosign(text, 1000))
    huge = NoteSignature(
        signature.name, signature.key_id, (1 << 63).to_bytes(8, "big") + signature.signature[8:]
    )
    with pytest.raises(ValidationError):
        verify_cosignature(text, huge.to_line(), cosigner.verifier_string())
    assert not cosigner.verifier().verify(text.encode(), huge.signature)


def test_wrong_type_byte_is_refused(cosigner: Cosigner) -> None:
    text = CHECKPOINT.to_text()
    line = cosigner.cosign(text, 1000)
    public = cosigner.public_key
    # The cosigner's key written as a type 0x01 note key (with its own, consistent key id).
    as_note_key = NoteVerifier(cosigner.name, public).to_string()
    with pytest.raises(ValidationError):
        verify_cosignature(text, line, as_note_key)
    with pytest.raises(ValidationError):
        CosignatureVerifier.from_string(PETER_VKEY)
    # Type byte 0x04 with a key id computed for type 0x01.
    mixed = (
        f"{cosigner.name}+{key_id_for(cosigner.name, 1, public):08x}+"
        + base64.b64encode(b"\x04" + public).decode()
    )
    with pytest.raises(ValidationError):
        verify_cosignature(text, line, mixed)
    # Type byte 0x01 with the type 0x04 key id.
    mixed = f"{cosigner.name}+{cosigner.key_id:08x}+" + base64.b64encode(b"\x01" + public).decode()
    with pytest.raises(ValidationError):
        verify_cosignature(text, line, mixed)
    # A cosignature is not a type 0x01 signature: the note verifier does not know it.
    signer = NoteSigner(cosigner.name, _key(2))
    with pytest.raises(ValidationError) as caught:
        open_note(text + "\n" + line, [signer.verifier()])
    assert caught.value.code == "unverified_note"


def test_cosignature_by_another_cosigner_is_refused(cosigner: Cosigner) -> None:
    text = CHECKPOINT.to_text()
    other = Cosigner("witness.example/w2", _key(3))
    line = other.cosign(text, 1000)
    with pytest.raises(ValidationError):
        verify_cosignature(text, line, cosigner.verifier_string())
    # Same name, another key.
    twin = Cosigner(cosigner.name, _key(3))
    with pytest.raises(ValidationError):
        verify_cosignature(text, twin.cosign(text, 1000), cosigner.verifier_string())


def test_a_log_signature_is_not_a_cosignature(log_signer: NoteSigner, cosigner: Cosigner) -> None:
    text = CHECKPOINT.to_text()
    same_key_log = NoteSigner(cosigner.name, _key(2))
    with pytest.raises(ValidationError):
        verify_cosignature(text, same_key_log.sign(text), cosigner.verifier_string())
    # Forged with the cosigner's key id but a plain 64-byte signature.
    plain = parse_signature_line(same_key_log.sign(text))
    forged = NoteSignature(cosigner.name, cosigner.key_id, plain.signature)
    with pytest.raises(ValidationError):
        verify_cosignature(text, forged.to_line(), cosigner.verifier_string())


def test_transparency_dev_cosignature_timestamp_vector() -> None:
    payload = (
        "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFi"
        "EBYJXORmnFBOBA=="
    )
    signature = parse_signature_line(f"— witness.example {payload}\n")
    assert len(signature.signature) == 8 + 64
    assert int.from_bytes(signature.signature[:8], "big") == 1727964367


# --- adding cosignatures to checkpoint notes -------------------------------------------------


def test_add_cosignature_appends_and_both_verify(
    log_signer: NoteSigner, cosigner: Cosigner
) -> None:
    note = sign_checkpoint(CHECKPOINT, log_signer)
    line = cosigner.cosign(CHECKPOINT.to_text(), 1000)
    cosigned = add_cosignature(note, line)
    assert cosigned == note + line
    assert open_checkpoint(cosigned, log_signer.verifier()) == CHECKPOINT
    text, lines = open_note(cosigned, [log_signer.verifier(), cosigner.verifier()])
    assert text == CHECKPOINT.to_text()
    assert lines == [log_signer.sign(text), line]
    # The cosigner alone is a known key too.
    assert open_note(cosigned, [cosigner.verifier()])[1] == [line]


def test_add_cosignature_is_idempotent_and_replaces_older_cosignatures(
    log_signer: NoteSigner, cosigner: Cosigner
) -> None:
    note = sign_checkpoint(CHECKPOINT, log_signer)
    text = CHECKPOINT.to_text()
    first = add_cosignature(note, cosigner.cosign(text, 1000))
    assert add_cosignature(first, cosigner.cosign(text, 1000)) == first
    newer = add_cosignature(first, cosigner.cosign(text, 2000))
    assert newer == note + cosigner.cosign(text, 2000)
    other = Cosigner("witness.example/w2", _key(3))
    both = add_cosignature(newer, other.cosign(text, 3000))
    assert both == note + cosigner.cosign(text, 2000) + other.cosign(text, 3000)
    _, lines = open_note(both, [log_signer.verifier(), cosigner.verifier(), other.verifier()])
    assert len(lines) == 3


def test_a_tampered_cosignature_rejects_the_note(
    log_signer: NoteSigner, cosigner: Cosigner
) -> None:
    note = sign_checkpoint(CHECKPOINT, log_signer)
    bad = cosigner.cosign(Checkpoint(LOG_ORIGIN, 41, ROOT).to_text(), 1000)
    cosigned = add_cosignature(note, bad)  # syntax only
    with pytest.raises(ValidationError) as caught:
        open_note(cosigned, [log_signer.verifier(), cosigner.verifier()])
    assert caught.value.code == "invalid_signature"
    # Unknown to a client that only trusts the log.
    assert open_checkpoint(cosigned, log_signer.verifier()) == CHECKPOINT


def test_add_cosignature_refuses_malformed_input(
    log_signer: NoteSigner, cosigner: Cosigner
) -> None:
    note = sign_checkpoint(CHECKPOINT, log_signer)
    line = cosigner.cosign(CHECKPOINT.to_text(), 1000)
    for bad_note in [CHECKPOINT.to_text(), note.removesuffix("\n"), sign_note(TEXT, [log_signer])]:
        with pytest.raises(ValidationError):
            add_cosignature(bad_note, line)
    for bad_line in ["", "— witness", line.replace(EM_DASH, "-"), line + line, "— a b c\n"]:
        with pytest.raises(ValidationError):
            add_cosignature(note, bad_line)


def test_add_cosignature_respects_the_signature_limit(log_signer: NoteSigner) -> None:
    text = CHECKPOINT.to_text()
    note = sign_checkpoint(CHECKPOINT, log_signer)
    for i in range(MAX_SIGNATURES - 1):
        note = add_cosignature(note, Cosigner(f"w{i}.example", _key(1)).cosign(text, 1))
    with pytest.raises(ValidationError):
        add_cosignature(note, Cosigner("last.example", _key(1)).cosign(text, 1))
