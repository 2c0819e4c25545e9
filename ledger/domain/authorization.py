"""Whether a signer may send a command: the signature, the key's state, and its roles and
scopes against the command table's row (docs/FORMATS.md §6).

The same checks serve the server, which checks a command before recording it, and the
verifier, which checks every recorded event against the keyring as it stood then."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ledger.core.crypto import key_id_of
from ledger.core.envelope import SignedCommand
from ledger.core.errors import AuthorizationError
from ledger.domain.commands import CommandType, command_type
from ledger.domain.keyring import AUTHORITY_ROLES, KeyLookup, KeyRecord
from ledger.domain.scopes import ScopeFacts, campaign_of, held_grants, needed_scope, reaches

BAD_SIGNATURE = "the signature does not verify"


def signer_of(keyring: KeyLookup, command: SignedCommand, *, verify: bool = True) -> KeyRecord:
    """The enrolled key that signed ``command``; the signature must verify (unless the
    caller verifies it itself, later: ``verify=False``)."""
    if command.type == "init_ledger":
        administrator = command.args.get("administrator")
        public_key = administrator.get("public_key") if isinstance(administrator, dict) else None
        if not isinstance(public_key, str) or key_id_of(public_key) != command.key_id:
            raise AuthorizationError(
                "the genesis command must be signed by the administrator key it establishes",
                code="bad_signature",
                field="signature",
            )
        record = KeyRecord(
            command.key_id, public_key, "", "", "", (), datetime.min.replace(tzinfo=UTC)
        )
    else:
        found = keyring.get(command.key_id)
        if found is None:
            raise AuthorizationError(
                f"key {command.key_id} is not enrolled on this ledger",
                code="unknown_key",
                field="command.key_id",
            )
        record = found
    if verify and not command.signature_valid(record.public_key):
        raise AuthorizationError(BAD_SIGNATURE, code="bad_signature", field="signature")
    return record


def authorize(
    keyring: KeyLookup, command: SignedCommand, signer: KeyRecord, facts: ScopeFacts
) -> None:
    """Refuse unless the signer was active and held a role and scope that allow the command;
    ``facts`` tell which authority runs the campaign the command acts in."""
    spec = command_type(command.type)
    if command.type == "init_ledger":
        if keyring.ledger:
            raise AuthorizationError(
                "the ledger is already initialised", code="already_initialised"
            )
        return
    if command.ledger != keyring.ledger:
        raise AuthorizationError(
            f"the command is for ledger {command.ledger!r}, this is {keyring.ledger!r}",
            code="wrong_ledger",
            field="command.ledger",
        )
    if not signer.active:
        raise AuthorizationError(
            f"key {signer.key_id} ({signer.name}) was revoked",
            code="key_revoked",
            field="command.key_id",
        )
    if allowing_role(spec, signer, command.args, facts) is not None:
        return
    target = _scope_target(spec, command.args)
    roles = " or ".join(sorted(spec.roles))
    where = f" for {spec.scope} {target}" if spec.scope else ""
    if spec.roles & set(AUTHORITY_ROLES):
        where += needed_scope(campaign_of(spec.name, command.args, facts))
    raise AuthorizationError(
        f"{command.type} needs the role {roles}{where}; key {signer.key_id} ({signer.name}) "
        f"holds {held_grants(signer)}",
        code="out_of_scope",
        field="command.key_id",
    )


def allowing_role(
    spec: CommandType, signer: KeyRecord, args: Mapping[str, Any], facts: ScopeFacts | None
) -> str | None:
    """The role under which ``signer`` may send a command of ``spec`` with ``args``:
    the first of its grants in force that covers the command's unit or criterion and
    reaches its campaign, ``key_holder`` for a command on the signer's own key, or None.
    Without ``facts`` (a recorded command described, not judged) the campaign is not asked."""
    target = _scope_target(spec, args)
    campaign = campaign_of(spec.name, args, facts) if facts is not None else None
    for role in sorted(spec.roles):
        for grant in signer.grants:
            if (
                grant.role == role
                and grant.covers(target)
                and (facts is None or reaches(grant, campaign, facts))
            ):
                return role
    if spec.key_holder_may and args.get("key_id") == signer.key_id and signer.active:
        return "key_holder"
    return None


def _scope_target(spec: CommandType, args: Mapping[str, Any]) -> str | None:
    if spec.scope is None:
        return None
    value = args.get(spec.scope)
    return value if isinstance(value, str) else None
