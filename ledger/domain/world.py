"""What a command's handler may read of the ledger, as it stands when the command is handled.

The application implements it over the event store; the handlers of the command table
(:mod:`ledger.domain.handlers`) see only this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from ledger.core.envelope import SignedCommand
from ledger.domain.indicators import IndicatorTree
from ledger.domain.keyring import Keyring

if TYPE_CHECKING:
    from ledger.domain.base import LedgerAggregate
    from ledger.domain.campaign import Campaign, PublicationFacts
    from ledger.domain.indicator_set import IndicatorSet
    from ledger.domain.scorecard import Scorecard
    from ledger.domain.survey import Survey
    from ledger.domain.unit import Unit


@dataclass(frozen=True)
class EvidenceFile:
    """An uploaded evidence file as the store holds it: its size, and its media type as
    told by its content (None if it is not an allowed type)."""

    sha256: str
    size: int
    media_type: str | None


class World(Protocol):
    @property
    def now(self) -> datetime: ...

    @property
    def keyring(self) -> Keyring: ...

    def for_change(self, aggregate_id: UUID) -> Any:
        """The aggregate, as a copy the handler may change and return to be saved."""

    def unit(self, code: str) -> Unit | None: ...

    def indicator_set(self, code: str, version: int) -> IndicatorSet | None: ...

    def tree(self, code: str, version: int) -> IndicatorTree: ...

    def campaign(self, code: str) -> Campaign | None: ...

    def scorecard(self, campaign: str, unit: str) -> Scorecard | None: ...

    def survey(self, code: str) -> Survey | None: ...

    def system_command(self, command_type: str, args: dict[str, Any]) -> SignedCommand:
        """A command the ledger itself signs with the server key (FORMATS §4)."""

    def evidence_file(self, sha256: str) -> EvidenceFile | None: ...

    def publication_facts(self, campaign: str, check: Callable[[str], None]) -> PublicationFacts:
        """The result table computed at the latest projected event, kept, and the signed
        checkpoint it was computed at; ``check`` may refuse the table's hash first."""


Changed = list["LedgerAggregate"]
