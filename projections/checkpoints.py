"""Signed checkpoints of the transparency log (C2SP tlog-checkpoint as a signed note).

Checkpoints are statements the log has made; they are kept in a table of their own that
a rebuild of the read models never empties."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from ledger.canonical import format_time
from ledger.note import Checkpoint, NoteSigner, sign_checkpoint
from projections.merkle_log import MerkleLog
from projections.store import ViewStore


class Checkpoints:
    def __init__(self, views: ViewStore, signer: NoteSigner) -> None:
        self.views = views
        self.signer = signer
        self.log = MerkleLog(views)
        self._created = False

    def _table(self) -> str:
        name = self.views.qualify("pv_checkpoints")
        if not self._created:
            self.views.execute(
                f"CREATE TABLE IF NOT EXISTS {name} (size {self.views.integer} "
                "PRIMARY KEY, root TEXT, note TEXT, signed_at TEXT)"
            )
            self._created = True
        return name

    def sign(self, now: datetime) -> dict[str, Any]:
        """A checkpoint of the log as it is projected now (signed once per size)."""
        size = self.log.size()
        existing = self.at_size(size)
        if existing is not None:
            return existing
        root = self.log.root(size)
        note = sign_checkpoint(Checkpoint(self.signer.name, size, root), self.signer)
        row = {
            "size": size,
            "root": base64.b64encode(root).decode(),
            "note": note,
            "signed_at": format_time(now),
        }
        self.views.execute(
            f"INSERT INTO {self._table()} VALUES (?, ?, ?, ?) ON CONFLICT (size) DO NOTHING",
            (size, row["root"], note, row["signed_at"]),
        )
        return self.at_size(size) or row

    def at_size(self, size: int) -> dict[str, Any] | None:
        rows = self.views.rows(f"SELECT * FROM {self._table()} WHERE size = ?", (size,))
        return rows[0] if rows else None

    def latest(self) -> dict[str, Any] | None:
        rows = self.views.rows(f"SELECT * FROM {self._table()} ORDER BY size DESC LIMIT 1")
        return rows[0] if rows else None

    def all(self) -> list[dict[str, Any]]:
        return self.views.rows(f"SELECT * FROM {self._table()} ORDER BY size")
