"""Every event type the ledger records, the aggregate type it belongs to, and which ones
open their aggregate (version 1), read from the aggregates themselves."""

from __future__ import annotations

from ledger.domain.base import LedgerAggregate
from ledger.domain.campaign import Campaign
from ledger.domain.indicator_set import IndicatorSet
from ledger.domain.key_registry import KeyRegistry
from ledger.domain.scorecard import Scorecard
from ledger.domain.survey import Survey
from ledger.domain.unit import Unit

AGGREGATES: tuple[type[LedgerAggregate], ...] = (
    KeyRegistry,
    Unit,
    IndicatorSet,
    Campaign,
    Scorecard,
    Survey,
)


def _events(aggregate: type[LedgerAggregate]) -> dict[str, type[LedgerAggregate.Event]]:
    return {
        name: member
        for name, member in vars(aggregate).items()
        if isinstance(member, type)
        and issubclass(member, LedgerAggregate.Event)
        # the library gives each aggregate its own base classes of these names
        and name not in ("Event", "Created")
    }


AGGREGATE_OF: dict[str, str] = {
    name: aggregate.AGGREGATE_TYPE for aggregate in AGGREGATES for name in _events(aggregate)
}
OPENING: frozenset[str] = frozenset(
    name
    for aggregate in AGGREGATES
    for name, event in _events(aggregate).items()
    if issubclass(event, LedgerAggregate.Created)
)
