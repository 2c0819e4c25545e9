"""Writes tests/vectors/transparency.json: what the verify page checks, made by the ledger's
own Python code: RFC 9162 inclusion proofs for every leaf of trees of 1 to 64 leaves (with
altered proofs that must fail), C2SP signed notes (the Go package's example and checkpoints
with tlog-cosignature/v1 lines) with the keys they must or must not verify against, and a
C2SP tlog-proof. Run it again only to add cases (``python -m tests.vectors.transparency_source``);
the tests check every case against the Python verifier and the browser's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.core.crypto import SigningKey, b64encode
from ledger.transparency.checkpoint import Checkpoint, sign_checkpoint
from ledger.transparency.cosignature import Cosigner
from ledger.transparency.merkle import MemoryTree, inclusion_proof, leaf_hash
from ledger.transparency.note_keys import NoteSigner
from ledger.transparency.tlog_proof import TlogProof

HERE = Path(__file__).parent
SIZES = range(1, 65)

# golang.org/x/mod/sumdb/note
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZS"
    "NXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def _key(seed: int) -> SigningKey:
    return SigningKey(Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


def leaf(i: int) -> bytes:
    return f'{{"leaf":{i},"text":"lá thứ {i}"}}'.encode()


def indexes(size: int) -> list[int]:
    """Every leaf of the small trees; the edges and the middle of the larger ones."""
    if size <= 16:
        return list(range(size))
    return sorted({0, 1, 2, size // 3, size // 2, size - 3, size - 2, size - 1})


def inclusion_cases() -> dict[str, Any]:
    """The leaves and tree heads once; each case is a proof that must or must not verify
    (``leaf`` names the leaf the proof is checked for when it is not ``index``)."""
    tree = MemoryTree.of([leaf_hash(leaf(i)) for i in range(max(SIZES))])
    cases: list[dict[str, Any]] = []
    for size in SIZES:
        for index in indexes(size):
            proof = [b64encode(h) for h in inclusion_proof(tree, index, size)]
            case = {"size": size, "index": index, "proof": proof}
            cases.append({**case, "ok": True})
            if index == size - 1 and size > 1:
                # the proof checked for the leaf next door, and one hash altered
                cases.append({**case, "leaf": index - 1, "ok": False})
                altered = [b64encode(bytes(32)), *proof[1:]]
                cases.append({**case, "proof": altered, "ok": False})
    return {
        "leaves": [b64encode(leaf(i)) for i in range(max(SIZES))],
        "roots": {str(size): b64encode(tree.root(size)) for size in SIZES},
        "cases": cases,
    }


def note_cases() -> list[dict[str, Any]]:
    log = NoteSigner("par.example.vn/vectors", _key(1))
    other = NoteSigner("par.example.vn/vectors", _key(9))
    witnesses = [Cosigner("witness.example/w1", _key(2)), Cosigner("witness.example/w2", _key(3))]
    text = Checkpoint("par.example.vn/vectors", 42, leaf_hash(b"root")).to_text()
    signed = sign_checkpoint(Checkpoint.from_text(text), log)
    cosigned = signed + "".join(w.cosign(text, 1_700_000_000 + i) for i, w in enumerate(witnesses))
    log_key = log.verifier().to_string()
    w_keys = [w.verifier_string() for w in witnesses]
    forged = witnesses[1].cosign(text.replace("42", "43"), 1_700_000_001)
    return [
        {"name": "the Go example", "note": GO_NOTE, "key": PETER_VKEY, "ok": True},
        {"name": "the Go example, another key", "note": GO_NOTE, "key": ENOCH_VKEY, "ok": False},
        {
            "name": "the Go example, text changed",
            "key": PETER_VKEY,
            "ok": False,
            "note": GO_NOTE.replace("answer", "Answer"),
        },
        {
            "name": "a checkpoint",
            "note": signed,
            "key": log_key,
            "ok": True,
            "origin": "par.example.vn/vectors",
            "size": 42,
        },
        {
            "name": "a checkpoint signed by another key of the same name",
            "ok": False,
            "note": sign_checkpoint(Checkpoint.from_text(text), other),
            "key": log_key,
        },
        {
            "name": "a checkpoint with two cosignatures",
            "note": cosigned,
            "key": log_key,
            "ok": True,
            "witnesses": w_keys,
            "cosigned": [True, True],
        },
        {
            "name": "a cosignature over another checkpoint",
            "key": log_key,
            "ok": True,
            "note": signed + witnesses[0].cosign(text, 1_700_000_000) + forged,
            "witnesses": w_keys,
            "cosigned": [True, False],
        },
    ]


def key_cases() -> list[dict[str, Any]]:
    """Verifier keys, of note signers (type 1) and witnesses (type 4), and broken ones."""
    plus = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"
    remora = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
    return [
        {"key": PETER_VKEY, "type": 1, "ok": True},
        {"key": plus, "type": 1, "ok": True},
        {"key": remora, "type": 4, "ok": True},
        {"key": remora, "type": 1, "ok": False},
        {"key": PETER_VKEY.replace("c74f20a3", "c74f20a4"), "type": 1, "ok": False},
        {"key": PETER_VKEY.replace("PeterNeumann", "PeterNeuman"), "type": 1, "ok": False},
        {"key": PETER_VKEY[:-1], "type": 1, "ok": False},
        {"key": "PeterNeumann+c74f20a3", "type": 1, "ok": False},
    ]


def tlog_proof_case() -> dict[str, Any]:
    log = NoteSigner("par.example.vn/vectors", _key(1))
    size, index = 13, 6
    tree = MemoryTree.of([leaf_hash(leaf(i)) for i in range(size)])
    checkpoint = sign_checkpoint(Checkpoint("par.example.vn/vectors", size, tree.root()), log)
    proof = TlogProof(index, tuple(inclusion_proof(tree, index, size)), checkpoint, leaf(index))
    return {
        "text": proof.to_text(),
        "key": log.verifier().to_string(),
        "leaf": b64encode(leaf(index)),
        "index": index,
        "size": size,
    }


def main() -> None:
    vectors = {
        "inclusion": inclusion_cases(),
        "keys": key_cases(),
        "notes": note_cases(),
        "tlog_proof": tlog_proof_case(),
    }
    out = HERE / "transparency.json"
    out.write_text(json.dumps(vectors, ensure_ascii=False, indent=None) + "\n", "utf-8")
    print(f"{out}: {len(vectors['inclusion']['cases'])} proofs, {len(vectors['notes'])} notes")


if __name__ == "__main__":
    main()
