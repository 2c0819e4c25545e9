"""Who may sign what: enrolled keys, their roles and scopes, as the ledger recorded them.

The keyring is plain state built by replaying key-registry events; the aggregate uses
it to check commands, and the verifier replays it to check the whole log."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from ledger.core.canonical import format_time, parse_time
from ledger.core.crypto import key_id_of

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
# the roles whose grants may name a scoring authority (and a year), or campaigns
# (appraiser only): docs/FORMATS.md §6, ledger.domain.scopes
AUTHORITY_ROLES = ("secretariat", "publisher", "survey_body", "inspector", "appraiser")
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
    """One appointment: a role, its unit or criterion codes, and for the roles of a scoring
    authority the authority (and year) or the campaigns it serves; ended when the ledger
    recorded its end (docs/FORMATS.md §6)."""

    role: str
    scope: tuple[str, ...] = ()
    authority: str | None = None
    year: int | None = None
    campaigns: tuple[str, ...] = ()
    ended_at: datetime | None = None
    end_reason: str | None = None
    _members: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_members", frozenset(self.scope))

    @property
    def active(self) -> bool:
        return self.ended_at is None

    def covers(self, target: str | None) -> bool:
        """Whether the grant, still in force, covers the unit or criterion ``target``
        (the authority and campaign are judged by ledger.domain.scopes)."""
        if self.ended_at is not None:
            return False
        kind = SCOPED_ROLES.get(self.role)
        if kind is None:
            return True
        if target is None:
            return False
        if kind == "unit":
            return target in self._members
        return any(target == code or target.startswith(code + ".") for code in self.scope)

    @property
    def scope_kind(self) -> str:
        """What the scope lists: unit codes, or criterion codes (in words)."""
        return {"unit": "unit", "criterion": "criteria"}.get(SCOPED_ROLES.get(self.role, ""), "")

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"role": self.role, "scope": list(self.scope)}
        # the members a grant recorded before scoped appointments lacks are left out
        if self.authority is not None:
            found["authority"] = self.authority
        if self.year is not None:
            found["year"] = self.year
        if self.campaigns:
            found["campaigns"] = list(self.campaigns)
        if self.ended_at is not None:
            found["ended_at"] = format_time(self.ended_at)
            found["end_reason"] = self.end_reason
        return found


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

    def as_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "public_key": self.public_key,
            "name": self.name,
            "title": self.title,
            "unit": self.unit,
            "roles": [g.as_json() for g in self.grants],
            "enrolled_at": format_time(self.enrolled_at),
            "revoked_at": format_time(self.revoked_at) if self.revoked_at else None,
            "revocation_reason": self.revocation_reason,
            "successor": self.successor,
            "predecessor": self.predecessor,
        }


def key_from_json(doc: dict[str, Any]) -> KeyRecord:
    """A key as :meth:`KeyRecord.as_json` wrote it."""
    return KeyRecord(
        key_id=doc["key_id"],
        public_key=doc["public_key"],
        name=doc["name"],
        title=doc["title"],
        unit=doc["unit"],
        grants=grants_from_json(doc["roles"]),
        enrolled_at=parse_time(doc["enrolled_at"]),
        revoked_at=parse_time(doc["revoked_at"]) if doc["revoked_at"] else None,
        revocation_reason=doc["revocation_reason"],
        successor=doc["successor"],
        predecessor=doc["predecessor"],
    )


def grants_from_json(items: list[dict[str, Any]]) -> tuple[Grant, ...]:
    return tuple(
        Grant(
            role=i["role"],
            scope=tuple(i.get("scope") or ()),
            authority=i.get("authority"),
            year=i.get("year"),
            campaigns=tuple(i.get("campaigns") or ()),
            ended_at=parse_time(i["ended_at"]) if i.get("ended_at") else None,
            end_reason=i.get("end_reason"),
        )
        for i in items
    )


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

    def apply(self, event_type: str, body: dict[str, Any], at: datetime) -> list[str]:
        """Apply one key-registry event; the ids of the keys it changed."""
        if event_type == "LedgerInitialised":
            self.ledger = body["ledger"]
            self.administrator = self._enrol(body["administrator"], (Grant("administrator"),), at)
            self.server = self._enrol(
                {"title": "", "unit": "", **body["server"]}, (Grant(SYSTEM_ROLE),), at
            )
            return [self.administrator, self.server]
        if event_type == "KeyEnrolled":
            return [self._enrol(body, grants_from_json(body["roles"]), at)]
        if event_type == "KeyAppointed":
            old = self.keys[body["key_id"]]
            self.keys[old.key_id] = replace(
                old, grants=old.grants + grants_from_json(body["roles"])
            )
            return [old.key_id]
        if event_type == "AppointmentEnded":
            old = self.keys[body["key_id"]]
            grants = list(old.grants)
            number = body["appointment"]
            grants[number] = replace(grants[number], ended_at=at, end_reason=body["reason"])
            self.keys[old.key_id] = replace(old, grants=tuple(grants))
            return [old.key_id]
        if event_type == "KeyRevoked":
            old = self.keys[body["key_id"]]
            self.keys[old.key_id] = replace(old, revoked_at=at, revocation_reason=body["reason"])
            return [old.key_id]
        if event_type == "KeyRotated":
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
            return [old.key_id, new_id]
        raise ValueError(f"unknown key registry event {event_type}")


class KeyLookup(Protocol):
    """What authorization reads of a key registry: the ledger's name and the keys."""

    @property
    def ledger(self) -> str: ...

    def get(self, key_id: str) -> KeyRecord | None: ...


@dataclass
class KeyTimeline:
    """The key registry at every point of a log: built from the registry's events with the
    index of each, it answers with the registry as it stood just before any index."""

    keyring: Keyring = field(default_factory=Keyring)
    genesis: int | None = None
    _indices: dict[str, list[int]] = field(default_factory=dict)
    _records: dict[str, list[KeyRecord]] = field(default_factory=dict)

    def apply(self, index: int, event_type: str, body: dict[str, Any], at: datetime) -> None:
        if event_type == "LedgerInitialised":
            if self.genesis is not None:
                return  # a second genesis: the verifier names it, the registry ignores it
            self.genesis = index
        for key_id in self.keyring.apply(event_type, body, at):
            record = self.keyring.keys.get(key_id)
            if record is not None:
                self._indices.setdefault(key_id, []).append(index)
                self._records.setdefault(key_id, []).append(record)

    def at(self, index: int) -> KeyringAt:
        return KeyringAt(self, index)

    def record_at(self, key_id: str, index: int) -> KeyRecord | None:
        indices = self._indices.get(key_id)
        if not indices:
            return None
        found = bisect_left(indices, index)
        return self._records[key_id][found - 1] if found else None

    def history(self) -> dict[str, list[tuple[int, KeyRecord]]]:
        """Every state of every key, with the index of the event that made it."""
        return {
            key_id: list(zip(self._indices[key_id], records, strict=True))
            for key_id, records in self._records.items()
        }


@dataclass(frozen=True)
class KeyringAt:
    """The registry just before ``index``: what authorization needs of a :class:`Keyring`."""

    timeline: KeyTimeline
    index: int

    @property
    def ledger(self) -> str:
        genesis = self.timeline.genesis
        return self.timeline.keyring.ledger if genesis is not None and genesis < self.index else ""

    def get(self, key_id: str) -> KeyRecord | None:
        return self.timeline.record_at(key_id, self.index)
