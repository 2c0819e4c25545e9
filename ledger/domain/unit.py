"""A unit under assessment (đơn vị): department, district, commune, province, ministry…"""

from __future__ import annotations

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
        self.code = body["code"]
        self.name = body["name"]
        self.kind = body["kind"]
        self.parent = body.get("parent")
        self.ranking_group = body.get("ranking_group") or body["kind"]

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
