"""Who may sign what: enrolled keys, their roles and scopes, as the ledger recorded them.

The keyring is plain state built by replaying key-registry events; the aggregate uses
it to check commands, and the verifier replays it to check the whole log."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ledger.crypto import key_id_of

ROLES = (
    "administrator",
    "secretariat",
    "unit_staff",
    "unit_head",
    "appraiser",
    "survey_body",
    "publisher",
    "inspector",
)
SYSTEM_ROLE = "system"
SCOPED_ROLES = {"unit_staff": "unit", "unit_head": "unit", "appraiser": "criterion"}
ROLE_TITLES = {
    "administrator": "Quản trị hệ thống",
    "secretariat": "Thường trực Hội đồng (Sở Nội vụ)",
    "unit_staff": "Cán bộ đầu mối",
    "unit_head": "Thủ trưởng đơn vị",
    "appraiser": "Thành viên Hội đồng thẩm định",
    "survey_body": "Cơ quan điều tra xã hội học",
    "publisher": "Cơ quan công bố",
    "inspector": "Thanh tra",
    SYSTEM_ROLE: "Hệ thống",
}


@dataclass(frozen=True)
class Grant:
    role: str
    scope: tuple[str, ...] = ()

    def covers(self, target: str | None) -> bool:
        kind = SCOPED_ROLES.get(self.role)
        if kind is None:
            return True
        if target is None:
            return False
        if kind == "unit":
            return target in self.scope
        return any(target == code or target.startswith(code + ".") for code in self.scope)

    def as_json(self) -> dict[str, Any]:
        return {"role": self.role, "scope": list(self.scope)}


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    public_key: str
    name: str
    title: str
    unit: str
    grants: tuple[Grant, ...]
    enrolled_at: datetime
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    successor: str | None = None
    predecessor: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def has_role(self, role: str, target: str | None = None) -> bool:
        return any(g.role == role and g.covers(target) for g in self.grants)

    def roles(self) -> list[str]:
        return [g.role for g in self.grants]


def grants_from_json(items: list[dict[str, Any]]) -> tuple[Grant, ...]:
    return tuple(Grant(role=i["role"], scope=tuple(i.get("scope") or ())) for i in items)


@dataclass
class Keyring:
    ledger: str = ""
    administrator: str | None = None
    server: str | None = None
    keys: dict[str, KeyRecord] = field(default_factory=dict)

    def get(self, key_id: str) -> KeyRecord | None:
        return self.keys.get(key_id)

    def _enrol(
        self,
        person: dict[str, Any],
        grants: tuple[Grant, ...],
        at: datetime,
        predecessor: str | None = None,
    ) -> str:
        key_id = key_id_of(person["public_key"])
        self.keys[key_id] = KeyRecord(
            key_id=key_id,
            public_key=person["public_key"],
            name=person["name"],
            title=person.get("title", ""),
            unit=person.get("unit", ""),
            grants=grants,
            enrolled_at=at,
            predecessor=predecessor,
        )
        return key_id

    def apply(self, event_type: str, body: dict[str, Any], at: datetime) -> None:
        if event_type == "LedgerInitialised":
            self.ledger = body["ledger"]
            self.administrator = self._enrol(body["administrator"], (Grant("administrator"),), at)
            self.server = self._enrol(
                {"title": "", "unit": "", **body["server"]}, (Grant(SYSTEM_ROLE),), at
            )
        elif event_type == "KeyEnrolled":
            self._enrol(body, grants_from_json(body["roles"]), at)
        elif event_type == "KeyRevoked":
            old = self.keys[body["key_id"]]
            self.keys[old.key_id] = replace(old, revoked_at=at, revocation_reason=body["reason"])
        elif event_type == "KeyRotated":
            old = self.keys[body["key_id"]]
            new_id = self._enrol(
                {
                    "public_key": body["new_public_key"],
                    "name": old.name,
                    "title": old.title,
                    "unit": old.unit,
                },
                old.grants,
                at,
                predecessor=old.key_id,
            )
            self.keys[old.key_id] = replace(
                old,
                revoked_at=at,
                revocation_reason=body.get("reason") or "rotated",
                successor=new_id,
            )
        else:
            raise ValueError(f"unknown key registry event {event_type}")
