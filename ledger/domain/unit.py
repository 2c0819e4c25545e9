"""A unit under assessment (đơn vị): department, district, commune, province, ministry…"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.core.envelope import SignedCommand
from ledger.core.ids import unit_id
from ledger.domain.base import LedgerAggregate

UNIT_KINDS = ("ministry", "province", "department", "district", "commune")
KIND_TITLES = {
    "ministry": "Bộ, cơ quan ngang bộ",
    "province": "UBND tỉnh, thành phố",
    "department": "Sở, ban, ngành",
    "district": "UBND quận, huyện, thị xã",
    "commune": "UBND xã, phường, thị trấn",
}


@dataclass(frozen=True)
class UnitRecord:
    """A unit as its latest registration or update describes it: one reading of a unit
    event's body for the aggregate, the read models and the verifier."""

    code: str
    name: str
    kind: str
    parent: str | None
    ranking_group: str

    @classmethod
    def of(cls, body: dict[str, Any]) -> UnitRecord:
        return cls(
            code=body["code"],
            name=body["name"],
            kind=body["kind"],
            parent=body.get("parent"),
            ranking_group=body.get("ranking_group") or body["kind"],
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "parent": self.parent,
            "ranking_group": self.ranking_group,
        }


class Unit(LedgerAggregate):
    AGGREGATE_TYPE = "Unit"

    def __init__(self) -> None:
        super().__init__()
        self.code = ""
        self.name = ""
        self.kind = ""
        self.parent: str | None = None
        self.ranking_group = ""

    class UnitRegistered(LedgerAggregate.Created):
        pass

    class UnitUpdated(LedgerAggregate.Event):
        pass

    def when(self, event_type: str, body: dict[str, Any], at: datetime) -> None:
        record = UnitRecord.of(body)
        self.code = record.code
        self.name = record.name
        self.kind = record.kind
        self.parent = record.parent
        self.ranking_group = record.ranking_group

    def as_record(self) -> UnitRecord:
        return UnitRecord(self.code, self.name, self.kind, self.parent, self.ranking_group)

    @classmethod
    def register(cls, command: SignedCommand, at: datetime) -> Unit:
        return cls.open(
            cls.UnitRegistered,
            aggregate_id=unit_id(command.args["code"]),
            body=dict(command.args),
            command=command,
            at=at,
        )

    def update(self, command: SignedCommand, at: datetime) -> None:
        self.record(self.UnitUpdated, body=dict(command.args), command=command, at=at)
