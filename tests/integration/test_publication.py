"""Publishing a campaign's results, on SQLite and PostgreSQL: the table computed from the
read models at a signed checkpoint, the ResultsPublished event, the refusals, a second
publication after a correction that provably extends the first, and the bundle of it."""

from __future__ import annotations

import base64
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest

from ledger.application.service import Ledger, stored_events
from ledger.audit.bundle_format import encode_bundle
from ledger.audit.bundle_verifier import verify_bundle
from ledger.audit.event_checks import verify_events
from ledger.core.canonical import sha256_hex
from ledger.core.errors import LedgerError
from ledger.domain.results import table_bytes
from ledger.transparency.checkpoint import open_checkpoint
from ledger.transparency.merkle import verify_consistency
from projections.decoding import decode
from projections.publication.bundling import build_bundle
from projections.publication.publishing import Publishing
from projections.transparency_log.merkle_log import canonical_event_bytes
from tests.world import World, reviewed, run_and_publish

CAMPAIGN = "C2023"


@pytest.fixture
def publishing(world: World) -> Publishing:
    return world.publishing


def review(world: World) -> dict[str, str]:
    """The publication's arguments: the campaign and the hash of the table as it stands."""
    return {"campaign": CAMPAIGN, "table_sha256": reviewed(world, CAMPAIGN)}


@pytest.fixture
def published(world: World, publishing: Publishing) -> Publishing:
    run_and_publish(world)
    return publishing


def refused(world: World, role: str, command_type: str, args: dict[str, Any]) -> str:
    """The code of the refusal of a command that must record nothing."""
    before = world.ledger.recorder.max_notification_id()
    with pytest.raises(LedgerError) as caught:
        world.send(world.keys[role], command_type, args)
    assert world.ledger.recorder.max_notification_id() == before
    return caught.value.code


def test_the_publication_records_the_table_hash_and_a_signed_checkpoint(
    world: World, published: Publishing
) -> None:
    [publication] = published.reads.publications(CAMPAIGN)
    assert publication["sequence"] == 1
    assert publication["units"] == 3
    # the table is kept and hashes to what the event recorded
    table = published.tables.get(publication["table_sha256"])
    assert sha256_hex(table_bytes(table)) == publication["table_sha256"]
    # the checkpoint is the log's, of the leaves before the publication
    verifier = published.checkpoints.signer.verifier()
    checkpoint = open_checkpoint(publication["checkpoint"], verifier)
    assert checkpoint.size == publication["tree_size"]
    assert base64.b64encode(checkpoint.root_hash).decode() == publication["root_hash"]
    assert checkpoint.root_hash == published.log.root(checkpoint.size)
    leaf = published.log.leaf_of_position(publication["position"])
    assert leaf == checkpoint.size  # the first event after the checkpoint
    # and a checkpoint including the publication was signed at once
    latest = published.checkpoints.latest()
    assert latest is not None
    assert int(latest["size"]) == published.log.size() == leaf + 1
    assert verify_events(stored_events(world.ledger)).ok


def test_the_table_is_what_the_scores_give(published: Publishing) -> None:
    [publication] = published.reads.publications(CAMPAIGN)
    table = published.tables.get(publication["table_sha256"])
    rows = {row["unit"]: row for row in table["units"]}
    # D1 self-scored 0.75 on 1.1 (accepted), nothing on 1.2, and 1.5 from the survey
    assert rows["D1"]["scores"] == {"1.1": "0.75", "1.2": "0", "2.1": "1.5"}
    assert (rows["D1"]["total"], rows["D1"]["max_total"], rows["D1"]["index"]) == (
        "2.25",
        "5",
        "45.00",
    )
    # 1.2 applies to districts only
    assert rows["S1"]["scores"] == {"1.1": "0", "2.1": "0.5"}
    assert rows["D2"]["index"] == "40.00"
    # districts are ranked among districts, the department alone
    assert [(r["ranking_group"], r["unit"], r["rank"], r["of"]) for r in table["units"]] == [
        ("department", "S1", 1, 1),
        ("district", "D1", 1, 2),
        ("district", "D2", 2, 2),
    ]
    assert table["campaign"]["code"] == CAMPAIGN
    assert table["campaign"]["finalised_at"] is not None


def test_nothing_is_published_before_finalisation(world: World, publishing: Publishing) -> None:
    world.enrol("publisher", [{"role": "publisher", "scope": []}])
    assert refused(world, "publisher", "publish_results", review(world)) == "not_finalised"
    assert publishing.reads.publications(CAMPAIGN) == []


def test_a_table_other_than_the_reviewed_one_is_not_published(
    world: World, published: Publishing
) -> None:
    world.clock.advance(timedelta(days=1))
    correct = {"campaign": CAMPAIGN, "unit": "D2", "criterion": "1.1", "points": "1"}
    world.send(world.keys["secretariat"], "correct_score", {**correct, "reason": "Sai sót"})
    reviewed = published.reads.publications(CAMPAIGN)[0]["table_sha256"]
    args = {"campaign": CAMPAIGN, "table_sha256": reviewed}
    assert refused(world, "publisher", "publish_results", args) == "table_changed"
    # the changed table was neither kept nor signed for
    rows = published.projector.views.rows("SELECT sha256 FROM {pv_published_tables}")
    assert [r["sha256"] for r in rows] == [reviewed]


def test_unchanged_results_are_not_published_twice(world: World, published: Publishing) -> None:
    signed = len(published.checkpoints.all())
    assert refused(world, "publisher", "publish_results", review(world)) == "already_published"
    # a refused publication signs nothing either
    assert len(published.checkpoints.all()) == signed


