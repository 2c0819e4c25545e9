"""Checks of a ledger's store beyond its events: that the log as stored now still gives
every checkpoint the log signed (nothing changed, removed, reordered or cut off since),
that every published table is kept unchanged and is what the events give, and that every
attached evidence file still hashes to its recorded hash."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ledger.application.evidence import EvidenceStore
from ledger.audit.bundle_verifier import verify_leaves
from ledger.core.errors import LedgerError
from ledger.transparency.checkpoint import open_checkpoint
from ledger.transparency.merkle import MemoryTree, leaf_hash
from ledger.transparency.note_keys import NoteVerifier
from projections.publication.bundling import leaves_from_store
from projections.publication.publishing import Publishing


@dataclass
class LogAudit:
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # the tree of the stored events, rebuilt from them (not from the read models)
    tree: MemoryTree = field(default_factory=lambda: MemoryTree.of([]))


def audit_log(publishing: Publishing, log_key: NoteVerifier, evidence: EvidenceStore) -> LogAudit:
    audit = LogAudit()
    publishing.projector.catch_up()
    stored = publishing.storage.recorder.max_notification_id() or 0

    def unreadable(position: int, error: Exception) -> None:
        audit.problems.append(
            f"the stored event at log position {position} cannot be put in canonical form "
            f"({type(error).__name__}: {error})"
        )

    leaves = list(leaves_from_store(publishing, stored, unreadable=unreadable))
    tree = audit.tree = MemoryTree.of([leaf_hash(data) for data in leaves])
    _checkpoints(publishing, log_key, tree, audit)
    _events(log_key, leaves, audit)
    _kept_tables(publishing, audit)
    _evidence(publishing, evidence, audit)
    return audit


def _checkpoints(
    publishing: Publishing, log_key: NoteVerifier, tree: MemoryTree, audit: LogAudit
) -> None:
    checkpoints = publishing.checkpoints.all()
    bad = 0
    for row in checkpoints:
        size = int(row["size"])
        where = f"the checkpoint of {size} leaves signed at {row['signed_at']}"
        try:
            checkpoint = open_checkpoint(str(row["log_note"]), log_key)
        except LedgerError as error:
            audit.problems.append(
                f"{where} is not signed by the log key {log_key.to_string()}: {error} (forged)"
            )
            bad += 1
            continue
        if checkpoint.size != size:
            audit.problems.append(f"{where} is stored as a checkpoint of {checkpoint.size}")
            bad += 1
        elif size > tree.size:
            audit.problems.append(
                f"the log holds {tree.size} events, but {where}: events were removed from its end"
            )
            bad += 1
        elif tree.root(size) != checkpoint.root_hash:
            audit.problems.append(
                f"the first {size} events stored now do not give the root of {where}: an event "
                "was changed, removed, added or moved since"
            )
            bad += 1
    if checkpoints and not bad:
        audit.checked.append(
            f"{len(checkpoints)} checkpoints signed by {log_key.name}+{log_key.key_id:08x} "
            f"are prefixes of the stored log ({tree.size} events)"
        )


def _events(log_key: NoteVerifier, leaves: list[bytes], audit: LogAudit) -> None:
    """Every stored event checked as a bundle's are, in every campaign: bodies exactly their
    signed arguments and derived members, and every publication's table what the events up
    to its checkpoint give (ledger.audit.bundle_verifier)."""
    report = verify_leaves(leaves, log_key.to_string())
    audit.problems += report.problems
    audit.checked += report.checked


def _kept_tables(publishing: Publishing, audit: LogAudit) -> None:
    """Every published table is kept, unchanged: its bytes hash to the recorded hash."""
    for doc in publishing.reads.campaigns():
        for publication in publishing.reads.publications(doc["code"]):
            where = f"publication {publication['sequence']} of {doc['code']}"
            try:
                publishing.tables.raw(publication["table_sha256"])
            except LedgerError as error:
                audit.problems.append(f"{where}: {error}")
            else:
                audit.checked.append(f"{where}: its table is kept unchanged")


def _evidence(publishing: Publishing, evidence: EvidenceStore, audit: LogAudit) -> None:
    attached: dict[tuple[str, str, str, str], dict[str, str]] = {}
    for row in publishing.reads.views.rows(
        "SELECT campaign, unit, event_type, body FROM {pv_card_events} "
        "WHERE event_type IN ('EvidenceAttached', 'EvidenceRemoved') ORDER BY position"
    ):
        body = json.loads(row["body"])
        key = (row["campaign"], row["unit"], body["criterion"], body["sha256"])
        if row["event_type"] == "EvidenceAttached":
            attached[key] = body
        else:
            attached.pop(key, None)
    bad = 0
    for (campaign, unit, criterion, sha256), body in sorted(attached.items()):
        where = f"evidence {body['file_name']!r} of {campaign}, unit {unit}, criterion {criterion}"
        if not evidence.has(sha256):
            audit.problems.append(f"{where}: the file {sha256} is missing from the store")
            bad += 1
            continue
        try:
            evidence.check(sha256)
        except LedgerError as error:
            audit.problems.append(f"{where}: {error} (swapped or corrupted)")
            bad += 1
    if attached and not bad:
        audit.checked.append(f"{len(attached)} attached evidence files match their hashes")
