"""A campaign's rules (docs/FORMATS.md §5, §9, §12), without a database: created once on a
defined set for registered units, which freezes the set and opens one scorecard per unit;
finalised once final appraisal has closed and every score is settled; published only when
finalised, only the table the publisher reviewed, and not twice the same."""

from __future__ import annotations

from typing import Any

from ledger.core.ids import indicator_set_id
from tests.memory import MemoryLedger, schedule


def campaign_args(**extra: Any) -> dict[str, Any]:
    return {
        "code": "C2024",
        "year": 2024,
        "title": "Kỳ đánh giá 2024",
        "indicator_set": "T-SET",
        "indicator_set_version": 1,
        "units": ["D1", "S1"],
        "schedule": schedule(),
        **extra,
    }


def settle(ledger: MemoryLedger, units: tuple[str, ...] = ("D1", "D2", "S1")) -> None:
    """After final appraisal: survey scores, the rest accepted."""
    ledger.at_day(61)
    for unit in units:
        card = {"campaign": "C2023", "unit": unit}
        ledger.send(
            "survey",
            "record_external_score",
            {
                **card,
                "criterion": "2.1",
                "points": "1.5",
                "source": "survey",
                "source_document": "Báo cáo",
            },
        )
        ledger.send("secretariat", "accept_self_scores", card)


def test_creation_freezes_the_set_and_opens_a_scorecard_per_unit() -> None:
    ledger = MemoryLedger().with_campaign()
    assert ledger.campaign().units == ["D1", "D2", "S1"]
    assert [ledger.card(u).unit_kind for u in ("D1", "D2", "S1")] == [
        "district",
        "district",
        "department",
    ]
    frozen = ledger.get(indicator_set_id("T-SET", 1))
    assert frozen.frozen_by == ["C2023"]


def test_creation_is_refused_for_what_does_not_exist_or_exists_already() -> None:
    ledger = MemoryLedger().with_campaign()
    admin = ledger.admin
    assert (
        ledger.refused(admin, "create_campaign", campaign_args(code="C2023")) == "campaign_exists"
    )
    assert (
        ledger.refused(admin, "create_campaign", campaign_args(units=["D1", "X9"]))
        == "unknown_unit"
    )
    assert (
        ledger.refused(admin, "create_campaign", campaign_args(indicator_set_version=7))
        == "not_found"
    )
    assert (
        ledger.refused(admin, "create_campaign", campaign_args(units=["D1", "D1"]))
        == "invalid_input"
    )
    bands = [{"min": "50", "grade": "Khá"}, {"min": "80", "grade": "Tốt"}]  # lowest first
    assert (
        ledger.refused(admin, "create_campaign", campaign_args(grade_bands=bands))
        == "invalid_input"
    )
    late_first = dict(schedule())
    late_first["self_assessment_opens"] = late_first["final_appraisal_closes"]
    assert (
        ledger.refused(admin, "create_campaign", campaign_args(schedule=late_first))
        == "invalid_input"
    )


def test_finalisation_waits_for_the_end_of_final_appraisal_and_every_score() -> None:
    ledger = MemoryLedger().with_campaign()
    finalise = {"campaign": "C2023"}
    ledger.at_day(59)
    assert ledger.refused("secretariat", "finalise_campaign", finalise) == "wrong_phase"
    ledger.at_day(61)
    assert ledger.refused("secretariat", "finalise_campaign", finalise) == "unsettled_scores"
    settle(ledger)
    ledger.send("secretariat", "finalise_campaign", finalise)
    assert ledger.campaign().finalised_at == ledger.clock.now()
    assert ledger.refused("secretariat", "finalise_campaign", finalise) == "campaign_finalised"
    assert (
        ledger.refused("secretariat", "finalise_campaign", {"campaign": "NONE"})
        == "unknown_campaign"
    )


def test_publication_needs_finalisation_the_reviewed_table_and_a_change() -> None:
    ledger = MemoryLedger().with_campaign()
    settle(ledger)
    publish = {"campaign": "C2023", "table_sha256": ledger.table_sha256()}
    assert ledger.refused("publisher", "publish_results", publish) == "not_finalised"
    ledger.send("secretariat", "finalise_campaign", {"campaign": "C2023"})
    stale = {**publish, "table_sha256": "0" * 64}
    assert ledger.refused("publisher", "publish_results", stale) == "table_changed"
    publish["table_sha256"] = ledger.table_sha256()
    [event] = ledger.send("publisher", "publish_results", publish)
    assert (event.body["sequence"], event.body["table_sha256"], event.body["units"]) == (
        1,
        publish["table_sha256"],
        3,
    )
    assert ledger.refused("publisher", "publish_results", publish) == "already_published"
    # a correction makes a new table, published as the next sequence
    ledger.send(
        "secretariat",
        "correct_score",
        {"campaign": "C2023", "unit": "D1", "criterion": "2.1", "points": "2", "reason": "Sai sót"},
    )
    again = {"campaign": "C2023", "table_sha256": ledger.table_sha256()}
    [event] = ledger.send("publisher", "publish_results", again)
    assert event.body["sequence"] == 2


def test_publication_is_for_publishers_only() -> None:
    ledger = MemoryLedger().with_campaign()
    publish = {"campaign": "C2023", "table_sha256": "0" * 64}
    assert ledger.refused("secretariat", "publish_results", publish) == "out_of_scope"
