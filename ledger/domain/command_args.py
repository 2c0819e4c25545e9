"""The arguments of every command type, checked before anything is recorded."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from ledger.core.codes import CODE, KEY_ID, SHA256, UNIT_CODE
from ledger.core.errors import ValidationError
from ledger.domain.indicators import is_unit_kind
from ledger.domain.keyring import ROLES, SCOPED_ROLES

POINTS = r"^[0-9]{1,6}(\.[0-9]{1,6})?$"
PUBLIC_KEY = r"^[A-Za-z0-9+/]{43}=$"


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Person(Args):
    public_key: str = Field(pattern=PUBLIC_KEY)
    name: str = Field(min_length=1, max_length=200)
    title: str = Field(default="", max_length=200)
    unit: str = Field(default="", max_length=200)


class ServerKey(Args):
    public_key: str = Field(pattern=PUBLIC_KEY)
    name: str = Field(min_length=1, max_length=200)


class InitLedger(Args):
    administrator: Person
    server: ServerKey


class RoleGrant(Args):
    role: str
    scope: list[str] = Field(default_factory=list, max_length=500)

    @field_validator("role")
    @classmethod
    def known_role(cls, value: str) -> str:
        if value not in ROLES:
            raise ValueError(f"unknown role {value!r}; roles are {', '.join(ROLES)}")
        return value

    def model_post_init(self, context: Any, /) -> None:
        kind = SCOPED_ROLES.get(self.role)
        if kind is None and self.scope:
            raise ValueError(f"the role {self.role} applies everywhere and takes no scope")
        if kind is not None and not self.scope:
            raise ValueError(f"the role {self.role} needs a scope of {kind} codes")


class EnrolKey(Person):
    roles: list[RoleGrant] = Field(min_length=1, max_length=20)


class RevokeKey(Args):
    key_id: str = Field(pattern=KEY_ID)
    reason: str = Field(min_length=1, max_length=2000)


class RotateKey(Args):
    key_id: str = Field(pattern=KEY_ID)
    new_public_key: str = Field(pattern=PUBLIC_KEY)
    reason: str = Field(default="", max_length=2000)


class RegisterUnit(Args):
    code: str = Field(pattern=UNIT_CODE)
    name: str = Field(min_length=1, max_length=300)
    kind: str
    parent: str | None = Field(default=None, pattern=UNIT_CODE)
    ranking_group: str | None = Field(default=None, min_length=1, max_length=100)

    @field_validator("kind")
    @classmethod
    def unit_kind(cls, value: str) -> str:
        if not is_unit_kind(value):
            raise ValueError(
                "a unit kind is a lowercase word such as province, department, district"
            )
        return value


class UpdateUnit(RegisterUnit):
    pass


class DefineIndicatorSet(Args):
    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)
    code: str
    version: int = Field(ge=1)
    title: str
    precision: int = Field(ge=0, le=4)
    nodes: list[dict[str, Any]] = Field(min_length=1, max_length=5000)


class Schedule(Args):
    self_assessment_opens: str
    self_assessment_closes: str
    preliminary_appraisal_closes: str
    explanation_closes: str
    final_appraisal_closes: str


class AdjustmentItem(Args):
    code: str = Field(pattern=CODE)
    title: str = Field(min_length=1, max_length=300)
    kind: Literal["bonus", "penalty"]
    cap: str = Field(pattern=POINTS)


class GradeBand(Args):
    min: str = Field(pattern=POINTS)
    grade: str = Field(min_length=1, max_length=100)


class CreateCampaign(Args):
    code: str = Field(pattern=UNIT_CODE)
    year: int = Field(ge=2000, le=2100)
    title: str = Field(min_length=1, max_length=300)
    indicator_set: str
    indicator_set_version: int = Field(ge=1)
    units: list[str] = Field(min_length=1, max_length=20000)
    schedule: Schedule
    timezone: str = "Asia/Ho_Chi_Minh"
    adjustments: list[AdjustmentItem] = Field(default_factory=list, max_length=50)
    grade_bands: list[GradeBand] = Field(default_factory=list, max_length=20)


class FreezeIndicatorSet(Args):
    code: str
    version: int
    campaign: str


class OpenScorecard(Args):
    campaign: str
    unit: str
    unit_kind: str
    indicator_set: str
    indicator_set_version: int


class ScorecardArgs(Args):
    campaign: str = Field(pattern=UNIT_CODE)
    unit: str = Field(pattern=UNIT_CODE)


Inputs = dict[str, int | str | bool]


class RecordSelfScore(ScorecardArgs):
    criterion: str = Field(pattern=CODE)
    inputs: Inputs = Field(min_length=1, max_length=5)
    note: str = Field(default="", max_length=4000)
    explanation: str = Field(default="", max_length=8000)


class RecordAppraisal(ScorecardArgs):
    criterion: str = Field(pattern=CODE)
    inputs: Inputs = Field(min_length=1, max_length=5)
    reason: str = Field(default="", max_length=8000)


class RequestExplanation(ScorecardArgs):
    criterion: str = Field(pattern=CODE)
    note: str = Field(default="", max_length=4000)


class SubmitExplanation(ScorecardArgs):
    criterion: str = Field(pattern=CODE)
    explanation: str = Field(min_length=1, max_length=8000)


class RecordFinalAppraisal(ScorecardArgs):
    criterion: str = Field(pattern=CODE)
    decision: Literal["confirm", "revise"]
    inputs: Inputs | None = Field(default=None, min_length=1, max_length=5)
    reason: str = Field(default="", max_length=8000)


class AcceptSelfScores(ScorecardArgs):
    pass


class RecordAdjustment(ScorecardArgs):
    code: str = Field(pattern=CODE)
    points: str = Field(pattern=POINTS)
    reason: str = Field(min_length=1, max_length=4000)


class CorrectScore(ScorecardArgs):
    criterion: str = Field(pattern=CODE)
    points: str = Field(pattern=POINTS)
    reason: str = Field(min_length=1, max_length=4000)


class RecordTargets(ScorecardArgs):
    year: int = Field(ge=2000, le=2100)
    targets: dict[str, str] = Field(min_length=1, max_length=2000)
    note: str = Field(default="", max_length=4000)


class LockScorecard(ScorecardArgs):
    deadline: str


class FinaliseCampaign(Args):
    campaign: str = Field(pattern=UNIT_CODE)


class PublishResults(Args):
    campaign: str = Field(pattern=UNIT_CODE)
    table_sha256: str | None = Field(
        default=None,
        pattern=SHA256,
        description="the hash of the table the publisher reviewed; refused if it changed",
    )
    note: str = Field(default="", max_length=4000)

    @field_validator("table_sha256", mode="before")
    @classmethod
    def given_or_left_out(cls, value: object) -> object:
        if value is None:
            raise ValueError("leave table_sha256 out, or give the hash of the reviewed table")
        return value


class AttachEvidence(ScorecardArgs):
    criterion: str = Field(pattern=CODE)
    sha256: str = Field(pattern=SHA256)
    size: int = Field(ge=0)
    file_name: str = Field(min_length=1, max_length=255)
    media_type: str = Field(min_length=3, max_length=200)


class RemoveEvidence(ScorecardArgs):
    criterion: str = Field(pattern=CODE)
    sha256: str = Field(pattern=SHA256)
    reason: str = Field(default="", max_length=2000)


class SubmitSelfAssessment(ScorecardArgs):
    pass


class RecordExternalScore(ScorecardArgs):
    criterion: str = Field(pattern=CODE)
    points: str = Field(pattern=POINTS)
    source: Literal["survey", "sipas", "published"]
    source_document: str = Field(min_length=1, max_length=1000)


ARGS: dict[str, type[Args]] = {
    "init_ledger": InitLedger,
    "enrol_key": EnrolKey,
    "revoke_key": RevokeKey,
    "rotate_key": RotateKey,
    "register_unit": RegisterUnit,
    "update_unit": UpdateUnit,
    "define_indicator_set": DefineIndicatorSet,
    "create_campaign": CreateCampaign,
    "freeze_indicator_set": FreezeIndicatorSet,
    "open_scorecard": OpenScorecard,
    "record_self_score": RecordSelfScore,
    "attach_evidence": AttachEvidence,
    "remove_evidence": RemoveEvidence,
    "submit_self_assessment": SubmitSelfAssessment,
    "record_external_score": RecordExternalScore,
    "lock_scorecard": LockScorecard,
    "record_appraisal": RecordAppraisal,
    "request_explanation": RequestExplanation,
    "submit_explanation": SubmitExplanation,
    "record_final_appraisal": RecordFinalAppraisal,
    "accept_self_scores": AcceptSelfScores,
    "record_adjustment": RecordAdjustment,
    "finalise_campaign": FinaliseCampaign,
    "correct_score": CorrectScore,
    "record_targets": RecordTargets,
    "publish_results": PublishResults,
}


def parse_args(command_type: str, args: dict[str, Any]) -> Args:
    model = ARGS.get(command_type)
    if model is None:
        raise ValidationError(
            f"unknown command type {command_type!r}", code="unknown_command", field="command.type"
        )
    try:
        return model.model_validate(args)
    except PydanticValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        field = "command.args" + (f".{where}" if where else "")
        message = first["msg"].removeprefix("Value error, ")
        raise ValidationError(f"{field}: {message}", field=field) from None
