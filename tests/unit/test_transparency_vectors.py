"""The verify page's vectors (tests/vectors/transparency.json) on the Python side: RFC 9162
inclusion proofs of trees of 1–64 leaves, C2SP signed notes and cosignatures, and a C2SP
tlog-proof. The browser runs the same file through verify-core.js (test_web_public.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.core.crypto import b64decode
from ledger.core.errors import ValidationError
from ledger.transparency.checkpoint import Checkpoint
from ledger.transparency.cosignature import CosignatureVerifier, verify_cosignature
from ledger.transparency.merkle import leaf_hash, verify_inclusion
from ledger.transparency.note import open_note, split_note
from ledger.transparency.note_keys import NoteVerifier
from ledger.transparency.tlog_proof import TlogProof

VECTORS = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "transparency.json").read_text("utf-8")
)


def test_every_inclusion_case() -> None:
    inclusion = VECTORS["inclusion"]
    sizes = {c["size"] for c in inclusion["cases"]}
    assert sizes == set(range(1, 65))
    assert {c["ok"] for c in inclusion["cases"]} == {True, False}
    for case in inclusion["cases"]:
        leaf = b64decode(inclusion["leaves"][case.get("leaf", case["index"])])
        proof = [b64decode(h) for h in case["proof"]]
        root = b64decode(inclusion["roots"][str(case["size"])])
        found = verify_inclusion(case["index"], case["size"], leaf_hash(leaf), proof, root)
        assert found is case["ok"], case


@pytest.mark.parametrize("case", VECTORS["keys"], ids=[c["key"][:24] for c in VECTORS["keys"]])
def test_every_key(case: dict[str, Any]) -> None:
    kind = NoteVerifier if case["type"] == 1 else CosignatureVerifier
    try:
        kind.from_string(case["key"])
    except ValidationError:
        assert not case["ok"]
    else:
        assert case["ok"]


@pytest.mark.parametrize("case", VECTORS["notes"], ids=[c["name"] for c in VECTORS["notes"]])
def test_every_note(case: dict[str, Any]) -> None:
    try:
        text, _ = open_note(case["note"], [NoteVerifier.from_string(case["key"])])
    except ValidationError:
        assert not case["ok"]
        return
    assert case["ok"]
    if "origin" in case:
        checkpoint = Checkpoint.from_text(text)
        assert (checkpoint.origin, checkpoint.size) == (case["origin"], case["size"])
    if "witnesses" in case:
        _, lines = split_note(case["note"])
        found = []
        for vkey in case["witnesses"]:
            name = vkey.split("+")[0]
            line = next(line for line, s in lines if s.name == name)
            try:
                verify_cosignature(text, line, vkey)
                found.append(True)
            except ValidationError:
                found.append(False)
        assert found == case["cosigned"]


def test_the_tlog_proof() -> None:
    case = VECTORS["tlog_proof"]
    proof = TlogProof.from_text(case["text"])
    assert proof.to_text() == case["text"]
    assert proof.extra == b64decode(case["leaf"])
    checkpoint = proof.verify(proof.extra, NoteVerifier.from_string(case["key"]))
    assert (proof.index, checkpoint.size) == (case["index"], case["size"])
    with pytest.raises(ValidationError):
        proof.verify(proof.extra + b" ", NoteVerifier.from_string(case["key"]))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "c2sp.org/tlog-proof@v2\nindex 1\n\nx\n",
        "c2sp.org/tlog-proof@v1\nindex 01\n\nx\n",
        "c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\no\n1\nAAAA\n\n— o AAAAAAAA\n",
    ],
)
def test_malformed_tlog_proofs_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        TlogProof.from_text(text)
