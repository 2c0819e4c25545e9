"""The one rule of what is public and when (ledger.domain.disclosure): a campaign's policy,
how far its content is public after a publication, and who reads it before, role by role."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ledger.domain.disclosure import (
    READERS,
    CampaignDisclosure,
    content_campaign,
    may_read_content,
    policy_of,
)
from ledger.domain.keyring import ROLES, Grant, KeyRecord
from ledger.domain.scopes import CampaignFacts, RunningFacts

CAMPAIGN = CampaignFacts("C", None, 2023, frozenset({"D1", "D2"}))
# a district's campaign: run by D1, which lies under the province P
DISTRICT = CampaignFacts("D1-2023", "D1", 2023, frozenset({"X1"}))
FACTS = RunningFacts(parents={"D1": "P", "D2": "P", "X1": "D1"})


def key(*grants: Grant) -> KeyRecord:
    return KeyRecord("k", "", "Người đọc", "", "", grants, datetime(2023, 1, 1, tzinfo=UTC))


def may_read(grants: list[tuple[str, list[str]]], unit: str | None) -> bool:
    record = key(*(Grant(role, tuple(scope)) for role, scope in grants))
    return may_read_content(record, CAMPAIGN, FACTS, unit)


# role -> (reads a card of its own unit D1, reads a card of D2, reads a survey batch)
EXPECTED = {
    "administrator": (True, True, True),
    "secretariat": (True, True, True),
    "appraiser": (True, True, True),
    "inspector": (True, True, True),
    "publisher": (True, True, True),
    "unit_staff": (True, False, False),
    "unit_head": (True, False, False),
    "survey_body": (False, False, False),
}


def test_every_role_has_a_row() -> None:
    assert set(EXPECTED) == set(ROLES)
    assert set(READERS) <= set(ROLES)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_who_reads_content_before_it_is_public(role: str) -> None:
    grants = [(role, ["D1"])]
    assert (may_read(grants, "D1"), may_read(grants, "D2"), may_read(grants, None)) == (
        EXPECTED[role]
    )


def test_no_grant_reads_nothing_and_grants_add_up() -> None:
    assert not may_read([], "D1")
    assert may_read([("survey_body", []), ("unit_staff", ["D2"])], "D2")


def test_an_authority_reads_only_the_campaigns_under_it() -> None:
    province = key(Grant("inspector", authority="P"))
    sibling = key(Grant("secretariat", authority="D2"))
    other_year = key(Grant("appraiser", ("1",), authority="D1", year=2024))
    ended = key(Grant("inspector", authority="D1", ended_at=datetime(2023, 6, 1, tzinfo=UTC)))
    assert may_read_content(province, DISTRICT, FACTS, "X1")
    assert not may_read_content(sibling, DISTRICT, FACTS, "X1")
    assert not may_read_content(other_year, DISTRICT, FACTS, None)
    assert not may_read_content(ended, DISTRICT, FACTS, "X1")


def test_the_policy_is_read_from_the_campaign_and_defaults_to_at_publication() -> None:
    assert policy_of(None) == policy_of({}) == "at_publication"
    assert policy_of({"disclosure": "immediate"}) == "immediate"
    assert policy_of({"disclosure": "at_publication"}) == "at_publication"


def test_content_is_public_up_to_the_latest_publication_or_at_once() -> None:
    pending = CampaignDisclosure("HN-2024", "at_publication")
    assert not pending.public(0)
    assert not pending.disclosed
    assert pending.reason() == "campaign HN-2024 is not yet published"
    published = CampaignDisclosure("HN-2024", "at_publication", published_size=10)
    assert published.public(9)
    assert not published.public(10)
    assert published.disclosed
    assert "has not published this event yet" in published.reason()
    immediate = CampaignDisclosure("HN-2024", "immediate")
    assert immediate.public(10**6)
    assert immediate.disclosed


def test_which_events_are_a_campaigns_content() -> None:
    assert content_campaign("Scorecard", {"campaign": "C", "unit": "D1"}) == "C"
    assert content_campaign("Survey", {"campaign": "C"}, "SurveyBatchImported") == "C"
    assert content_campaign("Survey", {"campaign": "C"}, "SurveyDefined") is None
    for kind in ("KeyRegistry", "Unit", "IndicatorSet", "Campaign"):
        assert content_campaign(kind, {"campaign": "C"}) is None
