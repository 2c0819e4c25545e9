"""What is public, and when (docs/FORMATS.md §5a): one rule for the log's API, the pages, the
bundle writer and the verifier.

Public from the start, whatever the campaign's policy: every leaf's hash, checkpoints and
proofs; the key registry, the units, the indicator sets and the campaigns' own events (who
may act, on what tree, under which schedule, and its surveys' definitions). A campaign's
*content* is its scorecards' events and its surveys' batches (``SurveyBatchImported``), each
naming it in ``body.campaign``. Under ``at_publication`` (the default) that
content is confidential until the campaign's first publication, and then public up to the
latest publication's tree size; under ``immediate`` it is public once recorded.

Who else may read confidential content, role by role, is :data:`READERS`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from ledger.core.ids import KEY_REGISTRY_ID, campaign_id, indicator_set_id, scorecard_id, unit_id
from ledger.domain.keyring import KeyRecord
from ledger.domain.scopes import CampaignFacts, ScopeFacts, reaches

Policy = Literal["at_publication", "immediate"]
POLICIES: tuple[Policy, ...] = ("at_publication", "immediate")
DEFAULT_POLICY: Policy = "at_publication"

# the aggregate types whose events may be a campaign's content (``body.campaign`` names it)
CAMPAIGN_CONTENT = frozenset({"Scorecard", "Survey"})
# of a survey, only the batches are content: its definition is public from the start
SURVEY_CONTENT = frozenset({"SurveyBatchImported"})

# who may read a campaign's content before it is public, by role: "all" (every card of the
# campaign), "own_unit" (the cards of the units the grant's scope names) or absent (nothing)
READERS: Mapping[str, Literal["all", "own_unit"]] = {
    "administrator": "all",
    "secretariat": "all",
    "appraiser": "all",
    "inspector": "all",
    "publisher": "all",
    "unit_staff": "own_unit",
    "unit_head": "own_unit",
}
# survey_body: it records survey scores, and reads none of the cards before publication


WHO_READS = (
    "Who reads what this records: at once, the campaign's secretariat, appraisers, "
    "inspectors, publisher and administrators, and the staff and head of the unit whose card "
    "it is; the public, when the campaign's results are published (at once, if the "
    "campaign's disclosure is immediate). Every leaf's hash is public at once."
)


def records_content(event_types: Iterable[str], aggregate_of: Mapping[str, str]) -> bool:
    """Whether a command records a campaign's content (a scorecard's or a survey batch's)."""
    return any(aggregate_of.get(t) in CAMPAIGN_CONTENT for t in event_types)


def policy_of(campaign: Mapping[str, Any] | None) -> Policy:
    """A campaign's policy from its definition (``CampaignCreated``'s body); a campaign
    created before policies existed is ``at_publication``."""
    value = (campaign or {}).get("disclosure", DEFAULT_POLICY)
    return "immediate" if value == "immediate" else DEFAULT_POLICY


def content_campaign(
    aggregate_type: str, body: Mapping[str, Any], event_type: str = ""
) -> str | None:
    """The campaign whose policy governs an event's content; None when it is always public."""
    if aggregate_type == "Scorecard" or (
        aggregate_type == "Survey" and event_type in SURVEY_CONTENT
    ):
        return str(body.get("campaign"))
    return None


@dataclass(frozen=True)
class CampaignDisclosure:
    """A campaign's policy and how far its content is public: the tree size of its latest
    publication (0 before the first)."""

    code: str
    policy: Policy
    published_size: int = 0

    def public(self, leaf_index: int) -> bool:
        """Whether the content of the campaign's event at ``leaf_index`` is public."""
        return self.policy == "immediate" or leaf_index < self.published_size

    @property
    def disclosed(self) -> bool:
        """Whether anything of its content is public (its ranking, its scores)."""
        return self.policy == "immediate" or self.published_size > 0

    def reason(self) -> str:
        if self.published_size == 0:
            return f"campaign {self.code} is not yet published"
        return f"campaign {self.code} has not published this event yet"


def may_read_content(
    reader: KeyRecord, campaign: CampaignFacts, facts: ScopeFacts, unit: str | None
) -> bool:
    """Whether a key reads the confidential content of ``campaign``: a card of ``unit``
    (None: content of the campaign as a whole, such as a survey batch). A role of
    :data:`READERS` reads "all" of a campaign its grant reaches (ledger.domain.scopes), or
    the cards of the units its grant names ("own_unit")."""
    for grant in reader.grants:
        reach = READERS.get(grant.role)
        if not grant.active or reach is None:
            continue
        if reach == "all" and reaches(grant, campaign, facts):
            return True
        if reach == "own_unit" and unit is not None and unit in grant.scope:
            return True
    return False


def head(
    aggregate_type: str, aggregate_id: UUID | str, version: int, event_hash: str
) -> dict[str, Any]:
    """One entry of a publication's ``heads`` (FORMATS §12): an aggregate and its last event."""
    return {
        "aggregate_type": aggregate_type,
        "aggregate_id": str(aggregate_id),
        "version": version,
        "event_hash": event_hash,
    }


def input_ids(
    code: str,
    units: Sequence[str],
    indicator_set: str,
    indicator_set_version: int,
    authorities: Sequence[str] = (),
) -> list[tuple[str, UUID]]:
    """The aggregates a campaign's result table depends on whose ids follow from its
    definition: the key registry, the indicator set, the campaign, each unit and each
    unit's scorecard, and the units of ``authorities`` (the campaign's owner and the units
    above it, by which its signers' appointments are judged). (A survey batch's aggregate
    names its campaign in its body; its heads are added by whoever records batches.)"""
    found: list[tuple[str, UUID]] = [
        ("KeyRegistry", KEY_REGISTRY_ID),
        ("IndicatorSet", indicator_set_id(indicator_set, indicator_set_version)),
        ("Campaign", campaign_id(code)),
    ]
    found += [("Unit", unit_id(unit)) for unit in units]
    found += [("Scorecard", scorecard_id(code, unit)) for unit in units]
    # the owner and the units above it: whose appointments reach the campaign (FORMATS §6)
    found += [("Unit", unit_id(unit)) for unit in authorities if unit not in units]
    return found


def heads_order(entry: Mapping[str, Any]) -> tuple[str, str]:
    return (str(entry.get("aggregate_type")), str(entry.get("aggregate_id")))
