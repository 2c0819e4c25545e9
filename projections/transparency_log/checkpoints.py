"""Signed checkpoints of the transparency log (C2SP tlog-checkpoint as a signed note), and
the cosignatures witnesses add to them (C2SP tlog-cosignature).

Checkpoints and cosignatures are statements the log and its witnesses have made; they are
kept in tables of their own that a rebuild of the read models never empties."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ledger.application.local_client import load_or_create_key
from ledger.application.settings import Settings
from ledger.core.canonical import format_time
from ledger.core.crypto import SigningKey
from ledger.core.errors import NotFoundError, ValidationError
from ledger.transparency.checkpoint import Checkpoint, sign_checkpoint
from ledger.transparency.cosignature import CosignatureVerifier, add_cosignature, verify_cosignature
from ledger.transparency.note import open_note
from ledger.transparency.note_keys import NoteSigner, parse_signature_line
from projections.store import ViewStore
from projections.transparency_log.merkle_log import MerkleLog


def log_signer(settings: Settings) -> NoteSigner:
    """The log's note signer, named by its origin. Outside development the key file must
    exist already; in development it is made on first use."""
    key = (
        SigningKey.load(settings.log_key_file)
        if settings.environment == "production"
        else load_or_create_key(settings.log_key_file)
    )
    return NoteSigner(settings.log_origin, key)


def witness_verifiers(settings: Settings) -> list[CosignatureVerifier]:
    return [CosignatureVerifier.from_string(vkey) for vkey in settings.witnesses]


class Checkpoints:
    def __init__(
        self,
        views: ViewStore,
        signer: NoteSigner,
        witnesses: Sequence[CosignatureVerifier] = (),
    ) -> None:
        self.views = views
        self.signer = signer
        self.witnesses = list(witnesses)
        self.log = MerkleLog(views)

    def sign(self, now: datetime, size: int | None = None) -> dict[str, Any]:
        """A checkpoint of the first ``size`` leaves (default: the log as projected now),
        signed once per size."""
        size = self.log.size() if size is None else size
        existing = self.at_size(size)
        if existing is not None:
            return existing
        root = self.log.root(size)
        note = sign_checkpoint(Checkpoint(self.signer.name, size, root), self.signer)
        self.views.execute(
            "INSERT INTO {pv_checkpoints} VALUES (?, ?, ?, ?) ON CONFLICT (size) DO NOTHING",
            (size, base64.b64encode(root).decode(), note, format_time(now)),
        )
        found = self.at_size(size)
        assert found is not None
        return found

    def at_size(self, size: int) -> dict[str, Any] | None:
        """The checkpoint of a size, its note carrying every cosignature collected for it."""
        rows = self.views.rows("SELECT * FROM {pv_checkpoints} WHERE size = ?", (size,))
        return self._cosigned(rows[0]) if rows else None

    def latest(self) -> dict[str, Any] | None:
        rows = self.views.rows("SELECT * FROM {pv_checkpoints} ORDER BY size DESC LIMIT 1")
        return self._cosigned(rows[0]) if rows else None

    def latest_cosigned(self, at_least: int) -> dict[str, Any] | None:
        """The latest checkpoint of at least ``at_least`` leaves that a witness cosigned."""
        rows = self.views.rows(
            "SELECT MAX(size) AS size FROM {pv_cosignatures} WHERE size >= ?", (at_least,)
        )
        size = rows[0]["size"]
        return None if size is None else self.at_size(int(size))

    def all(self) -> list[dict[str, Any]]:
        return [
            self._cosigned(row)
            for row in self.views.rows("SELECT * FROM {pv_checkpoints} ORDER BY size")
        ]

    def _cosigned(self, row: dict[str, Any]) -> dict[str, Any]:
        lines = self.views.rows(
            "SELECT line FROM {pv_cosignatures} WHERE size = ? ORDER BY witness", (row["size"],)
        )
        note = str(row["note"])
        for line in lines:
            note = add_cosignature(note, str(line["line"]))
        return {**row, "log_note": row["note"], "note": note, "cosignatures": len(lines)}

    def add_cosignatures(self, note: str, now: datetime) -> dict[str, Any]:
        """Keep the cosignatures a witness added to one of the log's checkpoints.

        ``note`` is the checkpoint note as the log signed it, with the witness's lines
        appended. Lines from keys that are not configured witnesses are ignored; a line from a
        witness that does not verify, or a checkpoint the log never signed, is refused."""
        text, _ = open_note(note, [self.signer.verifier()])
        checkpoint = Checkpoint.from_text(text)
        signed = self.at_size(checkpoint.size)
        if signed is None or not str(signed["note"]).startswith(text + "\n"):
            raise NotFoundError(
                f"the log signed no such checkpoint of {checkpoint.size} leaves",
                code="unknown_checkpoint",
                field="note",
            )
        known = {(w.name, w.key_id): w for w in self.witnesses}
        lines = []
        for line in note[len(text) + 1 :].splitlines(keepends=True):
            signature = parse_signature_line(line)
            witness = known.get((signature.name, signature.key_id))
            if witness is not None:
                verify_cosignature(text, line, witness.to_string())
                lines.append((checkpoint.size, witness.to_string(), line, format_time(now)))
        if not lines:
            raise ValidationError(
                "the note carries no cosignature from a witness this log knows "
                "(PARLEDGER_WITNESSES)",
                code="unknown_witness",
                field="note",
            )
        # every line verified: keep them all, in one transaction
        self.views.execute_many(
            "INSERT INTO {pv_cosignatures} VALUES (?, ?, ?, ?) "
            "ON CONFLICT (size, witness) DO UPDATE SET line = excluded.line, "
            "added_at = excluded.added_at",
            lines,
        )
        found = self.at_size(checkpoint.size)
        assert found is not None
        return found
