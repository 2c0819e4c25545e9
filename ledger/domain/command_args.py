"""The arguments of every command type (docs/FORMATS.md §5), checked before anything is
recorded. Each field says what it holds: the command line's options and the API's
description are generated from these models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ledger.core.codes import CODE, KEY_ID, SHA256, UNIT_CODE
from ledger.domain.indicators import is_unit_kind
from ledger.domain.keyring import AUTHORITY_ROLES, ROLES, SCOPED_ROLES
from ledger.domain.survey_definition import SurveyDefinition

POINTS = r"^[0-9]{1,6}(\.[0-9]{1,6})?$"
PUBLIC_KEY = r"^[A-Za-z0-9+/]{43}=$"
RFC3339 = "an RFC 3339 time with an offset, e.g. 2026-02-05T17:00:00+07:00"


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _points(what: str) -> Any:
    return Field(pattern=POINTS, description=f'{what}: a decimal written as a string, e.g. "1.5"')


CAMPAIGN: Any = Field(pattern=UNIT_CODE, description="the campaign's code")
UNIT: Any = Field(pattern=UNIT_CODE, description="the unit's code")
CRITERION: Any = Field(pattern=CODE, description="the criterion's code, e.g. 1.1 or 2.4.1")
INPUTS: Any = Field(
    min_length=1,
    max_length=5,
    description="what the leaf's scoring rule takes (docs/FORMATS.md §8.1): "
    '{"points": "1.25"} (free), {"achieved": true} (all or nothing), '
    '{"numerator": 95, "denominator": 100} (tiers, proportional), '
    '{"occurrences": 2} (deduction)',
)


class Person(Args):
    public_key: str = Field(
        pattern=PUBLIC_KEY, description="the key's 32 raw bytes in base64 (44 characters)"
    )
    name: str = Field(min_length=1, max_length=200, description="the key holder's name")
    title: str = Field(default="", max_length=200, description="the key holder's title")
    unit: str = Field(default="", max_length=200, description="the key holder's organisation")


class ServerKey(Args):
    public_key: str = Field(pattern=PUBLIC_KEY, description="the server key, base64")
    name: str = Field(min_length=1, max_length=200, description="the server key's name")


class InitLedger(Args):
    administrator: Person = Field(description="the genesis administrator, who signs this")
    server: ServerKey = Field(description="the server's key, which signs the system's acts")


class RoleGrant(Args):
    role: str = Field(description="one of " + ", ".join(ROLES))
    scope: list[str] = Field(
        default_factory=list,
        max_length=500,
        description="unit codes (unit_staff, unit_head) or criterion codes (appraiser)",
    )
    authority: str | None = Field(
        default=None,
        pattern=UNIT_CODE,
        description="the scoring authority served (secretariat, publisher, survey_body, "
        "inspector, appraiser): its campaigns and those of the units under it",
    )
    year: int | None = Field(
        default=None, ge=2000, le=2100, description="only the authority's campaigns of this year"
    )
    campaigns: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="appraiser: the campaigns of the council, instead of an authority",
    )

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
        if self.role not in AUTHORITY_ROLES and (self.authority or self.year or self.campaigns):
            raise ValueError(f"the role {self.role} serves no scoring authority")
        if self.campaigns and self.role != "appraiser":
            raise ValueError("only an appraiser's grant names campaigns")
        if self.campaigns and self.authority:
            raise ValueError("a grant names an authority or campaigns, not both")
        if self.year is not None and self.authority is None:
            raise ValueError("a year limits an authority's grant: name the authority")


class EnrolKey(Person):
    roles: list[RoleGrant] = Field(
        min_length=1,
        max_length=20,
        description='the grants, e.g. [{"role": "unit_staff", "scope": ["HN"]}]',
    )


class AppointKey(Args):
    key_id: str = Field(pattern=KEY_ID, description="the key's id (32 hex digits)")
    roles: list[RoleGrant] = Field(
        min_length=1,
        max_length=20,
        description='the new grants, e.g. [{"role": "appraiser", "scope": ["1"], '
        '"authority": "HK", "year": 2024}]',
    )


class EndAppointment(Args):
    key_id: str = Field(pattern=KEY_ID, description="the key's id (32 hex digits)")
    appointment: int = Field(
        ge=0, le=1000, description="which of the key's grants, counting from 0 as listed"
    )
    reason: str = Field(min_length=1, max_length=2000, description="why it ends")


class RevokeKey(Args):
    key_id: str = Field(pattern=KEY_ID, description="the key's id (32 hex digits)")
    reason: str = Field(min_length=1, max_length=2000, description="why it is revoked")


class RotateKey(Args):
    key_id: str = Field(pattern=KEY_ID, description="the id of the key being replaced")
    new_public_key: str = Field(pattern=PUBLIC_KEY, description="the new key, base64")
    reason: str = Field(default="", max_length=2000, description="why it is replaced")


class RegisterUnit(Args):
    code: str = Field(pattern=UNIT_CODE, description="the unit's code, e.g. SNV")
    name: str = Field(min_length=1, max_length=300, description="the unit's name")
    kind: str = Field(description="province, department, district, commune, ministry, …")
    parent: str | None = Field(
        default=None, pattern=UNIT_CODE, description="the code of the unit above it"
    )
    ranking_group: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="the group it is ranked in (default: its kind)",
    )

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
    code: str = Field(description="the set's code")
    version: int = Field(ge=1, description="the version being defined or revised")
    title: str = Field(description="the set's title")
    precision: int = Field(ge=0, le=4, description="decimal places of points (0–4)")
    nodes: list[dict[str, Any]] = Field(
        min_length=1, max_length=5000, description="the tree's nodes (docs/FORMATS.md §8)"
    )


class Schedule(Args):
    self_assessment_opens: str = Field(description=RFC3339)
    self_assessment_closes: str = Field(description=RFC3339)
    preliminary_appraisal_closes: str = Field(description=RFC3339)
    explanation_closes: str = Field(description=RFC3339)
    final_appraisal_closes: str = Field(description=RFC3339)


class AdjustmentItem(Args):
    code: str = Field(pattern=CODE, description="the item's code")
    title: str = Field(min_length=1, max_length=300, description="what it rewards or punishes")
    kind: Literal["bonus", "penalty"] = Field(description="bonus or penalty")
    cap: str = _points("the most points a unit can get or lose by it")


class GradeBand(Args):
    min: str = _points("the lowest index of the grade")
    grade: str = Field(min_length=1, max_length=100, description="the grade's name")


class CreateCampaign(Args):
    code: str = Field(pattern=UNIT_CODE, description="the campaign's code, e.g. HN-2025")
    year: int = Field(ge=2000, le=2100, description="the year assessed")
    title: str = Field(min_length=1, max_length=300, description="the campaign's title")
    indicator_set: str = Field(description="the indicator set's code")
    indicator_set_version: int = Field(ge=1, description="the indicator set's version")
    units: list[str] = Field(
        min_length=1, max_length=20000, description="the codes of the units it scores"
    )
    owner: str | None = Field(
        default=None,
        pattern=UNIT_CODE,
        description="the scoring authority that runs it (a registered unit, above every "
        "unit it scores); without it the campaign belongs to the whole ledger",
    )
    schedule: Schedule = Field(description="the five deadlines, strictly increasing")
    timezone: str = Field(default="Asia/Ho_Chi_Minh", description="IANA time zone for display")
    adjustments: list[AdjustmentItem] = Field(
        default_factory=list, max_length=50, description="bonus and penalty items and their caps"
    )
    grade_bands: list[GradeBand] = Field(
        default_factory=list, max_length=20, description="grades, from the highest minimum down"
    )
    disclosure: Literal["at_publication", "immediate"] = Field(
        default="at_publication",
        description="when its scorecards' content becomes public: at_publication (at its "
        "first publication) or immediate (once recorded)",
    )


class FreezeIndicatorSet(Args):
    code: str = Field(description="the set's code")
    version: int = Field(description="the set's version")
    campaign: str = Field(description="the campaign that uses it")


class OpenScorecard(Args):
    campaign: str = Field(description="the campaign's code")
    unit: str = Field(description="the unit's code")
    unit_kind: str = Field(description="the unit's kind when the campaign was created")
    indicator_set: str = Field(description="the campaign's indicator set")
    indicator_set_version: int = Field(description="the campaign's indicator set version")


class ScorecardArgs(Args):
    campaign: str = CAMPAIGN
    unit: str = UNIT


Inputs = dict[str, int | str | bool]


class RecordSelfScore(ScorecardArgs):
    criterion: str = CRITERION
    inputs: Inputs = INPUTS
    note: str = Field(default="", max_length=4000, description="a note")
    explanation: str = Field(
        default="", max_length=8000, description="how the score was reached, where no evidence"
    )


class RecordAppraisal(ScorecardArgs):
    criterion: str = CRITERION
    inputs: Inputs = INPUTS
    reason: str = Field(
        default="", max_length=8000, description="why, required when it differs from the self-score"
    )


class RequestExplanation(ScorecardArgs):
    criterion: str = CRITERION
    note: str = Field(default="", max_length=4000, description="what the unit should explain")


class SubmitExplanation(ScorecardArgs):
    criterion: str = CRITERION
    explanation: str = Field(min_length=1, max_length=8000, description="the unit's explanation")


class RecordFinalAppraisal(ScorecardArgs):
    criterion: str = CRITERION
    decision: Literal["confirm", "revise"] = Field(description="confirm or revise")
    inputs: Inputs | None = Field(
        default=None,
        min_length=1,
        max_length=5,
        description="the rule's inputs of a revision (none for a confirmation)",
    )
    reason: str = Field(default="", max_length=8000, description="why; required for a revision")


class AcceptSelfScores(ScorecardArgs):
    pass


class RecordAdjustment(ScorecardArgs):
    code: str = Field(pattern=CODE, description="one of the campaign's bonus or penalty items")
    points: str = _points("the points given or taken")
    reason: str = Field(min_length=1, max_length=4000, description="why")


class CorrectScore(ScorecardArgs):
    criterion: str = CRITERION
    points: str = _points("the corrected points")
    reason: str = Field(min_length=1, max_length=4000, description="why")


class RecordTargets(ScorecardArgs):
    year: int = Field(ge=2000, le=2100, description="the year the targets are for")
    targets: dict[str, str] = Field(
        min_length=1, max_length=2000, description='points by criterion, e.g. {"1.1": "1.5"}'
    )
    note: str = Field(default="", max_length=4000, description="where the targets come from")


class LockScorecard(ScorecardArgs):
    deadline: str = Field(description="the deadline that passed (RFC 3339)")


class FinaliseCampaign(Args):
    campaign: str = CAMPAIGN


class PublishResults(Args):
    campaign: str = CAMPAIGN
    table_sha256: str = Field(
        pattern=SHA256,
        description="the SHA-256 of the result table the publisher reviewed "
        "(GET /v1/campaigns/{code}/results/preview); refused if the table changed",
    )
    note: str = Field(default="", max_length=4000, description="e.g. the decision announcing it")


class AttachEvidence(ScorecardArgs):
    criterion: str = CRITERION
    sha256: str = Field(pattern=SHA256, description="SHA-256 of the uploaded file (hex)")
    size: int = Field(ge=0, description="the file's size in bytes")
    file_name: str = Field(min_length=1, max_length=255, description="the file's name")
    media_type: str = Field(
        min_length=3, max_length=200, description="the file's media type, as told by its content"
    )


class RemoveEvidence(ScorecardArgs):
    criterion: str = CRITERION
    sha256: str = Field(pattern=SHA256, description="SHA-256 of the attached file")
    reason: str = Field(default="", max_length=2000, description="why it is removed")


class SubmitSelfAssessment(ScorecardArgs):
    pass


class RecordExternalScore(ScorecardArgs):
    criterion: str = CRITERION
    points: str = _points("the points")
    source: Literal["survey", "sipas", "published"] = Field(
        description="survey, sipas or published: the leaf's score source"
    )
    source_document: str = Field(
        min_length=1, max_length=1000, description="the document the points come from"
    )


class DefineSurvey(SurveyDefinition, Args):
    """A survey's definition (docs/FORMATS.md §12.1); `parledger survey define` reads it
    from a YAML or JSON file."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


