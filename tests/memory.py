"""The ledger's rules without a database: the command table, authorization and the handlers
over aggregates kept in memory, for the aggregates' unit tests (tests/unit/test_<aggregate>.py).

:class:`MemoryLedger` does what :meth:`ledger.application.service.Ledger.execute` does up to
the save (parse, signature, replay, authorization, clock skew aside, the handler) and keeps
the changed aggregates in a dict; what it records is the aggregates' own events."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import UUID

from ledger.core.clock import ManualClock
from ledger.core.crypto import SigningKey
from ledger.core.envelope import SignedCommand, sign_command
from ledger.core.errors import AuthorizationError, LedgerError
from ledger.core.ids import KEY_REGISTRY_ID, campaign_id, indicator_set_id, scorecard_id, unit_id
from ledger.domain.authorization import authorize, signer_of
from ledger.domain.base import LedgerAggregate
from ledger.domain.campaign import MILESTONES, Campaign, PublicationFacts
from ledger.domain.commands import command_type
from ledger.domain.indicator_set import IndicatorSet
from ledger.domain.indicators import IndicatorTree
from ledger.domain.keyring import Keyring
from ledger.domain.results import result_table, table_sha256
from ledger.domain.scopes import LiveFacts
from ledger.domain.scorecard import Scorecard
from ledger.domain.unit import Unit
from ledger.domain.world import EvidenceFile

LEDGER = "memory-ledger"
START = datetime(2023, 1, 10, 2, 0, tzinfo=UTC)

SET: dict[str, Any] = {
    "code": "T-SET",
    "version": 1,
    "title": "Bộ chỉ số thử",
    "precision": 2,
    "nodes": [
        {"code": "1", "level": "area", "title": "Chỉ đạo", "max_points": "3"},
        {
            "code": "1.1",
            "level": "criterion",
            "title": "Kế hoạch",
            "max_points": "1",
            "score_source": "appraisal",
            "rule": {"kind": "free", "step": "0.25"},
        },
        {
            "code": "1.2",
            "level": "criterion",
            "title": "Báo cáo",
            "max_points": "2",
            "score_source": "appraisal",
            "applies_to": ["district"],
        },
        {"code": "2", "level": "area", "title": "Tác động", "max_points": "2"},
        {
            "code": "2.1",
            "level": "criterion",
            "title": "Khảo sát",
            "max_points": "2",
            "score_source": "survey",
        },
    ],
}


def schedule(start: datetime = START) -> dict[str, str]:
    """Self-assessment from day 0 to 30, preliminary appraisal to 45, explanations to 52,
    final appraisal to 60."""
    offsets = (0, 30, 45, 52, 60)
    return {
        name: (start + timedelta(days=d)).isoformat()
        for name, d in zip(MILESTONES, offsets, strict=True)
    }


@dataclass
class MemoryLedger:
    clock: ManualClock = field(default_factory=lambda: ManualClock(START))
    admin: SigningKey = field(default_factory=SigningKey.generate)
    server: SigningKey = field(default_factory=SigningKey.generate)
    aggregates: dict[UUID, LedgerAggregate] = field(default_factory=dict)
    files: dict[str, EvidenceFile] = field(default_factory=dict)
    keys: dict[str, SigningKey] = field(default_factory=dict)

    # -- the command path, as the service has it up to the save ------------------------------

    def execute(self, command: SignedCommand) -> list[LedgerAggregate.Event]:
        """Record ``command``; the events recorded (none when it was recorded before)."""
        kind = command_type(command.type)
        args = kind.parse(command.args)
        if kind.system:
            raise AuthorizationError(
                f"{command.type} is recorded by the ledger itself", code="system_command"
            )
        world = MemoryWorld(self)
        signer = signer_of(world.keyring, command)
        existing = world.for_change(kind.target(command.args))
        if existing is not None and existing.previous_command(command) is not None:
            return []
        authorize(world.keyring, command, signer, LiveFacts(world))
        assert kind.handler is not None
        recorded: list[LedgerAggregate.Event] = []
        for aggregate in kind.handler(world, command, args, existing):
            recorded += cast(list[LedgerAggregate.Event], aggregate.collect_events())
            self.aggregates[aggregate.id] = aggregate
        return recorded

    def command(
        self, key: SigningKey, command_type: str, args: dict[str, Any], nonce: str | None = None
    ) -> SignedCommand:
        return sign_command(
            key,
            ledger=LEDGER,
            type=command_type,
            args=args,
            issued_at=self.clock.now(),
            nonce=nonce,
        )

    def send(
        self, key: SigningKey | str, command_type: str, args: dict[str, Any]
    ) -> list[LedgerAggregate.Event]:
        signer = self.keys[key] if isinstance(key, str) else key
        return self.execute(self.command(signer, command_type, args))

    def refused(self, key: SigningKey | str, command_type: str, args: dict[str, Any]) -> str:
        """The code of the refusal ``command_type`` meets; nothing is recorded."""
        before = {i: a.version for i, a in self.aggregates.items()}
        try:
            self.send(key, command_type, args)
        except LedgerError as error:
            assert {i: a.version for i, a in self.aggregates.items()} == before
            return error.code
        raise AssertionError(f"{command_type} was recorded, not refused")

    # -- a small world to act in --------------------------------------------------------

    def initialise(self) -> MemoryLedger:
        self.send(
            self.admin,
            "init_ledger",
            {
                "administrator": {"public_key": self.admin.public_key, "name": "Quản trị"},
                "server": {"public_key": self.server.public_key, "name": "Máy chủ"},
            },
        )
        self.keys["admin"] = self.admin
        return self

    def enrol(self, name: str, role: str, scope: list[str] | None = None) -> SigningKey:
        key = SigningKey.generate()
        self.send(
            self.admin,
            "enrol_key",
            {
                "public_key": key.public_key,
                "name": name,
                "roles": [{"role": role, "scope": scope or []}],
            },
        )
        self.keys[name] = key
        return key

    def with_campaign(self, **extra: Any) -> MemoryLedger:
        """Units D1, D2 (districts) and S1 (a department), a key per role, the small set and
        campaign C2023 on the schedule above."""
        self.initialise()
        for code, kind in (("D1", "district"), ("D2", "district"), ("S1", "department")):
            self.send(
                self.admin, "register_unit", {"code": code, "name": f"Đơn vị {code}", "kind": kind}
            )
        self.enrol("staff", "unit_staff", ["D1"])
        self.enrol("head", "unit_head", ["D1"])
        self.enrol("staff2", "unit_staff", ["D2"])
        self.enrol("survey", "survey_body")
        self.enrol("appraiser", "appraiser", ["1"])
        self.enrol("secretariat", "secretariat")
        self.enrol("publisher", "publisher")
        self.send(self.admin, "define_indicator_set", SET)
        self.send(
            self.admin,
            "create_campaign",
            {
                "code": "C2023",
                "year": 2023,
                "title": "Kỳ đánh giá 2023",
                "indicator_set": "T-SET",
                "indicator_set_version": 1,
                "units": ["D1", "D2", "S1"],
                "schedule": schedule(),
                **extra,
            },
        )
        return self

    def at_day(self, days: float) -> None:
        self.clock.set(START + timedelta(days=days))

    def get(self, aggregate_id: UUID) -> Any:
        return self.aggregates.get(aggregate_id)

    def card(self, unit: str, campaign: str = "C2023") -> Scorecard:
        found = self.get(scorecard_id(campaign, unit))
        assert isinstance(found, Scorecard)
        return found

    def campaign(self, code: str = "C2023") -> Campaign:
        found = self.get(campaign_id(code))
        assert isinstance(found, Campaign)
        return found

    def table_sha256(self, code: str = "C2023") -> str:
        return table_sha256(MemoryWorld(self).table(code))


class MemoryWorld:
    """One command's view of a :class:`MemoryLedger` (ledger.domain.world.World)."""

    def __init__(self, ledger: MemoryLedger) -> None:
        self.ledger = ledger
        self.now = ledger.clock.now()

    @property
    def keyring(self) -> Keyring:
        registry = self.ledger.get(KEY_REGISTRY_ID)
        return cast(Keyring, registry.keyring) if registry is not None else Keyring()

    def for_change(self, aggregate_id: UUID) -> Any:
        found = self.ledger.get(aggregate_id)
        return None if found is None else copy.deepcopy(found)

    def unit(self, code: str) -> Unit | None:
        return cast(Unit | None, self.ledger.get(unit_id(code)))

    def indicator_set(self, code: str, version: int) -> IndicatorSet | None:
        return cast(IndicatorSet | None, self.ledger.get(indicator_set_id(code, version)))

    def tree(self, code: str, version: int) -> IndicatorTree:
        found = self.indicator_set(code, version)
        assert found is not None
        return found.tree

    def campaign(self, code: str) -> Campaign | None:
        return cast(Campaign | None, self.ledger.get(campaign_id(code)))

    def scorecard(self, campaign: str, unit: str) -> Scorecard | None:
        return cast(Scorecard | None, self.ledger.get(scorecard_id(campaign, unit)))

    def system_command(self, command_type: str, args: dict[str, Any]) -> SignedCommand:
        return sign_command(
            self.ledger.server, ledger=LEDGER, type=command_type, args=args, issued_at=self.now
        )

    def evidence_file(self, sha256: str) -> EvidenceFile | None:
        return self.ledger.files.get(sha256)

    def table(self, code: str) -> dict[str, Any]:
        campaign = self.campaign(code)
        assert campaign is not None
        tree = self.tree(campaign.indicator_set, campaign.indicator_set_version)
        cards = [c for u in campaign.units if (c := self.scorecard(code, u)) is not None]
        units = {u: found.as_record() for u in campaign.units if (found := self.unit(u))}
        return result_table(campaign, tree, cards, units)

    def publication_facts(self, campaign: str, check: Callable[[str], None]) -> PublicationFacts:
        """The table's hash; no transparency log here, so the checkpoint is left empty."""
        table = self.table(campaign)
        digest = table_sha256(table)
        check(digest)
        size = sum(a.version for a in self.ledger.aggregates.values())
        return PublicationFacts(digest, size, "", "", len(table["units"]))