def test_a_ledger_without_the_log_cannot_publish(world: World, published: Publishing) -> None:
    world.clock.advance(timedelta(days=1))
    correct = {"campaign": CAMPAIGN, "unit": "D2", "criterion": "1.1", "points": "1"}
    world.send(world.keys["secretariat"], "correct_score", {**correct, "reason": "Sai sót"})
    settings = world.ledger.settings
    bare = Ledger(world.runtime.storage, settings, clock=world.clock, server_key=world.server)
    command = world.command(world.keys["publisher"], "publish_results", review(world))
    before = world.ledger.recorder.max_notification_id()
    with pytest.raises(LedgerError) as refusal:
        bare.execute(command)
    assert refusal.value.code == "publication_unavailable"
    assert world.ledger.recorder.max_notification_id() == before


def test_a_later_publication_extends_every_earlier_one(world: World, published: Publishing) -> None:
    first = published.reads.publications(CAMPAIGN)[0]
    world.clock.advance(timedelta(days=3))
    world.send(
        world.keys["secretariat"],
        "correct_score",
        {"campaign": CAMPAIGN, "unit": "D2", "criterion": "1.1", "points": "1", "reason": "x"},
    )
    world.send(world.keys["publisher"], "publish_results", review(world))
    first, second = published.reads.publications(CAMPAIGN)
    assert second["sequence"] == 2
    assert second["table_sha256"] != first["table_sha256"]
    ranks = {r["unit"]: r["rank"] for r in published.tables.get(second["table_sha256"])["units"]}
    assert ranks["D2"] == 1  # 1 + 2 points of 5 now beat D1's 2.25
    # the second checkpoint proves it extends the first: nothing before was rewritten
    proof = published.log.consistency(first["tree_size"], second["tree_size"])
    assert verify_consistency(
        first["tree_size"],
        second["tree_size"],
        base64.b64decode(first["root_hash"]),
        base64.b64decode(second["root_hash"]),
        proof,
    )
    # and every checkpoint the log signed extends every earlier one
    signed = published.checkpoints.all()
    assert len(signed) >= 3
    for earlier, later in pairwise(signed):
        m, n = int(earlier["size"]), int(later["size"])
        assert verify_consistency(
            m,
            n,
            base64.b64decode(earlier["root"]),
            base64.b64decode(later["root"]),
            published.log.consistency(m, n),
        )
    # the bundle of the latest publication names both publications as prefixes of its log
    bundle = build_bundle(published, CAMPAIGN)
    assert bundle.header["publication"]["sequence"] == 2
    report = verify_bundle(
        encode_bundle(bundle), published.checkpoints.signer.verifier().to_string(), workers=2
    )
    assert report.ok, report.problems
    prefixes = [line for line in report.checked if "is a prefix of this log" in line]
    assert len(prefixes) == 2, report.checked


def test_the_bundle_is_what_the_store_holds(world: World, published: Publishing) -> None:
    bundle = build_bundle(published, CAMPAIGN)
    leaves = list(stored_events(world.ledger))
    assert len(bundle.leaves) == len(leaves) == published.log.size()
    assert bundle.header["publication"]["leaf_index"] == len(leaves) - 1
    assert bundle.header["ledger"] == world.ledger.keyring().ledger
    assert [e["file_name"] for e in bundle.header["evidence"]] == ["ke-hoach.pdf"]
    keys = {k["key_id"]: k for k in bundle.header["keys"]}
    assert world.keys["publisher"].key_id in keys
    assert keys[world.admin.key_id]["enrolled_leaf"] == 0
    # one and two processes find the same
    log_key = published.checkpoints.signer.verifier().to_string()
    one = verify_bundle(bundle, log_key, workers=1)
    two = verify_bundle(bundle, log_key, workers=2)
    assert one.ok, one.problems
    assert one.checked == two.checked


def test_a_rebuild_of_the_read_models_keeps_what_was_published(published: Publishing) -> None:
    [before] = published.reads.publications(CAMPAIGN)
    signed = published.checkpoints.all()
    published.projector.rebuild()
    [after] = published.reads.publications(CAMPAIGN)
    assert after == before
    assert published.checkpoints.all() == signed
    assert published.tables.get(after["table_sha256"])["campaign"]["code"] == CAMPAIGN
    assert verify_bundle(
        build_bundle(published, CAMPAIGN), published.checkpoints.signer.verifier().to_string()
    ).ok


def test_the_projectors_decoding_agrees_with_the_librarys(
    world: World, published: Publishing
) -> None:
    """Leaves are made from the projector's own decoding of stored events: it gives the
    events the library's mapper gives, to the byte of their canonical form."""
    recorder = world.ledger.recorder
    notifications = recorder.select_notifications(None, 10_000)
    assert len(notifications) == published.log.size()
    for notification in notifications:
        logged = decode(notification)
        event = world.ledger.mapper.to_domain_event(notification)
        assert logged.body == event.body
        assert logged.command == event.command
        assert logged.recorded_at == event.timestamp
        assert sha256_hex(canonical_event_bytes(logged)) == event.event_hash == logged.event_hash


def test_proofs_beyond_the_log_are_refused(published: Publishing) -> None:
    size = published.log.size()
    assert len(published.log.inclusion(size - 1, size)) > 0
    for prove in (
        lambda: published.log.inclusion(0, size + 1),
        lambda: published.log.consistency(1, size + 5),
        lambda: published.log.root(size + 1),
        lambda: published.log.root(-1),
    ):
        with pytest.raises(ValueError, match=r"leaves|size"):
            prove()