SurveyTallies = dict[str, dict[str, dict[str, dict[str, int]]]]


class ImportSurveyBatch(Args):
    survey: str = Field(pattern=UNIT_CODE, description="the survey's code")
    campaign: str = Field(
        pattern=UNIT_CODE, description="the survey's campaign (what the signer's scope must reach)"
    )
    version: int = Field(ge=1, description="the definition version the file was checked against")
    file_sha256: str = Field(pattern=SHA256, description="SHA-256 of the answer file (hex)")
    rows: int = Field(ge=0, description="the file's answer rows")
    tallies: SurveyTallies = Field(
        description="per unit, respondent group ('-' without groups) and question, the count "
        'of each answer option and of blanks ("blank")'
    )
    respondents: dict[str, dict[str, int]] = Field(
        description="respondents counted per unit and group (counts only, never ids)"
    )
    supersedes: str | None = Field(
        default=None,
        pattern=SHA256,
        description="the SHA-256 of the batch a corrected file replaces",
    )
    reason: str = Field(default="", max_length=4000, description="why a corrected file replaces it")


class RecordSurveyPoints(ScorecardArgs):
    criterion: str = CRITERION
    points: str = _points("the points the survey's method gives")
    source: Literal["survey", "sipas"] = Field(description="the leaf's score source")
    source_document: str = Field(min_length=1, max_length=1000, description="the batch, in words")
    survey: str = Field(pattern=UNIT_CODE, description="the survey's code")
    file_sha256: str = Field(pattern=SHA256, description="the batch that gave the points")
