"""The command table: every command type declared once (docs/FORMATS.md §5).

A declaration names the argument model, who may sign (roles, and the argument their scope
must cover), the events the command may produce, how its target aggregate is found from its
arguments, and its handler. Parsing, authorization, the handlers, the verifier's checks,
the command line's subcommands and the API's description all read this table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import ValidationError as PydanticValidationError

from ledger.core.canonical import check_json_value
from ledger.core.errors import LedgerError, ValidationError
from ledger.core.ids import (
    KEY_REGISTRY_ID,
    campaign_id,
    indicator_set_id,
    scorecard_id,
    survey_id,
    unit_id,
)
from ledger.domain import command_args as a
from ledger.domain import handlers as h
from ledger.domain import scorecard_acts as acts
from ledger.domain import survey_acts
from ledger.domain.keyring import SYSTEM_ROLE

Target = Callable[[Mapping[str, Any]], UUID]


def _key_registry(args: Mapping[str, Any]) -> UUID:
    return KEY_REGISTRY_ID


def _unit(args: Mapping[str, Any]) -> UUID:
    return unit_id(str(args["code"]))


def _indicator_set(args: Mapping[str, Any]) -> UUID:
    return indicator_set_id(str(args["code"]), int(str(args["version"])))


def _created_campaign(args: Mapping[str, Any]) -> UUID:
    return campaign_id(str(args["code"]))


def _campaign(args: Mapping[str, Any]) -> UUID:
    return campaign_id(str(args["campaign"]))


def _defined_survey(args: Mapping[str, Any]) -> UUID:
    return survey_id(str(args["code"]))


def _survey(args: Mapping[str, Any]) -> UUID:
    return survey_id(str(args["survey"]))


def _scorecard(args: Mapping[str, Any]) -> UUID:
    return scorecard_id(str(args["campaign"]), str(args["unit"]))


@dataclass(frozen=True)
class CommandType:
    name: str
    summary: str
    args: type[a.Args]
    roles: frozenset[str]
    events: frozenset[str]
    # the aggregate the command addresses, from its (signed, unparsed) arguments
    target: Target
    # None for the acts the ledger itself records, with the server key
    handler: h.Handler | None
    # the argument whose value a scoped role's scope must cover
    scope: str | None = None
    # the holder of the key the command names may sign it too
    key_holder_may: bool = False

    @property
    def system(self) -> bool:
        return self.roles == {SYSTEM_ROLE}

    def signers(self) -> str:
        """Who may sign, in words: "unit_staff of the unit"."""
        who = " or ".join(sorted(self.roles))
        if self.scope:
            who += f" of the {self.scope}"
        if self.key_holder_may:
            who += ", or the holder of the key it names"
        return who

    def parse(self, raw: Mapping[str, Any]) -> Any:
        """The arguments as the model checks them; a refusal names the field and what to
        send."""
        check_json_value(raw, "command.args")
        try:
            return self.args.model_validate(raw)
        except PydanticValidationError as error:
            raise _argument_error(error) from None


def _argument_error(error: PydanticValidationError) -> LedgerError:
    first = error.errors()[0]
    location = [str(p) for p in first["loc"]]
    # a union names the member type it tried last ("inputs.points.int"): drop it
    while location and location[-1] in ("int", "str", "bool"):
        location.pop()
    where = ".".join(location)
    field_name = "command.args" + (f".{where}" if where else "")
    given = first.get("input")
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] in ("string_type", "int_type") or (
        location and location[0] == "inputs" and first["type"].endswith("_type")
    ):
        expected = "a string" if first["type"] == "string_type" else "a whole number"
        if location and location[0] == "inputs":
            expected = 'a decimal string (e.g. "1.5"), a whole number or true/false'
        message = f"{given!r} is not {expected}"
        if isinstance(given, int) and not isinstance(given, bool) and "string" in expected:
            message += f'; send decimals as strings, e.g. "{given}"'
    elif first["type"] == "missing":
        message = "this argument is required"
    elif first["type"] == "extra_forbidden":
        message = "this command takes no such argument"
    return ValidationError(f"{field_name}: {message}", field=field_name)


ADMIN = frozenset({"administrator"})
MANAGERS = frozenset({"administrator", "secretariat"})
SECRETARIAT = frozenset({"secretariat"})
SYSTEM = frozenset({SYSTEM_ROLE})
STAFF = frozenset({"unit_staff"})
APPRAISER = frozenset({"appraiser"})
SURVEYORS = frozenset({"survey_body", "secretariat"})


def _events(*names: str) -> frozenset[str]:
    return frozenset(names)


COMMAND_TYPES: tuple[CommandType, ...] = (
    CommandType(
        "init_ledger",
        "Initialise a new ledger (its first event); `parledger init` does it locally.",
        a.InitLedger,
        ADMIN,
        _events("LedgerInitialised"),
        _key_registry,
        h.init_ledger,
    ),
    CommandType(
        "enrol_key",
        "Enrol a person's public key with roles and scopes.",
        a.EnrolKey,
        ADMIN,
        _events("KeyEnrolled"),
        _key_registry,
        h.enrol_key,
    ),
    CommandType(
        "appoint_key",
        "Add grants to an enrolled key: an appointment to a council, a secretariat, a "
        "publisher or survey body of a scoring authority.",
        a.AppointKey,
        ADMIN,
        _events("KeyAppointed"),
        _key_registry,
        h.appoint_key,
    ),
    CommandType(
        "end_appointment",
        "End one of a key's grants, with the reason; the key itself stays enrolled.",
        a.EndAppointment,
        ADMIN,
        _events("AppointmentEnded"),
        _key_registry,
        h.end_appointment,
    ),
    CommandType(
        "revoke_key",
        "Revoke a key: nothing it signs afterwards is accepted.",
        a.RevokeKey,
        ADMIN,
        _events("KeyRevoked"),
        _key_registry,
        h.revoke_key,
    ),
    CommandType(
        "rotate_key",
        "Replace a key by a new one with the same holder and roles.",
        a.RotateKey,
        ADMIN,
        _events("KeyRotated"),
        _key_registry,
        h.rotate_key,
        key_holder_may=True,
    ),
    CommandType(
        "register_unit",
        "Register a unit under assessment (import-units reads many from CSV).",
        a.RegisterUnit,
        ADMIN,
        _events("UnitRegistered"),
        _unit,
        h.register_unit,
    ),
    CommandType(
        "update_unit",
        "Change a registered unit's name, kind, parent or ranking group.",
        a.UpdateUnit,
        ADMIN,
        _events("UnitUpdated"),
        _unit,
        h.update_unit,
    ),
    CommandType(
        "define_indicator_set",
        "Define or revise an indicator set version (import-indicator-set reads it from a "
        "CSV, YAML or JSON file).",
        a.DefineIndicatorSet,
        MANAGERS,
        _events("IndicatorSetDefined", "IndicatorSetRevised"),
        _indicator_set,
        h.define_indicator_set,
    ),
    CommandType(
        "create_campaign",
        "Create a campaign: its units, indicator set version, schedule, adjustments and "
        "grade bands; it freezes the set and opens every unit's scorecard.",
        a.CreateCampaign,
        MANAGERS,
        _events("CampaignCreated"),
        _created_campaign,
        h.create_campaign,
    ),
    CommandType(
        "freeze_indicator_set",
        "Freeze an indicator set version for a campaign (recorded by the ledger).",
        a.FreezeIndicatorSet,
        SYSTEM,
        _events("IndicatorSetFrozen"),
        _indicator_set,
        None,
    ),
    CommandType(
        "open_scorecard",
        "Open a unit's scorecard in a campaign (recorded by the ledger).",
        a.OpenScorecard,
        SYSTEM,
        _events("ScorecardOpened"),
        _scorecard,
        None,
    ),
    CommandType(
        "record_self_score",
        "Record a unit's self-score of one criterion, from the inputs its rule takes.",
        a.RecordSelfScore,
        STAFF,
        _events("SelfScoreRecorded"),
        _scorecard,
        h.scorecard(acts.record_self_score),
        scope="unit",
    ),
    CommandType(
        "attach_evidence",
        "Attach an uploaded evidence file to a criterion.",
        a.AttachEvidence,
        STAFF,
        _events("EvidenceAttached"),
        _scorecard,
        h.attach_evidence(acts.attach_evidence),
        scope="unit",
    ),
    CommandType(
        "remove_evidence",
        "Remove an evidence file from a criterion.",
        a.RemoveEvidence,
        STAFF,
        _events("EvidenceRemoved"),
        _scorecard,
        h.scorecard(acts.remove_evidence),
        scope="unit",
    ),
    CommandType(
        "submit_self_assessment",
        "Submit a unit's self-assessment (once).",
        a.SubmitSelfAssessment,
        frozenset({"unit_head"}),
        _events("SelfAssessmentSubmitted"),
        _scorecard,
        h.scorecard(acts.submit),
        scope="unit",
    ),
    CommandType(
        "record_external_score",
        "Record a score from a survey, SIPAS or a published source.",
        a.RecordExternalScore,
        frozenset({"survey_body", "secretariat"}),
        _events("ExternalScoreRecorded"),
        _scorecard,
        h.scorecard(acts.record_external_score),
    ),
    CommandType(
        "lock_scorecard",
        "Lock a scorecard not submitted when self-assessment closed (recorded by the ledger).",
        a.LockScorecard,
        SYSTEM,
        _events("ScorecardLockedAtDeadline"),
        _scorecard,
        None,
    ),
    CommandType(
        "record_appraisal",
        "Record the preliminary appraisal of a criterion.",
        a.RecordAppraisal,
        APPRAISER,
        _events("AppraisalRecorded"),
        _scorecard,
        h.scorecard(acts.record_appraisal),
        scope="criterion",
    ),
    CommandType(
        "request_explanation",
        "Ask the unit to explain a criterion's self-score.",
        a.RequestExplanation,
        APPRAISER,
        _events("ExplanationRequested"),
        _scorecard,
        h.scorecard(acts.request_explanation),
        scope="criterion",
    ),
    CommandType(
        "submit_explanation",
        "Submit a unit's explanation of a contested criterion.",
        a.SubmitExplanation,
        STAFF,
        _events("ExplanationSubmitted"),
        _scorecard,
        h.scorecard(acts.submit_explanation),
        scope="unit",
    ),
    CommandType(
        "record_final_appraisal",
        "Confirm or revise an appraisal after the explanation round.",
        a.RecordFinalAppraisal,
        APPRAISER,
        _events("AppraisalConfirmed", "AppraisalRevised"),
        _scorecard,
        h.scorecard(acts.record_final_appraisal),
        scope="criterion",
    ),
    CommandType(
        "accept_self_scores",
        "Accept the self-scores of every criterion no appraiser touched.",
        a.AcceptSelfScores,
        SECRETARIAT,
        _events("SelfScoresAccepted"),
        _scorecard,
        h.scorecard(acts.accept_self_scores),
    ),
    CommandType(
        "record_adjustment",
        "Record one of the campaign's bonuses or penalties for a unit.",
        a.RecordAdjustment,
        SECRETARIAT,
        _events("AdjustmentRecorded"),
        _scorecard,
        h.scorecard(acts.record_adjustment),
    ),
    CommandType(
        "finalise_campaign",
        "Finalise a campaign: every applicable leaf of every scorecard has its final score.",
        a.FinaliseCampaign,
        SECRETARIAT,
        _events("CampaignFinalised"),
        _campaign,
        h.finalise_campaign,
    ),
    CommandType(
        "correct_score",
        "Correct a settled score of a finalised campaign, with the reason.",
        a.CorrectScore,
        SECRETARIAT,
        _events("ScoreCorrected"),
        _scorecard,
        h.scorecard(acts.correct_score),
    ),
    CommandType(
        "record_targets",
        "Record a unit's targets for a year (the improvement plan).",
        a.RecordTargets,
        frozenset({"unit_head", "secretariat"}),
        _events("TargetsRecorded"),
        _scorecard,
        h.scorecard(acts.record_targets),
        scope="unit",
    ),
    CommandType(
        "publish_results",
        "Publish a finalised campaign's results: the table whose SHA-256 the publisher "
        "reviewed, at a signed checkpoint of the log.",
        a.PublishResults,
        frozenset({"publisher"}),
        _events("ResultsPublished"),
        _campaign,
        h.publish_results,
    ),
)
SURVEY_COMMANDS: tuple[CommandType, ...] = (
    CommandType(
        "define_survey",
        "Define or revise a survey (SIPAS or a sociological survey): its questions, units, "
        "method and the criteria it scores; frozen once answers are recorded against it.",
        a.DefineSurvey,
        SURVEYORS,
        _events("SurveyDefined", "SurveyRevised"),
        _defined_survey,
        survey_acts.define_survey,
    ),
    CommandType(
        "import_survey_batch",
        "Record an answer file's SHA-256, row count and tallies (never respondents); the "
        "points its method gives flow into the rated units' scorecards.",
        a.ImportSurveyBatch,
        frozenset({"survey_body"}),
        _events("SurveyBatchImported"),
        _survey,
        survey_acts.import_survey_batch,
    ),
    CommandType(
        "record_survey_points",
        "Record on a scorecard the points a survey batch gives (recorded by the ledger).",
        a.RecordSurveyPoints,
        SYSTEM,
        _events("ExternalScoreRecorded"),
        _scorecard,
        None,
    ),
)
COMMAND_TYPES += SURVEY_COMMANDS
COMMANDS: Mapping[str, CommandType] = {command.name: command for command in COMMAND_TYPES}


def command_type(name: str) -> CommandType:
    found = COMMANDS.get(name)
    if found is None:
        raise ValidationError(
            f"unknown command type {name!r}", code="unknown_command", field="command.type"
        )
    return found


def target_of(name: str, args: Mapping[str, Any]) -> UUID:
    """The aggregate a command addresses, from its arguments alone (FORMATS §7)."""
    return command_type(name).target(args)
