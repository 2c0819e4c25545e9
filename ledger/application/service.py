"""The ledger application: checks a signed command and records its event.

Order of checks for every command (docs/FORMATS.md §3): envelope shape and arguments;
signature against the enrolled key; replay (the same command again answers with the first
receipt); ledger, key validity, role and scope; clock skew; then the domain rules, in the
command's handler. A refusal at any step raises a :class:`~ledger.core.errors.LedgerError`
and records nothing (ADR 10)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from typing import Any, Protocol, cast
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    ApplicationRecorder,
    InfrastructureFactory,
    IntegrityError,
    Notification,
    Recording,
)
from eventsourcing.utils import Environment, get_topic

from ledger.application.cache import AggregateCache
from ledger.application.evidence import EvidenceStore
from ledger.application.leaf_numbers import LeafNumbers
from ledger.application.settings import Settings
from ledger.application.storage import APPLICATION_NAME, Storage, notification_id_of
from ledger.application.world import LedgerWorld
from ledger.audit.event_checks import Undecodable
from ledger.core.clock import Clock, SystemClock
from ledger.core.crypto import SigningKey
from ledger.core.envelope import SignedCommand
from ledger.core.errors import AuthorizationError, ConflictError, NotFoundError, ValidationError
from ledger.core.ids import (
    KEY_REGISTRY_ID,
    campaign_id,
    indicator_set_id,
    scorecard_id,
    survey_id,
    unit_id,
)
from ledger.domain.authorization import BAD_SIGNATURE, authorize, signer_of
from ledger.domain.base import LedgerAggregate
from ledger.domain.campaign import Campaign, PublicationFacts
from ledger.domain.commands import CommandType, command_type
from ledger.domain.handlers import context, lock_if_due
from ledger.domain.indicator_set import IndicatorSet
from ledger.domain.indicators import IndicatorTree
from ledger.domain.keyring import KeyRecord, Keyring
from ledger.domain.results import result_table
from ledger.domain.scopes import LiveFacts
from ledger.domain.scorecard import Scorecard
from ledger.domain.survey import Survey
from ledger.domain.unit import Unit

MAX_ATTEMPTS = 20
log = structlog.get_logger(__name__)

AfterSave = Callable[[Sequence[Recording[UUID]]], None]


class PublicationPort(Protocol):
    """What the ledger needs to publish: the result table computed at a signed checkpoint of
    the transparency log (projections.publication provides it)."""

    def facts(self, campaign: str, check: Callable[[str], None]) -> PublicationFacts: ...


@dataclass(frozen=True)
class Receipt:
    """What an accepted command answers, the same every time it is sent."""

    event_id: str
    aggregate_id: str
    version: int
    event_type: str
    event_hash: str
    position: int
    # the event's index in the transparency log: what the log API, proofs and traces name
    leaf: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class Ledger(Application[UUID]):
    name = APPLICATION_NAME

    def __init__(
        self,
        storage: Storage,
        settings: Settings,
        *,
        clock: Clock | None = None,
        server_key: SigningKey | None = None,
        publication: PublicationPort | None = None,
        after_save: Sequence[AfterSave] = (),
    ) -> None:
        self._storage = storage
        self.settings = settings
        super().__init__(env=dict(storage.env))
        self.clock: Clock = clock or SystemClock()
        self.publication = publication
        self._server_key = server_key
        self._after_save = tuple(after_save)
        self.evidence = EvidenceStore(settings.evidence_dir)
        self._cache = AggregateCache(self.recorder)
        self._leaves = LeafNumbers(self.recorder)
        self._trees: dict[tuple[str, int], IndicatorTree] = {}

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        return self._storage.factory

    def construct_recorder(self) -> ApplicationRecorder:
        return self._storage.recorder

    # -- the command path ------------------------------------------------------------

    def execute(self, envelope: SignedCommand | dict[str, Any]) -> Receipt:
        command = (
            envelope
            if isinstance(envelope, SignedCommand)
            else SignedCommand.from_envelope(envelope)
        )
        kind = command_type(command.type)
        args = kind.parse(command.args)
        if kind.system:
            raise AuthorizationError(
                f"{command.type} is recorded by the ledger itself, not sent by a person",
                code="system_command",
                field="command.type",
            )
        verified: set[str] = set()
        target = kind.target(command.args)
        for attempt in range(MAX_ATTEMPTS):
            self._cache.refresh()
            try:
                return self._attempt(command, kind, args, target, LedgerWorld(self), verified)
            except IntegrityError:
                # another writer recorded on the same aggregate first: reload and try again
                log.info("command_retried", aggregate_id=str(target), attempt=attempt + 1)
                self._cache.evict(target)
                time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))  # noqa: S311
        raise ConflictError(
            "the record changed while this command was being recorded; send it again"
        )

    def _attempt(
        self,
        command: SignedCommand,
        kind: CommandType,
        args: Any,
        target: UUID,
        world: LedgerWorld,
        verified: set[str],
    ) -> Receipt:
        signer = signer_of(world.keyring, command, verify=False)
        self._verify_once(command, signer, verified)
        generation = self._cache.generation
        existing = world.for_change(target)
        if existing is not None:
            version = existing.previous_command(command)
            if version is not None:
                self._cache.keep([existing], generation)
                return self._receipt_for(existing, version)
        authorize(world.keyring, command, signer, LiveFacts(world))
        self._check_clock(command)
        assert kind.handler is not None
        changed = kind.handler(world, command, args, existing)
        recordings = self.save(*changed)
        self._cache.keep(changed, generation)
        return self._receipt_from(recordings, target)

    @staticmethod
    def _verify_once(command: SignedCommand, signer: KeyRecord, verified: set[str]) -> None:
        """The signature is checked once per command, not again on every retry."""
        if signer.public_key in verified:
            return
        if not command.signature_valid(signer.public_key):
            raise AuthorizationError(BAD_SIGNATURE, code="bad_signature", field="signature")
        verified.add(signer.public_key)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        recordings = super().save(*objs, **kwargs)
        for hook in self._after_save:
            try:
                hook(recordings)
            except Exception:
                # catching up or signing afterwards never undoes what was recorded
                log.exception("after_save_hook_failed", hook=getattr(hook, "__qualname__", hook))
        return recordings

    def _check_clock(self, command: SignedCommand) -> None:
        skew = abs(command.issued_at - self.clock.now())
        limit = timedelta(seconds=self.settings.max_clock_skew_seconds)
        if skew > limit:
            raise ValidationError(
                f"command.issued_at is {int(skew.total_seconds())} s away from the ledger's clock "
                f"(at most {int(limit.total_seconds())} s allowed); check the signer's clock",
                code="clock_skew",
                field="command.issued_at",
            )

    def _receipt_for(self, aggregate: LedgerAggregate, version: int) -> Receipt:
        events = list(self.events.get(aggregate.id, gt=version - 1, lte=version))
        event = cast(LedgerAggregate.Event, events[0])
        return Receipt(
            event_id=f"{aggregate.id}/{version}",
            aggregate_id=str(aggregate.id),
            version=version,
            event_type=event.event_type,
            event_hash=event.event_hash,
            position=(position := notification_id_of(self.recorder, aggregate.id, version)),
            leaf=self._leaves.of(position),
        )

    def _receipt_from(self, recordings: Sequence[Recording[UUID]], target: UUID) -> Receipt:
        recording = [r for r in recordings if r.domain_event.originator_id == target][-1]
        event = cast(LedgerAggregate.Event, recording.domain_event)
        return Receipt(
            event_id=f"{target}/{event.originator_version}",
            aggregate_id=str(target),
            version=event.originator_version,
            event_type=event.event_type,
            event_hash=event.event_hash,
            position=recording.notification.id,
            leaf=self._leaves.of(recording.notification.id),
        )

    @property
    def server_key(self) -> SigningKey:
        if self._server_key is None:
            self._server_key = SigningKey.load(self.settings.server_key_file)
        return self._server_key

    # -- reads of aggregates ---------------------------------------------------------------

    def aggregate(self, aggregate_id: UUID, *, for_change: bool = False) -> Any:
        """The aggregate as the log stands: shared and read-only, or (``for_change``) the
        caller's alone to change and save, out of the cache until it is saved."""
        if for_change:
            return self._cache.take(aggregate_id, self._load)
        return self._cache.get(aggregate_id, self._load)

    def _load(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _current(self, aggregate_id: UUID) -> Any:
        self._cache.refresh()
        return self.aggregate(aggregate_id)

    def keyring(self) -> Keyring:
        registry = self._current(KEY_REGISTRY_ID)
        return registry.keyring if registry is not None else Keyring()

    def is_initialised(self) -> bool:
        return bool(self.keyring().ledger)

    def unit(self, code: str) -> Unit | None:
        return cast(Unit | None, self._current(unit_id(code)))

    def indicator_set(self, code: str, version: int) -> IndicatorSet | None:
        return cast(IndicatorSet | None, self._current(indicator_set_id(code, version)))

    def campaign(self, code: str) -> Campaign | None:
        return cast(Campaign | None, self._current(campaign_id(code)))

    def scorecard(self, campaign: str, unit: str) -> Scorecard | None:
        return cast(Scorecard | None, self._current(scorecard_id(campaign, unit)))

    def survey(self, code: str) -> Survey | None:
        return cast(Survey | None, self._current(survey_id(code)))

    def tree(self, code: str, version: int) -> IndicatorTree:
        cached = self._trees.get((code, version))
        if cached is not None:
            return cached
        indicator_set = self.aggregate(indicator_set_id(code, version))
        if indicator_set is None:
            raise NotFoundError(
                f"indicator set {code} version {version} is not defined",
                field="command.args.indicator_set",
            )
        tree: IndicatorTree = indicator_set.tree
        if indicator_set.frozen:
            self._trees[(code, version)] = tree
        return tree

    def result_table(self, code: str) -> dict[str, Any]:
        """The campaign's result table as its aggregates stand (ledger.domain.results): what
        a publisher reviews and signs the hash of."""
        campaign = self.campaign(code)
        if campaign is None:
            raise NotFoundError(f"campaign {code} does not exist", code="unknown_campaign")
        tree = self.tree(campaign.indicator_set, campaign.indicator_set_version)
        cards = [self.scorecard(code, unit) for unit in campaign.units]
        units = {u.code: u.as_record() for code_ in campaign.units if (u := self.unit(code_))}
        return result_table(campaign, tree, [card for card in cards if card is not None], units)

    # -- deadlines ---------------------------------------------------------------------

    def tick(self) -> list[Receipt]:
        """Notice every deadline that has passed: lock the scorecards not submitted when
        self-assessment closed. Safe to run at any time and as often as wanted."""
        receipts = []
        for campaign in self.campaigns():
            for unit in campaign.units:
                target = scorecard_id(campaign.code, unit)
                for _ in range(MAX_ATTEMPTS):
                    self._cache.refresh()
                    try:
                        receipt = self._lock(target)
                    except IntegrityError:
                        self._cache.evict(target)
                        continue
                    if receipt is not None:
                        receipts.append(receipt)
                    break
        return receipts

    def _lock(self, target: UUID) -> Receipt | None:
        world = LedgerWorld(self)
        generation = self._cache.generation
        card = world.for_change(target)
        if card is None:
            return None
        if not lock_if_due(world, card, context(world, card)):
            self._cache.keep([card], generation)
            return None
        recordings = self.save(card)
        self._cache.keep([card], generation)
        return self._receipt_from(recordings, target)

    def campaigns(self) -> list[Campaign]:
        topic = get_topic(Campaign.CampaignCreated)
        found: list[Campaign] = []
        start: int | None = None
        while notifications := self.recorder.select_notifications(
            start, 500, topics=[topic], inclusive_of_start=False
        ):
            for notification in notifications:
                campaign = self._current(UUID(str(notification.originator_id)))
                if campaign is not None:
                    found.append(campaign)
            start = notifications[-1].id
        return found


def stored_events(
    ledger: Ledger, page: int = 1000
) -> Iterator[tuple[int, LedgerAggregate.Event | Undecodable]]:
    """Every stored event in log order, decoded; rows that cannot be decoded are yielded
    as :class:`Undecodable` so the verifier can name them."""
    start: int | None = None
    while True:
        notifications = ledger.recorder.select_notifications(start, page, inclusive_of_start=False)
        if not notifications:
            return
        for notification in notifications:
            yield notification.id, _decode(ledger, notification)
        start = notifications[-1].id


def _decode(ledger: Ledger, notification: Notification) -> LedgerAggregate.Event | Undecodable:
    if isinstance(notification.state, str):  # a row rewritten as text by hand
        notification = replace(notification, state=notification.state.encode("utf-8"))
    try:
        event = ledger.mapper.to_domain_event(notification)
    except Exception as error:  # any decoding failure is a finding
        reason = f"{type(error).__name__}: {error}"
    else:
        if isinstance(event, LedgerAggregate.Event):
            return event
        reason = f"unexpected event class {type(event).__name__}"
    return Undecodable(
        UUID(str(notification.originator_id)),
        notification.originator_version,
        notification.topic,
        reason,
    )
