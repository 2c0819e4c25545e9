"""Publishing a campaign's results: the result table computed from the read models at a
signed checkpoint of the log, and the published tables kept by their hash.

The ledger records ``ResultsPublished`` with the table's SHA-256 and the checkpoint; the
table itself is kept here (a table a rebuild never empties: the tables are what was
published) and served to anyone. Every read checks the stored bytes against their hash."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import orjson

from ledger.application.service import Ledger
from ledger.application.settings import Settings
from ledger.core.canonical import sha256_hex
from ledger.core.errors import ConflictError, LedgerError, NotFoundError
from ledger.domain.campaign import PublicationFacts
from ledger.domain.results import table_bytes, table_sha256
from projections.projector import Projector, attach
from projections.read_models.queries import AsOf, ReadModels
from projections.transparency_log.checkpoints import Checkpoints, log_signer, witness_verifiers
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
    """What the ledger needs to publish: the table and the checkpoint it was computed at."""

    def __init__(self, ledger: Ledger, projector: Projector, checkpoints: Checkpoints) -> None:
        self.ledger = ledger
        self.projector = projector
        self.checkpoints = checkpoints
        self.reads = ReadModels(projector.views, owner=ledger)
        self.log = MerkleLog(projector.views)
        self.tables = PublishedTables(self.reads)
        # set in the thread whose command is being published, for its after_save
        self._pending = threading.local()

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
        checkpoint = self.checkpoints.sign(self.ledger.clock.now(), size)
        self._pending.publication = True
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

    def after_save(self) -> None:
        """Once a publication is recorded, sign a checkpoint that includes it."""
        if getattr(self._pending, "publication", False):
            self._pending.publication = False
            self.projector.catch_up()
            self.checkpoints.sign(self.ledger.clock.now())


def attach_publishing(
    ledger: Ledger, projector: Projector | None = None, settings: Settings | None = None
) -> Publishing:
    """Let ``ledger`` publish: the read models (caught up after every command unless a
    projector is given), the log's checkpoints and the published tables."""
    settings = settings or ledger.settings
    projector = projector or attach(ledger)
    checkpoints = Checkpoints(projector.views, log_signer(settings), witness_verifiers(settings))
    publishing = Publishing(ledger, projector, checkpoints)
    ledger.publication_facts = publishing.facts
    ledger.after_save.append(publishing.after_save)
    return publishing
