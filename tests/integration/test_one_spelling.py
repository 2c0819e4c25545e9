"""A signed act has one stored form: a signature or a key whose Base64 is spelled otherwise
than canonically is refused when it is sent, and reported by ``verify`` and
``verify-bundle`` when it is found in stored events (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
from pathlib import Path

import orjson
import pytest

from ledger.application.service import stored_events
from ledger.audit.bundle_format import is_hashed
from ledger.audit.bundle_verifier import verify_bundle
from ledger.audit.event_checks import verify_events
from ledger.core.b64 import NON_CANONICAL
from ledger.core.canonical import canonical_bytes
from ledger.core.crypto import SigningKey
from ledger.core.envelope import SignedCommand
from ledger.core.errors import ValidationError
from ledger.core.ids import KEY_REGISTRY_ID, scorecard_id
from projections.publication.bundling import build_bundle
from tests.integration.test_tamper import rows_of
from tests.unit.test_b64 import with_stray_bits
from tests.world import World, forge_self_score, run_and_publish

CARD = {"campaign": "C2023", "unit": "D1"}
SCORE = {**CARD, "criterion": "1.1", "inputs": {"points": "1"}, "explanation": "x"}
NOT_CANONICAL = "not canonical base64"


def respelled(command: SignedCommand) -> SignedCommand:
    return SignedCommand(payload=command.payload, signature=with_stray_bits(command.signature))


def test_a_signature_spelled_otherwise_is_refused_and_records_nothing(world: World) -> None:
    before = world.ledger.recorder.max_notification_id()
    command = world.command(world.keys["staff"], "record_self_score", SCORE)
    with pytest.raises(ValidationError) as info:
        world.ledger.execute(respelled(command).envelope())
    assert info.value.code == NON_CANONICAL
    assert info.value.field == "signature"
    assert world.ledger.recorder.max_notification_id() == before
    world.ledger.execute(command)  # the canonical spelling of the same act is recorded


def test_a_key_spelled_otherwise_is_refused_at_enrolment(world: World) -> None:
    before = world.ledger.recorder.max_notification_id()
    key = SigningKey.generate()
    args = {
        "public_key": with_stray_bits(key.public_key),
        "name": "Người mới",
        "roles": [{"role": "inspector", "scope": []}],
    }
    with pytest.raises(ValidationError) as info:
        world.send(world.admin, "enrol_key", args)
    assert info.value.code == NON_CANONICAL
    assert info.value.field == "command.args.public_key"
    assert world.ledger.recorder.max_notification_id() == before


def test_verify_reports_a_stored_signature_spelled_otherwise(world: World) -> None:
    """A writer that bypassed the checks stored a valid signature with stray bits: the
    verifier that decodes leniently found nothing; this one names the event."""
    command = respelled(world.command(world.keys["staff"], "record_self_score", SCORE))
    version = forge_self_score(world, command)

    report = verify_events(stored_events(world.ledger))

    assert not report.ok
    found = [p for p in report.problems if p.version == version]
    assert found, [str(p) for p in report.problems]
    assert NOT_CANONICAL in found[0].reason, str(found[0])
    card = scorecard_id("C2023", "D1")
    assert all(p.aggregate_id == str(card) for p in report.problems)


def test_verify_reports_a_stored_key_spelled_otherwise(world: World) -> None:
    """The last enrolment rewritten behind the ledger's back with the key's stray-bit
    spelling: besides the changed hash, the key's spelling is named."""
    world.enrol("late", [{"role": "inspector", "scope": []}])
    registry = world.ledger.repository.get(KEY_REGISTRY_ID)
    rows = rows_of(world)
    state = orjson.loads(rows.read(KEY_REGISTRY_ID, registry.version))
    assert state["body"]["public_key"] == world.keys["late"].public_key
    state["body"]["public_key"] = with_stray_bits(state["body"]["public_key"])
    rows.write(KEY_REGISTRY_ID, registry.version, orjson.dumps(state))

    report = verify_events(stored_events(world.ledger))

    reasons = [p.reason for p in report.problems if p.version == registry.version]
    assert any(NOT_CANONICAL in reason for reason in reasons), reasons


def test_verify_bundle_reports_an_event_whose_signature_is_spelled_otherwise(
    world: World, tmp_path: Path
) -> None:
    publishing = world.publishing
    run_and_publish(world)
    bundle = build_bundle(publishing, "C2023")
    log_key = publishing.checkpoints.signer.verifier().to_string()
    assert verify_bundle(bundle, log_key, workers=1).ok
    tampered = copy.deepcopy(bundle)
    index = next(
        i
        for i, leaf in enumerate(tampered.leaves)
        if not is_hashed(leaf) and orjson.loads(leaf)["type"] == "SelfScoreRecorded"
    )
    event = orjson.loads(tampered.leaves[index])
    event["command"]["signature"] = with_stray_bits(event["command"]["signature"])
    tampered.leaves[index] = canonical_bytes(event)

    report = verify_bundle(tampered, log_key, workers=1)

    assert not report.ok
    assert any(NOT_CANONICAL in problem for problem in report.problems), report.problems
