"""Which role may send which command, over what scope, producing which events.

One table serves the server, which checks a command before recording it, and the
verifier, which checks every recorded event against the keyring as it stood then."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.core.crypto import key_id_of
from ledger.core.envelope import SignedCommand
from ledger.core.errors import AuthorizationError
from ledger.domain.keyring import SYSTEM_ROLE, KeyLookup, KeyRecord


@dataclass(frozen=True)
class CommandSpec:
    roles: frozenset[str]
    events: frozenset[str]
    scope_arg: str | None = None
    key_holder_may: bool = False


def _spec(
    roles: set[str], events: set[str], scope_arg: str | None = None, key_holder_may: bool = False
) -> CommandSpec:
    return CommandSpec(frozenset(roles), frozenset(events), scope_arg, key_holder_may)


BAD_SIGNATURE = "the signature does not verify"
ADMIN = {"administrator"}
MANAGERS = {"administrator", "secretariat"}

COMMANDS: Mapping[str, CommandSpec] = {
    "init_ledger": _spec(ADMIN, {"LedgerInitialised"}),
    "enrol_key": _spec(ADMIN, {"KeyEnrolled"}),
    "revoke_key": _spec(ADMIN, {"KeyRevoked"}),
    "rotate_key": _spec(ADMIN, {"KeyRotated"}, key_holder_may=True),
    "register_unit": _spec(ADMIN, {"UnitRegistered"}),
    "update_unit": _spec(ADMIN, {"UnitUpdated"}),
    "define_indicator_set": _spec(MANAGERS, {"IndicatorSetDefined", "IndicatorSetRevised"}),
    "create_campaign": _spec(MANAGERS, {"CampaignCreated"}),
    "freeze_indicator_set": _spec({SYSTEM_ROLE}, {"IndicatorSetFrozen"}),
    "open_scorecard": _spec({SYSTEM_ROLE}, {"ScorecardOpened"}),
    "record_self_score": _spec({"unit_staff"}, {"SelfScoreRecorded"}, "unit"),
    "attach_evidence": _spec({"unit_staff"}, {"EvidenceAttached"}, "unit"),
    "remove_evidence": _spec({"unit_staff"}, {"EvidenceRemoved"}, "unit"),
    "submit_self_assessment": _spec({"unit_head"}, {"SelfAssessmentSubmitted"}, "unit"),
    "record_external_score": _spec({"survey_body", "secretariat"}, {"ExternalScoreRecorded"}),
    "lock_scorecard": _spec({SYSTEM_ROLE}, {"ScorecardLockedAtDeadline"}),
    "record_appraisal": _spec({"appraiser"}, {"AppraisalRecorded"}, "criterion"),
    "request_explanation": _spec({"appraiser"}, {"ExplanationRequested"}, "criterion"),
    "submit_explanation": _spec({"unit_staff"}, {"ExplanationSubmitted"}, "unit"),
    "record_final_appraisal": _spec(
        {"appraiser"}, {"AppraisalConfirmed", "AppraisalRevised"}, "criterion"
    ),
    "accept_self_scores": _spec({"secretariat"}, {"SelfScoresAccepted"}),
    "record_adjustment": _spec({"secretariat"}, {"AdjustmentRecorded"}),
    "finalise_campaign": _spec({"secretariat"}, {"CampaignFinalised"}),
    "correct_score": _spec({"secretariat"}, {"ScoreCorrected"}),
    "publish_results": _spec({"publisher"}, {"ResultsPublished"}),
    "record_targets": _spec({"unit_head", "secretariat"}, {"TargetsRecorded"}, "unit"),
}


def spec_for(command_type: str) -> CommandSpec:
    try:
        return COMMANDS[command_type]
    except KeyError:
        raise AuthorizationError(
            f"unknown command type {command_type!r}", code="unknown_command", field="command.type"
        ) from None


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


def authorize(keyring: KeyLookup, command: SignedCommand, signer: KeyRecord) -> None:
    """Refuse unless the signer was active and held a role and scope that allow the command."""
    spec = spec_for(command.type)
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
    if spec.key_holder_may and command.args.get("key_id") == signer.key_id:
        return
    target = _scope_target(spec, command.args)
    for grant in signer.grants:
        if grant.role in spec.roles and grant.covers(target):
            return
    roles = " or ".join(sorted(spec.roles))
    where = f" for {spec.scope_arg} {target}" if spec.scope_arg else ""
    raise AuthorizationError(
        f"{command.type} needs the role {roles}{where}; key {signer.key_id} ({signer.name}) "
        f"holds {', '.join(signer.roles()) or 'no role'}",
        code="out_of_scope",
        field="command.key_id",
    )


def _scope_target(spec: CommandSpec, args: Mapping[str, Any]) -> str | None:
    if spec.scope_arg is None:
        return None
    value = args.get(spec.scope_arg)
    return value if isinstance(value, str) else None
