"""Tampering with a published ledger's store, on the real SQLite and PostgreSQL databases,
as someone with database access would: ``parledger verify``'s checks (every event, then
the log against its signed checkpoints, the published tables and the evidence files) find
and name each change, including those the events alone cannot show (a log cut short)."""

from __future__ import annotations

import copy
import os
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from ledger.application.service import stored_events
from ledger.audit.event_checks import verify_events
from ledger.core.crypto import SigningKey
from ledger.core.errors import DomainError
from ledger.core.ids import KEY_REGISTRY_ID, campaign_id, scorecard_id
from ledger.transparency.checkpoint import Checkpoint, sign_checkpoint
from ledger.transparency.note_keys import NoteSigner, NoteVerifier
from projections.publication.bundling import build_bundle
from projections.publication.log_audit import audit_log
from projections.publication.publishing import Publishing
from tests.integration.test_tamper import rows_of
from tests.world import PDF, World, reviewed, run_and_publish

CAMPAIGN = "C2023"


class Store:
    def __init__(self, world: World) -> None:
        self.world = world
        self.publishing: Publishing = world.publishing
        self.evidence = run_and_publish(world)
        self.rows = rows_of(world)
        self.log_key: NoteVerifier = self.publishing.checkpoints.signer.verifier()

    def problems(self, log_key: NoteVerifier | None = None) -> list[str]:
        """What ``parledger verify`` reports: the events' problems, then the log's."""
        events = verify_events(stored_events(self.world.ledger))
        audit = audit_log(self.publishing, log_key or self.log_key, self.world.ledger.evidence)
        return [str(p) for p in events.problems] + audit.problems

    def edit(self, aggregate_id: object, version: int, change: object) -> None:
        state = orjson.loads(self.rows.read(aggregate_id, version))  # type: ignore[arg-type]
        change(state)  # type: ignore[operator]
        self.rows.write(aggregate_id, version, orjson.dumps(state))  # type: ignore[arg-type]


@pytest.fixture
def store(world: World) -> Store:
    built = Store(world)
    assert built.problems() == []
    return built


def found(problems: list[str], *phrases: str) -> str:
    assert problems, "the tampering was not found"
    text = "\n".join(problems)
    for phrase in phrases:
        assert phrase in text, text
    return text


def test_a_clean_published_store_verifies(store: Store) -> None:
    audit = audit_log(store.publishing, store.log_key, store.world.ledger.evidence)
    assert audit.problems == []
    assert any("checkpoints signed by" in line for line in audit.checked)
    assert any("publication 1 of C2023: its table is what the events" in c for c in audit.checked)
    assert any("publication 1 of C2023: its table is kept" in line for line in audit.checked)
    assert any("1 attached evidence files" in line for line in audit.checked)


def test_a_changed_event_is_named(store: Store) -> None:
    card = scorecard_id(CAMPAIGN, "D1")

    def change(state: dict[str, object]) -> None:
        body = state["body"]
        assert isinstance(body, dict)
        body["points"] = "1"

    store.edit(card, 2, change)
    found(
        store.problems(),
        f"{card} version 2 (SelfScoreRecorded): its content does not match its recorded hash",
        "do not give the root of the checkpoint",
    )


def test_a_deleted_event_is_named(store: Store) -> None:
    card = scorecard_id(CAMPAIGN, "D1")
    store.rows.delete(card, 2)
    found(store.problems(), f"{card} version 3", "events are missing or out of order")


def test_a_log_cut_short_is_found_by_its_checkpoint(store: Store) -> None:
    # the last event, the publication itself: the events left are a valid history
    store.rows.delete(campaign_id(CAMPAIGN), 3)
    assert verify_events(stored_events(store.world.ledger)).ok
    found(store.problems(), "events were removed from its end")
    with pytest.raises(DomainError) as refused:
        build_bundle(store.world.publishing, CAMPAIGN)
    assert refused.value.code == "log_truncated"


def test_reordered_events_are_named(store: Store) -> None:
    card = scorecard_id(CAMPAIGN, "D1")
    second, third = store.rows.read(card, 2), store.rows.read(card, 3)
    store.rows.write(card, 2, third)
    store.rows.write(card, 3, second)
    found(store.problems(), f"{card} version 2", "does not match its recorded hash")


