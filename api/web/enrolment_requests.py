"""Enrolment requests: a key made in a browser, waiting for an administrator to enrol it.

A request is not a ledger event: nothing is signed on the ledger until the administrator
signs ``enrol_key``. Requests are kept in ``pv_enrolment_requests``, created with the read
models and never emptied by a rebuild (projections/store.py). A request is signed by the key
it asks for (proof that the browser holds it), over the RFC 8785 bytes of
``{"purpose": PURPOSE, "ledger": <ledger name>, "request": <the enrol_key arguments>}``.
Its status is ``pending`` or ``refused`` as kept here, and ``enrolled`` once the key is on
the ledger's key registry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.core.canonical import canonical_bytes, format_time
from ledger.core.crypto import key_id_of, verify_signature
from ledger.core.errors import AuthorizationError, DomainError, ValidationError
from ledger.domain.commands import command_type
from ledger.domain.keyring import Keyring
from projections.store import ViewStore

PURPOSE = "parledger-enrolment-request-v1"
REQUESTABLE_ROLES = ("unit_staff", "unit_head", "appraiser", "secretariat", "inspector")


@dataclass(frozen=True)
class EnrolmentRequest:
    key_id: str
    requested_at: str
    status: str
    args: dict[str, Any]
    decided_at: str | None = None
    decided_by: str | None = None
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "requested_at": self.requested_at,
            "status": self.status,
            "request": self.args,
            "decided_at": self.decided_at,
            "reason": self.reason,
        }


def signed_bytes(ledger: str, args: dict[str, Any]) -> bytes:
    return canonical_bytes({"purpose": PURPOSE, "ledger": ledger, "request": args})


def _from_row(row: dict[str, Any], keyring: Keyring) -> EnrolmentRequest:
    enrolled = keyring.get(row["key_id"]) is not None
    return EnrolmentRequest(
        key_id=row["key_id"],
        requested_at=row["requested_at"],
        status="enrolled" if enrolled else row["status"],
        args=json.loads(row["doc"]),
        decided_at=row["decided_at"],
        decided_by=row["decided_by"],
        reason=row["reason"],
    )


class EnrolmentRequests:
    def __init__(self, views: ViewStore) -> None:
        self.views = views

    def get(self, key_id: str, keyring: Keyring) -> EnrolmentRequest | None:
        rows = self.views.rows("SELECT * FROM {pv_enrolment_requests} WHERE key_id = ?", (key_id,))
        return _from_row(rows[0], keyring) if rows else None

    def listed(self, keyring: Keyring) -> list[EnrolmentRequest]:
        """Every request, the pending ones first, then the latest decided."""
        rows = self.views.rows("SELECT * FROM {pv_enrolment_requests} ORDER BY requested_at")
        found = [_from_row(row, keyring) for row in rows]
        pending = [r for r in found if r.status == "pending"]
        decided = sorted(
            (r for r in found if r.status != "pending"),
            key=lambda r: r.decided_at or r.requested_at,
            reverse=True,
        )
        return pending + decided

    def add(
        self, args: Any, signature: Any, ledger: str, keyring: Keyring, now: datetime
    ) -> EnrolmentRequest:
        """Keep a request after checking its arguments as ``enrol_key`` would and its
        signature by the key it asks for."""
        if not isinstance(args, dict) or not isinstance(signature, str):
            raise ValidationError("a request is {request, signature}", field="request")
        command_type("enrol_key").parse(args)
        for grant in args["roles"]:
            if grant["role"] not in REQUESTABLE_ROLES:
                raise ValidationError(
                    f"the role {grant['role']} is given by the administrator, not requested",
                    field="request.roles",
                )
        key_id = key_id_of(args["public_key"])
        if not verify_signature(args["public_key"], signature, signed_bytes(ledger, args)):
            raise AuthorizationError(
                "the request is not signed by the key it asks for",
                code="bad_signature",
                field="signature",
            )
        if keyring.get(key_id) is not None:
            raise DomainError(f"key {key_id} is already enrolled", code="key_exists")
        existing = self.get(key_id, keyring)
        if existing is not None and existing.status == "pending":
            raise DomainError(f"key {key_id} already has a pending request", code="request_exists")
        self.views.execute("DELETE FROM {pv_enrolment_requests} WHERE key_id = ?", (key_id,))
        self.views.execute(
            "INSERT INTO {pv_enrolment_requests} (key_id, requested_at, status, doc) "
            "VALUES (?, ?, ?, ?)",
            (key_id, format_time(now), "pending", json.dumps(args, ensure_ascii=False)),
        )
        found = self.get(key_id, keyring)
        assert found is not None
        return found

    def refuse(
        self, key_id: str, by: str, reason: str, keyring: Keyring, now: datetime
    ) -> EnrolmentRequest:
        request = self.get(key_id, keyring)
        if request is None or request.status != "pending":
            raise DomainError(
                "this request is no longer pending", code="request_not_pending", field="key_id"
            )
        if not reason.strip():
            raise ValidationError("a refusal gives its reason", field="reason")
        self.views.execute(
            "UPDATE {pv_enrolment_requests} SET status = ?, decided_at = ?, decided_by = ?, "
            "reason = ? WHERE key_id = ?",
            ("refused", format_time(now), by, reason.strip()[:2000], key_id),
        )
        refused = self.get(key_id, keyring)
        assert refused is not None
        return refused
