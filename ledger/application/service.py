"""The ledger application: checks a signed command and records its event.

Order of checks for every command: envelope shape and arguments; signature against the
enrolled key; replay (the same command again answers with the first receipt); ledger,
key validity, role and scope; clock skew; then the domain rules. A refusal at any step
raises a :class:`~ledger.core.errors.LedgerError` and records nothing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Notification, Recording
from eventsourcing.utils import get_topic

from ledger.application.evidence import EvidenceStore
from ledger.application.media import sniff
from ledger.application.settings import Settings
from ledger.application.storage import APPLICATION_NAME, notification_id_of, persistence_env
from ledger.audit.event_checks import Undecodable
from ledger.core.canonical import format_time
from ledger.core.clock import Clock, SystemClock
from ledger.core.crypto import SigningKey
from ledger.core.envelope import SignedCommand, sign_command
from ledger.core.errors import (
    AuthorizationError,
    ConflictError,
    DomainError,
    NotFoundError,
    ValidationError,
)
from ledger.core.ids import (
    KEY_REGISTRY_ID,
    campaign_id,
    indicator_set_id,
    scorecard_id,
    target_of,
    unit_id,
)
from ledger.domain.authorization import authorize, signer_of, spec_for
from ledger.domain.base import LedgerAggregate
from ledger.domain.campaign import Campaign, PublicationFacts
from ledger.domain.command_args import parse_args
from ledger.domain.indicator_set import IndicatorSet
from ledger.domain.indicators import IndicatorTree
from ledger.domain.key_registry import KeyRegistry
from ledger.domain.keyring import SYSTEM_ROLE, KeyRecord, Keyring
from ledger.domain.scorecard import Context, Scorecard
from ledger.domain.unit import Unit

MAX_ATTEMPTS = 20
log = structlog.get_logger(__name__)

Act = Callable[[Any], Sequence[LedgerAggregate]]


@dataclass(frozen=True)
class Receipt:
    """What an accepted command answers, the same every time it is sent."""

    event_id: str
    aggregate_id: str
    version: int
    event_type: str
    event_hash: str
    position: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class Ledger(Application[UUID]):
    name = APPLICATION_NAME

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Clock | None = None,
        server_key: SigningKey | None = None,
    ) -> None:
        self.settings = settings or Settings()
        super().__init__(env=persistence_env(self.settings.database_url, self.settings.timeouts))
        self.clock: Clock = clock or SystemClock()
        self._server_key = server_key
        self.evidence = EvidenceStore(self.settings.evidence_dir)
        self._trees: dict[tuple[str, int], IndicatorTree] = {}
        # called after every save, e.g. by read models that catch up with the log; a
        # failure there is logged and never undoes or refuses what was recorded
        self.after_save: list[Callable[[], None]] = []
        # computes the result table and signs the log's checkpoint for a publication; the
        # read side provides it (projections.publication), so the ledger alone cannot publish
        # (campaign, check of the table's hash before anything is kept or signed) -> facts
        self.publication_facts: Callable[[str, Callable[[str], None]], PublicationFacts] | None = (
            None
        )
        self._handlers: dict[str, Callable[[SignedCommand, Keyring, KeyRecord], Receipt]] = {
            "init_ledger": self._init_ledger,
            "enrol_key": self._key_command(KeyRegistry.enrol),
            "revoke_key": self._key_command(KeyRegistry.revoke),
            "rotate_key": self._key_command(KeyRegistry.rotate),
            "register_unit": self._register_unit,
            "update_unit": self._update_unit,
            "define_indicator_set": self._define_indicator_set,
            "create_campaign": self._create_campaign,
            "record_self_score": self._scorecard_command(Scorecard.record_self_score),
            "attach_evidence": self._attach_evidence,
            "remove_evidence": self._scorecard_command(Scorecard.remove_evidence),
            "submit_self_assessment": self._scorecard_command(Scorecard.submit),
            "record_external_score": self._scorecard_command(Scorecard.record_external_score),
            "record_appraisal": self._scorecard_command(Scorecard.record_appraisal),
            "request_explanation": self._scorecard_command(Scorecard.request_explanation),
            "submit_explanation": self._scorecard_command(Scorecard.submit_explanation),
            "record_final_appraisal": self._scorecard_command(Scorecard.record_final_appraisal),
            "accept_self_scores": self._scorecard_command(Scorecard.accept_self_scores),
            "record_adjustment": self._scorecard_command(Scorecard.record_adjustment),
            "correct_score": self._scorecard_command(Scorecard.correct_score),
            "record_targets": self._scorecard_command(Scorecard.record_targets),
            "finalise_campaign": self._finalise_campaign,
            "publish_results": self._publish_results,
        }

    # -- the command path ------------------------------------------------------------

    def execute(self, envelope: SignedCommand | dict[str, Any]) -> Receipt:
        command = (
            envelope
            if isinstance(envelope, SignedCommand)
            else SignedCommand.from_envelope(envelope)
        )
        parse_args(command.type, command.args)
        if spec_for(command.type).roles == {SYSTEM_ROLE}:
            raise AuthorizationError(
                f"{command.type} is recorded by the ledger itself, not sent by a person",
                code="system_command",
                field="command.type",
            )
        handler = self._handlers[command.type]
        for attempt in range(MAX_ATTEMPTS):
            keyring = self.keyring()
            signer = signer_of(keyring, command)
            try:
                return handler(command, keyring, signer)
            except IntegrityError:
                # another writer recorded on the same aggregate first: reload and try again
                time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))  # noqa: S311
        raise ConflictError(
            "the record changed while this command was being recorded; send it again"
        )

    def _act(
        self,
        command: SignedCommand,
        keyring: Keyring,
        signer: KeyRecord,
        target: UUID,
        act: Act,
        prepare: Callable[[Any], object] | None = None,
    ) -> Receipt:
        existing = self._get(target)
        if prepare is not None:
            prepare(existing)
        if existing is not None:
            version = existing.previous_command(command)
            if version is not None:
                return self._receipt_for(existing, version)
        authorize(keyring, command, signer)
        self._check_clock(command)
        changed = act(existing)
        recordings = self.save(*changed)
        return self._receipt_from(recordings, target)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        recordings = super().save(*objs, **kwargs)
        for hook in self.after_save:
            try:
                hook()
            except Exception:
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
            position=notification_id_of(self.recorder, aggregate.id, version),
        )

    @staticmethod
    def _receipt_from(recordings: Sequence[Recording[UUID]], target: UUID) -> Receipt:
        recording = [r for r in recordings if r.domain_event.originator_id == target][-1]
        event = cast(LedgerAggregate.Event, recording.domain_event)
        return Receipt(
            event_id=f"{target}/{event.originator_version}",
            aggregate_id=str(target),
            version=event.originator_version,
            event_type=event.event_type,
            event_hash=event.event_hash,
            position=recording.notification.id,
        )

    def _get(self, aggregate_id: UUID, *, copy: bool = True) -> Any:
        try:
            return self.repository.get(aggregate_id, deepcopy_from_cache=copy)
        except AggregateNotFoundError:
            return None

    def _system_command(self, keyring: Keyring, type_: str, args: dict[str, Any]) -> SignedCommand:
        key = self.server_key
        if key.key_id != keyring.server:
            raise DomainError(
                f"the server key in {self.settings.server_key_file} is not this ledger's "
                f"server key ({keyring.server})",
                code="wrong_server_key",
            )
        return sign_command(
            key, ledger=keyring.ledger, type=type_, args=args, issued_at=self.clock.now()
        )

    @property
    def server_key(self) -> SigningKey:
        if self._server_key is None:
            self._server_key = SigningKey.load(self.settings.server_key_file)
        return self._server_key

    # -- reads of aggregates (for the command line; views come from projections) ---------

    def keyring(self) -> Keyring:
        registry = self._get(KEY_REGISTRY_ID, copy=False)
        return registry.keyring if registry is not None else Keyring()

    def is_initialised(self) -> bool:
        return bool(self.keyring().ledger)

    def unit(self, code: str) -> Unit | None:
        return cast(Unit | None, self._get(unit_id(code), copy=False))

    def indicator_set(self, code: str, version: int) -> IndicatorSet | None:
        return cast(IndicatorSet | None, self._get(indicator_set_id(code, version), copy=False))

    def campaign(self, code: str) -> Campaign | None:
        return cast(Campaign | None, self._get(campaign_id(code), copy=False))

    def scorecard(self, campaign: str, unit: str) -> Scorecard | None:
        return cast(Scorecard | None, self._get(scorecard_id(campaign, unit), copy=False))

    def tree(self, code: str, version: int) -> IndicatorTree:
        cached = self._trees.get((code, version))
        if cached is not None:
            return cached
        indicator_set = self.indicator_set(code, version)
        if indicator_set is None:
            raise NotFoundError(
                f"indicator set {code} version {version} is not defined",
                field="command.args.indicator_set",
            )
        tree = indicator_set.tree
        if indicator_set.frozen:
            self._trees[(code, version)] = tree
        return tree

    # -- handlers --------------------------------------------------------------------

    def _init_ledger(self, command: SignedCommand, keyring: Keyring, signer: KeyRecord) -> Receipt:
        def act(existing: KeyRegistry | None) -> list[LedgerAggregate]:
            return [KeyRegistry.initialise(command, self.clock.now())]

        return self._act(command, keyring, signer, KEY_REGISTRY_ID, act)

    def _key_command(
        self, method: Callable[[KeyRegistry, SignedCommand, datetime], None]
    ) -> Callable[[SignedCommand, Keyring, KeyRecord], Receipt]:
        def handle(command: SignedCommand, keyring: Keyring, signer: KeyRecord) -> Receipt:
            def act(registry: KeyRegistry | None) -> list[LedgerAggregate]:
                if registry is None:
                    raise NotFoundError("the ledger is not initialised", code="not_initialised")
                for grant in command.args.get("roles", []):
                    if grant["role"] in ("unit_staff", "unit_head"):
                        missing = [u for u in grant["scope"] if self.unit(u) is None]
                        if missing:
                            raise NotFoundError(
                                f"unit(s) {', '.join(missing)} are not registered",
                                code="unknown_unit",
                                field="command.args.roles",
                            )
                method(registry, command, self.clock.now())
                return [registry]

            return self._act(command, keyring, signer, KEY_REGISTRY_ID, act)

        return handle

    def _register_unit(
        self, command: SignedCommand, keyring: Keyring, signer: KeyRecord
    ) -> Receipt:
        def act(existing: Unit | None) -> list[LedgerAggregate]:
            if existing is not None:
                raise DomainError(
                    f"unit {command.args['code']} is already registered",
                    code="unit_exists",
                    field="command.args.code",
                )
            self._check_parent(command)
            return [Unit.register(command, self.clock.now())]

        return self._act(command, keyring, signer, unit_id(command.args["code"]), act)

    def _update_unit(self, command: SignedCommand, keyring: Keyring, signer: KeyRecord) -> Receipt:
        def act(existing: Unit | None) -> list[LedgerAggregate]:
            if existing is None:
                raise NotFoundError(
                    f"unit {command.args['code']} is not registered",
                    code="unknown_unit",
                    field="command.args.code",
                )
            self._check_parent(command)
            existing.update(command, self.clock.now())
            return [existing]

        return self._act(command, keyring, signer, unit_id(command.args["code"]), act)

    def _check_parent(self, command: SignedCommand) -> None:
        parent = command.args.get("parent")
        if parent is None:
            return
        if parent == command.args["code"]:
            raise ValidationError("a unit cannot be its own parent", field="command.args.parent")
        if self.unit(parent) is None:
            raise NotFoundError(
                f"parent unit {parent} is not registered",
                code="unknown_unit",
                field="command.args.parent",
            )

    def _define_indicator_set(
        self, command: SignedCommand, keyring: Keyring, signer: KeyRecord
    ) -> Receipt:
        target = indicator_set_id(command.args["code"], command.args["version"])

        def act(existing: IndicatorSet | None) -> list[LedgerAggregate]:
            if existing is None:
                return [IndicatorSet.define(command, self.clock.now())]
            existing.revise(command, self.clock.now())
            return [existing]

        return self._act(command, keyring, signer, target, act)

    def _create_campaign(
        self, command: SignedCommand, keyring: Keyring, signer: KeyRecord
    ) -> Receipt:
        args = command.args

        def act(existing: Campaign | None) -> list[LedgerAggregate]:
            if existing is not None:
                raise DomainError(
                    f"campaign {args['code']} already exists",
                    code="campaign_exists",
                    field="command.args.code",
                )
            at = self.clock.now()
            indicator_set = self._get(
                indicator_set_id(args["indicator_set"], args["indicator_set_version"])
            )
            if indicator_set is None:
                raise NotFoundError(
                    f"indicator set {args['indicator_set']} version "
                    f"{args['indicator_set_version']} is not defined",
                    field="command.args.indicator_set",
                )
            units = {code: self.unit(code) for code in args["units"]}
            missing = [code for code, unit in units.items() if unit is None]
            if missing:
                raise NotFoundError(
                    f"unit(s) not registered: {', '.join(missing)}",
                    code="unknown_unit",
                    field="command.args.units",
                )
            tree = indicator_set.tree
            empty = sorted(
                {u.kind for u in units.values() if u and not tree.applicable_leaves(u.kind)}
            )
            if empty:
                raise DomainError(
                    f"no criterion of {tree.code} v{tree.version} applies to unit kind(s) "
                    f"{', '.join(empty)}",
                    code="not_applicable",
                    field="command.args.units",
                )
            campaign = Campaign.create(command, at)
            indicator_set.freeze(
                self._system_command(
                    keyring,
                    "freeze_indicator_set",
                    {
                        "code": tree.code,
                        "version": tree.version,
                        "campaign": args["code"],
                    },
                ),
                at,
            )
            cards = [
                Scorecard.open_for(
                    self._system_command(
                        keyring,
                        "open_scorecard",
                        {
                            "campaign": args["code"],
                            "unit": code,
                            "unit_kind": unit.kind,
                            "indicator_set": tree.code,
                            "indicator_set_version": tree.version,
                        },
                    ),
                    at,
                )
                for code, unit in units.items()
                if unit is not None
            ]
            return [campaign, indicator_set, *cards]

        return self._act(command, keyring, signer, campaign_id(args["code"]), act)

    def _scorecard_command(
        self, method: Callable[[Scorecard, SignedCommand, Context], None]
    ) -> Callable[[SignedCommand, Keyring, KeyRecord], Receipt]:
        def handle(command: SignedCommand, keyring: Keyring, signer: KeyRecord) -> Receipt:
            contexts: list[Context] = []

            def prepare(card: Scorecard | None) -> None:
                if card is not None:
                    contexts.append(self.context(card))
                    self._lock_if_due(card, keyring, contexts[0])

            def act(card: Scorecard | None) -> list[LedgerAggregate]:
                card = self._require_card(command, card)
                method(card, command, contexts[0] if contexts else self.context(card))
                return [card]

            return self._act(
                command, keyring, signer, target_of(command.type, command.args), act, prepare
            )

        return handle

    def context(self, card: Scorecard) -> Context:
        campaign = self.campaign(card.campaign)
        assert campaign is not None
        return Context(
            self.tree(card.indicator_set, card.indicator_set_version), campaign, self.clock.now()
        )

    def _lock_if_due(
        self, card: Scorecard | None, keyring: Keyring, ctx: Context | None = None
    ) -> Receipt | None:
        """Record the lock of a scorecard whose self-assessment closed unsubmitted; it is
        recorded once, whoever notices the deadline first."""
        if card is None:
            return None
        ctx = ctx or self.context(card)
        if not card.lock_due(ctx):
            return None
        deadline = ctx.milestone("self_assessment_closes")
        card.lock(
            self._system_command(
                keyring,
                "lock_scorecard",
                {"campaign": card.campaign, "unit": card.unit, "deadline": format_time(deadline)},
            ),
            ctx,
        )
        return self._receipt_from(self.save(card), card.id)

    def tick(self) -> list[Receipt]:
        """Notice every deadline that has passed: lock the scorecards not submitted when
        self-assessment closed. Safe to run at any time and as often as wanted."""
        keyring = self.keyring()
        receipts = []
        for campaign in self.campaigns():
            for unit in campaign.units:
                for _ in range(MAX_ATTEMPTS):
                    try:
                        receipt = self._lock_if_due(
                            self._get(scorecard_id(campaign.code, unit)), keyring
                        )
                    except IntegrityError:
                        continue
                    if receipt is not None:
                        receipts.append(receipt)
                    break
        return receipts

    def campaigns(self) -> list[Campaign]:
        topic = get_topic(Campaign.CampaignCreated)
        found: list[Campaign] = []
        start: int | None = None
        while notifications := self.recorder.select_notifications(
            start, 500, topics=[topic], inclusive_of_start=False
        ):
            for notification in notifications:
                campaign = self._get(UUID(str(notification.originator_id)), copy=False)
                if campaign is not None:
                    found.append(campaign)
            start = notifications[-1].id
        return found

    @staticmethod
    def _require_card(command: SignedCommand, card: Scorecard | None) -> Scorecard:
        if card is None:
            raise NotFoundError(
                f"unit {command.args['unit']} takes no part in campaign {command.args['campaign']}",
                code="unknown_scorecard",
                field="command.args.unit",
            )
        return card

    def _attach_evidence(
        self, command: SignedCommand, keyring: Keyring, signer: KeyRecord
    ) -> Receipt:
        sha256, size = command.args["sha256"], command.args["size"]
        if not self.evidence.has(sha256):
            raise NotFoundError(
                f"no evidence file {sha256} has been uploaded; upload the file before attaching it",
                code="evidence_missing",
                field="command.args.sha256",
            )
        if self.evidence.size_of(sha256) != size:
            raise ValidationError(
                f"the uploaded file has {self.evidence.size_of(sha256)} bytes, "
                f"the command says {size}",
                code="evidence_size_mismatch",
                field="command.args.size",
            )
        media_type = sniff(self.evidence.path_of(sha256))
        if media_type is None:
            raise ValidationError(
                "the uploaded file is not a PDF, PNG, JPEG, DOCX, XLSX, ODT or ODS document",
                code="unsupported_media_type",
                field="command.args.sha256",
            )
        if media_type != command.args["media_type"]:
            raise ValidationError(
                f"the uploaded file is {media_type}, the command says {command.args['media_type']}",
                code="evidence_media_type_mismatch",
                field="command.args.media_type",
            )
        return self._scorecard_command(Scorecard.attach_evidence)(command, keyring, signer)

    def _campaign_command(
        self,
        command: SignedCommand,
        keyring: Keyring,
        signer: KeyRecord,
        act: Callable[[Campaign], None],
    ) -> Receipt:
        code = command.args["campaign"]

        def found(campaign: Campaign | None) -> list[LedgerAggregate]:
            if campaign is None:
                raise NotFoundError(
                    f"campaign {code} does not exist", field="command.args.campaign"
                )
            act(campaign)
            return [campaign]

        return self._act(command, keyring, signer, campaign_id(code), found)

    def _finalise_campaign(
        self, command: SignedCommand, keyring: Keyring, signer: KeyRecord
    ) -> Receipt:
        def finalise(campaign: Campaign) -> None:
            tree = self.tree(campaign.indicator_set, campaign.indicator_set_version)
            unsettled = []
            for unit in campaign.units:
                card = self.scorecard(campaign.code, unit)
                missing = card.unsettled(tree) if card is not None else ["(no scorecard)"]
                if missing:
                    unsettled.append(f"{unit}: {', '.join(missing)}")
            campaign.finalise(command, self.clock.now(), unsettled)

        return self._campaign_command(command, keyring, signer, finalise)

    def _publish_results(
        self, command: SignedCommand, keyring: Keyring, signer: KeyRecord
    ) -> Receipt:
        def publish(campaign: Campaign) -> None:
            campaign.check_publishable()
            if self.publication_facts is None:
                raise DomainError(
                    "publishing needs the transparency log and its key: publish through the "
                    "service (parledger serve) or the command line on the local store",
                    code="publication_unavailable",
                )
            facts = self.publication_facts(
                campaign.code, lambda digest: campaign.check_table(command, digest)
            )
            campaign.publish(command, facts, self.clock.now())

        return self._campaign_command(command, keyring, signer, publish)


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
