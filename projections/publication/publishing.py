"""Publishing a campaign's results: the result table computed from the read models at a
signed checkpoint of the log, and the published tables kept by their hash.

The ledger records ``ResultsPublished`` with the table's SHA-256 and the checkpoint; the
table itself is kept here (a table a rebuild never empties: the tables are what was
published) and served to anyone. Every read checks the stored bytes against their hash."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Recording

from ledger.application.storage import Storage
from ledger.core.canonical import sha256_hex
from ledger.core.clock import Clock
from ledger.core.errors import ConflictError, LedgerError, NotFoundError
from ledger.domain.campaign import PublicationFacts
from ledger.domain.results import table_bytes, table_sha256
from projections.projector import Projector
from projections.read_models.queries import AsOf, ReadModels
from projections.transparency_log.checkpoints import Checkpoints
from projections.transparency_log.merkle_log import MerkleLog

ATTEMPTS = 10


class TableCorrupted(LedgerError):
    code = "table_corrupted"


class PublishedTables:
    """Published result tables, by the SHA-256 of their canonical bytes."""

    def __init__(self, reads: ReadModels) -> None:
        self.views = reads.views

    def keep(self, campaign: str, table: dict[str, Any]) -> str:
        data = table_bytes(table)
        digest = sha256_hex(data)
        self.views.execute(
            "INSERT INTO {pv_published_tables} VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
            (digest, campaign, data.decode("utf-8")),
        )
        return digest

    def raw(self, sha256: str) -> bytes:
        """The stored bytes of a published table, checked against their hash."""
        rows = self.views.rows("SELECT doc FROM {pv_published_tables} WHERE sha256 = ?", (sha256,))
        if not rows:
            raise NotFoundError(f"no published table {sha256} is kept here", field="sha256")
        data = str(rows[0]["doc"]).encode("utf-8")
        if sha256_hex(data) != sha256:
            raise TableCorrupted(
                f"the published table {sha256} kept here is corrupted: its bytes hash to "
                f"{sha256_hex(data)}"
            )
        return data

    def get(self, sha256: str) -> dict[str, Any]:
        table: dict[str, Any] = orjson.loads(self.raw(sha256))
        return table


class Publishing:
    """What the ledger needs to publish (ledger.application.service.PublicationPort): the
    table and the checkpoint it was computed at; and, once a publication is recorded, a
    checkpoint that includes it."""

    def __init__(
        self, storage: Storage, projector: Projector, checkpoints: Checkpoints, clock: Clock
    ) -> None:
        self.storage = storage
        self.projector = projector
        self.checkpoints = checkpoints
        self.clock = clock
        self.reads = ReadModels(projector.views)
        self.log = MerkleLog(projector.views)
        self.tables = PublishedTables(self.reads)

    def facts(self, campaign: str, check: Callable[[str], None]) -> PublicationFacts:
        """The campaign's table as the read models give it at the latest projected event,
        kept, and the signed checkpoint of the log up to that event; ``check`` may refuse
        the table's hash first, and then nothing is kept or signed."""
        for _ in range(ATTEMPTS):
            self.projector.catch_up()
            position = self.projector.views.position()
            index = self.log.leaf_of_position(position)
            size = 0 if index is None else index + 1
            table = self.reads.result_table(campaign, AsOf(position=position))
            if table is None:
                raise NotFoundError(f"campaign {campaign} does not exist", field="campaign")
            if not self._units_changed_after(position):
                break
        else:  # pragma: no cover - units renamed faster than a table can be computed
            raise ConflictError("units changed while the results were computed; send it again")
        check(table_sha256(table))
        digest = self.tables.keep(campaign, table)
        checkpoint = self.checkpoints.sign(self.clock.now(), size)
        return PublicationFacts(
            table_sha256=digest,
            tree_size=size,
            root_hash=str(checkpoint["root"]),
            checkpoint=str(checkpoint["log_note"]),
            units=len(table["units"]),
        )

    def _units_changed_after(self, position: int) -> bool:
        rows = self.projector.views.rows(
            "SELECT position FROM {pv_log} WHERE aggregate_type = 'Unit' AND position > ? LIMIT 1",
            (position,),
        )
        return bool(rows)

    def recorded(self, recordings: Sequence[Recording[UUID]]) -> None:
        """Once a publication is recorded, sign a checkpoint that includes it."""
        if any(type(r.domain_event).__name__ == "ResultsPublished" for r in recordings):
            self.projector.catch_up()
            self.checkpoints.sign(self.clock.now())
