"""C2SP tlog-proof (https://c2sp.org/tlog-proof): an offline-verifiable proof that an entry
is in a transparency log, as text: the header line ``c2sp.org/tlog-proof@v1``, an optional
``extra <base64>`` line, ``index <n>``, one base64 line per hash of the RFC 9162 inclusion
proof, an empty line, then the signed checkpoint note (with any cosignatures)."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.core.crypto import b64decode, b64encode
from ledger.core.errors import ValidationError
from ledger.transparency.checkpoint import Checkpoint, open_checkpoint
from ledger.transparency.merkle import leaf_hash, verify_inclusion
from ledger.transparency.note import split_note
from ledger.transparency.note_keys import ROOT_HASH_SIZE, TREE_SIZE, NoteVerifier

HEADER = "c2sp.org/tlog-proof@v1"
MAX_HASHES = 64


def _invalid(message: str) -> ValidationError:
    return ValidationError(f"tlog-proof: {message}", field="proof")


@dataclass(frozen=True)
class TlogProof:
    index: int
    hashes: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None

    def to_text(self) -> str:
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {b64encode(self.extra)}")
        lines.append(f"index {self.index}")
        lines.extend(b64encode(h) for h in self.hashes)
        return "".join(line + "\n" for line in lines) + "\n" + self.checkpoint

    @classmethod
    def from_text(cls, text: str) -> TlogProof:
        head, separator, checkpoint = text.partition("\n\n")
        if not separator:
            raise _invalid("no empty line before the checkpoint")
        lines = head.split("\n")
        if lines[0] != HEADER:
            raise _invalid(f"the first line must be {HEADER}")
        rest = lines[1:]
        extra = None
        if rest and rest[0].startswith("extra "):
            extra = b64decode(rest.pop(0)[len("extra ") :], "proof")
        if not rest or not rest[0].startswith("index "):
            raise _invalid("an index line must follow the header")
        number = rest.pop(0)[len("index ") :]
        if not TREE_SIZE.fullmatch(number):
            raise _invalid("the index must be a decimal without leading zeros")
        if len(rest) > MAX_HASHES:
            raise _invalid(f"more than {MAX_HASHES} hashes")
        hashes = tuple(b64decode(line, "proof") for line in rest)
        if any(len(h) != ROOT_HASH_SIZE for h in hashes):
            raise _invalid("every hash must be 32 bytes")
        split_note(checkpoint)
        return cls(int(number), hashes, checkpoint, extra)

    def verify(self, leaf: bytes, log_key: NoteVerifier) -> Checkpoint:
        """The checkpoint, once its signature and the inclusion of ``leaf`` are checked."""
        checkpoint = open_checkpoint(self.checkpoint, log_key)
        if not verify_inclusion(
            self.index, checkpoint.size, leaf_hash(leaf), self.hashes, checkpoint.root_hash
        ):
            raise ValidationError(
                f"tlog-proof: the entry is not at index {self.index} of the checkpoint's tree",
                code="invalid_proof",
                field="proof",
            )
        return checkpoint
