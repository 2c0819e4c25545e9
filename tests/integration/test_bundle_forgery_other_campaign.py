"""A bundle carries every event of the log, not only the published campaign's. A forger who
holds the log key changes a member the ledger derives in a scorecard of ANOTHER campaign
(one never published), re-chains the events and re-signs the checkpoints and the
publication's; ``verify-bundle`` must still find the change and name the leaf and the
member (docs/FORMATS.md §14, check 3)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ledger.audit.bundle_format import Bundle
from ledger.core.canonical import canonical_bytes
from tests.integration.test_bundle_forgery import Forger, event, named
from tests.world import PDF, START, World, publish_campaign

OTHER = "C2023"  # taken through its cycle, never published
PUBLISHED = "P2022"


def other_cycle_then_publish(world: World) -> None:
    """C2023: D1 self-scores with evidence and submits, D2 self-scores and is locked; both
    are appraised, D1 adds supplementary evidence in the explanation round; the rest is
    accepted, the campaign finalised and a score corrected. Then P2022 is published."""
    keys = dict(world.keys)
    for role in ("secretariat", "publisher"):
        keys[role] = world.enrol(role, [{"role": role, "scope": []}])
    card = {"campaign": OTHER, "unit": "D1"}

    def attach(content: bytes, name: str) -> None:
        stored = world.ledger.evidence.put_bytes(content)
        world.send(
            keys["staff"],
            "attach_evidence",
            {
                **card,
                "criterion": "1.1",
                "sha256": stored.sha256,
                "size": stored.size,
                "file_name": name,
                "media_type": "application/pdf",
            },
        )

    world.clock.set(START + timedelta(days=1))
    world.send(
        keys["staff"],
        "record_self_score",
        {**card, "criterion": "1.1", "inputs": {"points": "0.75"}, "explanation": "Kế hoạch"},
    )
    attach(PDF, "ke-hoach.pdf")
    world.send(keys["head"], "submit_self_assessment", card)
    world.send(
        keys["staff2"],
        "record_self_score",
        {"campaign": OTHER, "unit": "D2", "criterion": "1.1", "inputs": {"points": "0.5"}},
    )
    world.clock.set(START + timedelta(days=31))
    world.ledger.tick()
    for unit in ("D1", "D2"):
        world.send(
            keys["appraiser"],
            "record_appraisal",
            {
                "campaign": OTHER,
                "unit": unit,
                "criterion": "1.1",
                "inputs": {"points": "0.5"},
                "reason": "Thiếu hồ sơ",
            },
        )
    world.clock.set(START + timedelta(days=46))
    attach(PDF + b"%bo-sung\n", "bo-sung.pdf")
    world.clock.set(START + timedelta(days=61))
    for unit in ("D1", "D2", "S1"):
        target = {"campaign": OTHER, "unit": unit}
        world.send(
            keys["survey"],
            "record_external_score",
            {
                **target,
                "criterion": "2.1",
                "points": "1",
                "source": "survey",
                "source_document": "Báo cáo điều tra xã hội học",
            },
        )
        world.send(keys["secretariat"], "accept_self_scores", target)
    world.send(keys["secretariat"], "finalise_campaign", {"campaign": OTHER})
    world.send(
        keys["secretariat"],
        "correct_score",
        {**card, "criterion": "1.1", "points": "1", "reason": "Sai sót khi nhập"},
    )
    publish_campaign(world, PUBLISHED)


@pytest.fixture
def forger(world: World) -> Forger:
    return Forger(world, PUBLISHED, other_cycle_then_publish)


def forge(
    forger: Forger, event_type: str, change: dict[str, Any], **match: Any
) -> tuple[int, Bundle]:
    """Change derived members of the first event of ``event_type`` (in C2023) matching
    ``match``; the changed leaf's index and the resealed bundle."""
    bundle = forger.copy()
    index = forger.index_of(bundle, event_type, campaign=OTHER, **match)
    changed = event(bundle.leaves[index])
    assert set(change) <= set(changed["body"]), "only members the event has are changed"
    changed["body"].update(change)
    bundle.leaves[index] = canonical_bytes(changed)
    return index, forger.seal(bundle)


def test_the_other_campaign_is_in_the_bundle_and_a_reseal_alone_verifies(
    forger: Forger,
) -> None:
    assert forger.bundle.header["campaign"] == PUBLISHED
    others = [event(leaf) for leaf in forger.bundle.leaves]
    assert any(e["body"].get("campaign") == OTHER for e in others)
    assert not any(
        e["type"] == "ResultsPublished" and e["body"]["campaign"] == OTHER for e in others
    )
    report = forger.check(forger.seal(forger.copy()))
    assert report.ok, report.problems


@pytest.mark.parametrize(
    ("event_type", "match", "change", "phrase"),
    [
        (
            "SelfScoreRecorded",
            {"unit": "D1"},
            {"points": "1"},
            "it records points '1', but its rule gives 0.75",
        ),
        (
            "EvidenceAttached",
            {"unit": "D1", "file_name": "ke-hoach.pdf"},
            {"supplementary": True},
            "its 'supplementary' is True; the signed facts give False",
        ),
        (
            "EvidenceAttached",
            {"unit": "D1", "file_name": "bo-sung.pdf"},
            {"supplementary": False},
            "its 'supplementary' is False; the signed facts give True",
        ),
        (
            "ScoreCorrected",
            {"unit": "D1"},
            {"previous_points": "0.75"},
            "its 'previous_points' is '0.75'; the signed facts give '0.5'",
        ),
        (
            "AppraisalRecorded",
            {"unit": "D2"},
            {"unsupported": False},
            "its 'unsupported' is False; the signed facts give True",
        ),
        (
            "AppraisalRecorded",
            {"unit": "D1"},
            {"self_points": "0.5"},
            "its 'self_points' is '0.5'; the signed facts give '0.75'",
        ),
        (
            "SelfScoresAccepted",
            {"unit": "S1"},
            {"accepted": {"1.1": "1"}},
            "its 'accepted' is {'1.1': '1'}; the signed facts give {'1.1': '0'}",
        ),
    ],
)
def test_a_forged_derived_member_of_another_campaign_is_named(
    forger: Forger, event_type: str, match: dict[str, Any], change: dict[str, Any], phrase: str
) -> None:
    index, forged = forge(forger, event_type, change, **match)
    report = forger.check(forged)
    named(report, phrase)
    assert any(
        p.startswith(f"leaf {index} (Scorecard ") and event_type in p and phrase in p
        for p in report.problems
    ), report.problems