def test_a_replaced_key_is_named(store: Store) -> None:
    intruder = SigningKey.generate()

    def change(state: dict[str, object]) -> None:
        body = state["body"]
        assert isinstance(body, dict)
        body["public_key"] = intruder.public_key

    store.edit(KEY_REGISTRY_ID, 2, change)  # the first enrolment after genesis
    found(store.problems(), f"{KEY_REGISTRY_ID} version 2 (KeyEnrolled)")


def test_another_log_key_is_refused(store: Store) -> None:
    other = NoteSigner(store.log_key.name, SigningKey.generate()).verifier()
    found(store.problems(other), "is not signed by the log key", "(forged)")


def test_a_forged_checkpoint_is_named(store: Store) -> None:
    views = store.publishing.projector.views
    latest = store.publishing.checkpoints.latest()
    assert latest is not None
    checkpoint = Checkpoint.from_text(str(latest["log_note"]).split("\n\n")[0] + "\n")
    forged = sign_checkpoint(checkpoint, NoteSigner(checkpoint.origin, SigningKey.generate()))
    views.execute("UPDATE {pv_checkpoints} SET note = ? WHERE size = ?", (forged, latest["size"]))
    found(store.problems(), f"the checkpoint of {latest['size']} leaves", "(forged)")


def test_a_changed_number_in_a_published_table_is_found(store: Store) -> None:
    views = store.publishing.projector.views
    [publication] = store.publishing.reads.publications(CAMPAIGN)
    table = copy.deepcopy(store.publishing.tables.get(publication["table_sha256"]))
    table["units"][0]["total"] = "5"
    views.execute(
        "UPDATE {pv_published_tables} SET doc = ? WHERE sha256 = ?",
        (orjson.dumps(table).decode(), publication["table_sha256"]),
    )
    found(store.problems(), "publication 1 of C2023", "is corrupted")


def test_a_swapped_evidence_file_is_named(store: Store) -> None:
    path: Path = store.world.ledger.evidence.path_of(store.evidence)
    os.chmod(path, 0o644)
    path.write_bytes(PDF.replace(b"Catalog", b"Katalog"))
    found(
        store.problems(),
        "evidence 'ke-hoach.pdf' of C2023, unit D1, criterion 1.1",
        "swapped or corrupted",
    )


def test_a_row_that_cannot_be_canonical_is_named_not_raised(store: Store) -> None:
    card = scorecard_id(CAMPAIGN, "D1")

    def change(state: dict[str, object]) -> None:
        body = state["body"]
        assert isinstance(body, dict)
        body["points"] = 0.75  # a number with a fraction: no canonical form

    store.edit(card, 2, change)
    found(
        store.problems(),
        f"{card} version 2 (SelfScoreRecorded): its content cannot be put in canonical form",
        "cannot be put in canonical form (ValidationError",
    )
    with pytest.raises(DomainError) as refused:
        build_bundle(store.world.publishing, CAMPAIGN)
    assert refused.value.code == "unreadable_event"


def test_every_publication_is_checked_not_only_the_latest(store: Store) -> None:
    world = store.world
    world.clock.advance(timedelta(days=1))
    world.send(
        world.keys["secretariat"],
        "correct_score",
        {"campaign": CAMPAIGN, "unit": "D2", "criterion": "1.1", "points": "1", "reason": "x"},
    )
    world.send(
        world.keys["publisher"],
        "publish_results",
        {"campaign": CAMPAIGN, "table_sha256": reviewed(world, CAMPAIGN)},
    )
    audit = audit_log(store.publishing, store.log_key, world.ledger.evidence)
    assert audit.problems == []
    assert any("publication 1 of C2023: its table is kept" in line for line in audit.checked)
    first = store.publishing.reads.publications(CAMPAIGN)[0]
    table = copy.deepcopy(store.publishing.tables.get(first["table_sha256"]))
    table["units"][0]["rank"] = 9
    store.publishing.projector.views.execute(
        "UPDATE {pv_published_tables} SET doc = ? WHERE sha256 = ?",
        (orjson.dumps(table).decode(), first["table_sha256"]),
    )
    found(store.problems(), "publication 1 of C2023", "is corrupted")
