"""The ledger as a command's handler sees it (:class:`ledger.domain.world.World`): the
aggregates from the cache, the clock, the server's signature, the evidence store and the
publication port."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from ledger.core.envelope import SignedCommand, sign_command
from ledger.core.errors import DomainError
from ledger.core.ids import (
    KEY_REGISTRY_ID,
    campaign_id,
    indicator_set_id,
    scorecard_id,
    survey_id,
    unit_id,
)
from ledger.domain.campaign import Campaign, PublicationFacts
from ledger.domain.indicator_set import IndicatorSet
from ledger.domain.indicators import IndicatorTree
from ledger.domain.keyring import Keyring
from ledger.domain.scorecard import Scorecard
from ledger.domain.survey import Survey
from ledger.domain.unit import Unit
from ledger.domain.world import EvidenceFile

if TYPE_CHECKING:
    from ledger.application.service import Ledger


class LedgerWorld:
    """One command's view of the ledger: the time it is handled at, and the aggregates."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._now = ledger.clock.now()
        self._keyring: Keyring | None = None

    @property
    def now(self) -> datetime:
        return self._now

    @property
    def keyring(self) -> Keyring:
        if self._keyring is None:
            registry = self._ledger.aggregate(KEY_REGISTRY_ID)
            self._keyring = registry.keyring if registry is not None else Keyring()
        return self._keyring

    def for_change(self, aggregate_id: UUID) -> Any:
        return self._ledger.aggregate(aggregate_id, for_change=True)

    def unit(self, code: str) -> Unit | None:
        return cast(Unit | None, self._ledger.aggregate(unit_id(code)))

    def indicator_set(self, code: str, version: int) -> IndicatorSet | None:
        return cast(IndicatorSet | None, self._ledger.aggregate(indicator_set_id(code, version)))

    def tree(self, code: str, version: int) -> IndicatorTree:
        return self._ledger.tree(code, version)

    def campaign(self, code: str) -> Campaign | None:
        return cast(Campaign | None, self._ledger.aggregate(campaign_id(code)))

    def scorecard(self, campaign: str, unit: str) -> Scorecard | None:
        return cast(Scorecard | None, self._ledger.aggregate(scorecard_id(campaign, unit)))

    def survey(self, code: str) -> Survey | None:
        return cast(Survey | None, self._ledger.aggregate(survey_id(code)))

    def system_command(self, command_type: str, args: dict[str, Any]) -> SignedCommand:
        key = self._ledger.server_key
        if key.key_id != self.keyring.server:
            raise DomainError(
                f"the server key in {self._ledger.settings.server_key_file} is not this "
                f"ledger's server key ({self.keyring.server})",
                code="wrong_server_key",
            )
        return sign_command(
            key, ledger=self.keyring.ledger, type=command_type, args=args, issued_at=self._now
        )

    def evidence_file(self, sha256: str) -> EvidenceFile | None:
        store = self._ledger.evidence
        if not store.has(sha256):
            return None
        return EvidenceFile(sha256, store.size_of(sha256), store.media_type_of(sha256))

    def publication_facts(self, campaign: str, check: Callable[[str], None]) -> PublicationFacts:
        publication = self._ledger.publication
        if publication is None:
            raise DomainError(
                "publishing needs the transparency log and its key: publish through the "
                "service (parledger serve) or the command line on the local store",
                code="publication_unavailable",
            )
        return publication.facts(campaign, check)
