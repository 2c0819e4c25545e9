"""What a restored ledger must prove (ADR 11): it holds every event of the backup, every
stored event verifies (``parledger verify``'s checks), the restored log gives every
checkpoint the log had signed, and it holds the newer checkpoint that witnesses cosigned,
or the report says exactly how many leaves recorded after the backup are missing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledger.application.service import Ledger, stored_events
from ledger.audit.event_checks import verify_events
from ledger.core.errors import LedgerError
from ledger.transparency.checkpoint import open_checkpoint
from ledger.transparency.note_keys import NoteVerifier
from projections.backup import Manifest
from projections.publication.log_audit import audit_log
from projections.publication.publishing import Publishing

SHOWN = 20


@dataclass
class RestoreReport:
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_restored(
    ledger: Ledger,
    publishing: Publishing,
    manifest: Manifest,
    log_key: NoteVerifier,
    newer_checkpoint: str | None = None,
) -> RestoreReport:
    report = RestoreReport()
    try:
        position = ledger.recorder.max_notification_id() or 0
        if position != manifest.position:
            report.problems.append(
                f"the restored log ends at position {position}, the backup's at {manifest.position}"
            )
        events = verify_events(stored_events(ledger))
        if events.events != manifest.events:
            report.problems.append(
                f"{events.events} events were restored, the backup holds {manifest.events}"
            )
        report.problems += [str(p) for p in events.problems[:SHOWN]]
        if events.ok:
            report.checked.append(
                f"{events.events} events in {events.aggregates} aggregates verified (canonical "
                "hashes, hash chains, signatures, signers' keys and scopes)"
            )
        audit = audit_log(publishing, log_key, ledger.evidence)
        report.checked += audit.checked
        report.problems += audit.problems
        _latest_of_backup(publishing.checkpoints.at_size, manifest, report)
        if newer_checkpoint is not None:
            _newer(newer_checkpoint, log_key, audit.tree.size, audit.tree.root, report)
    finally:
        ledger.close()
    return report


def _latest_of_backup(
    at_size: Callable[[int], dict[str, Any] | None], manifest: Manifest, report: RestoreReport
) -> None:
    latest = manifest.checkpoint
    if latest is None:
        report.checked.append("the backup held no signed checkpoint yet")
        return
    found = at_size(int(latest["size"]))
    if found is None or found["log_note"] != latest["note"]:
        report.problems.append(
            f"the latest checkpoint the backup names ({latest['size']} leaves) is not among "
            "the restored checkpoints"
        )
    else:
        report.checked.append(
            f"the backup's latest checkpoint ({latest['size']} leaves, signed "
            f"{latest['signed_at']}) is restored"
        )


def _newer(
    note: str,
    log_key: NoteVerifier,
    leaves: int,
    root: Callable[[int], bytes],
    report: RestoreReport,
) -> None:
    try:
        checkpoint = open_checkpoint(note, log_key)
    except LedgerError as error:
        report.problems.append(
            f"the given checkpoint is not one the log key {log_key.to_string()} signed: {error}"
        )
        return
    if checkpoint.size > leaves:
        missing = checkpoint.size - leaves
        report.problems.append(
            f"the given checkpoint has {checkpoint.size} leaves and the restored log {leaves}: "
            f"{missing} leaves (log indexes {leaves} to {checkpoint.size - 1}) were recorded "
            "after this backup and are missing from it"
        )
    elif root(checkpoint.size) != checkpoint.root_hash:
        report.problems.append(
            f"the first {checkpoint.size} restored leaves do not give the root hash of the "
            "given checkpoint: the backup is of another log, or was changed"
        )
    else:
        report.checked.append(
            f"the given checkpoint of {checkpoint.size} leaves is consistent with the restored "
            f"log of {leaves} leaves (its root hash is that of the first {checkpoint.size})"
        )
