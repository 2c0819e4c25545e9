"""A campaign (kỳ đánh giá): a year, an indicator-set version, the units, the schedule,
the bonus and penalty items, and its closing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledger.core.canonical import parse_time
from ledger.core.envelope import SignedCommand
from ledger.core.errors import DomainError, ValidationError
from ledger.core.ids import campaign_id
from ledger.domain.base import LedgerAggregate
from ledger.domain.derivations import publication_members
from ledger.domain.disclosure import DEFAULT_POLICY, Policy, policy_of
from ledger.domain.rules import adjustment_problems

MILESTONES = (
    "self_assessment_opens",
    "self_assessment_closes",
    "preliminary_appraisal_closes",
    "explanation_closes",
    "final_appraisal_closes",
)
MILESTONE_TITLES = {
    "self_assessment_opens": "Mở tự đánh giá",
    "self_assessment_closes": "Hạn gửi kết quả tự chấm",
    "preliminary_appraisal_closes": "Hạn thẩm định sơ bộ",
    "explanation_closes": "Hạn giải trình",
    "final_appraisal_closes": "Hạn thẩm định chính thức",
}
PHASES = (
    "planned",
    "self_assessment",
    "preliminary_appraisal",
    "explanation",
    "final_appraisal",
    "closing",
)
PHASE_TITLES = {
    "planned": "Chưa mở",
    "self_assessment": "Tự đánh giá",
    "preliminary_appraisal": "Thẩm định sơ bộ",
    "explanation": "Giải trình",
    "final_appraisal": "Thẩm định chính thức",
    "closing": "Tổng hợp kết quả",
    "finalised": "Đã chốt kết quả",
}


@dataclass(frozen=True)
class Schedule:
    milestones: dict[str, datetime]
    timezone: str

    @classmethod
    def parse(cls, raw: dict[str, Any], timezone: str) -> Schedule:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                f"unknown time zone {timezone!r}", field="command.args.timezone"
            ) from None
        milestones = {
            name: parse_time(raw[name], f"command.args.schedule.{name}") for name in MILESTONES
        }
        for earlier, later in pairwise(MILESTONES):
            if milestones[later] <= milestones[earlier]:
                raise ValidationError(
                    f"schedule: {later} must come after {earlier}",
                    field=f"command.args.schedule.{later}",
                )
        return cls(milestones, timezone)

    def local(self, name: str) -> datetime:
        return self.milestones[name].astimezone(ZoneInfo(self.timezone))

    def phase(self, now: datetime) -> str:
        """The phase at ``now``: each milestone starts the next phase."""
        passed = sum(1 for name in MILESTONES if now >= self.milestones[name])
        return PHASES[passed]

    def __getitem__(self, name: str) -> datetime:
        return self.milestones[name]

    def describe(self, name: str) -> str:
        return f"{self.local(name):%Y-%m-%d %H:%M} ({self.timezone})"


@dataclass(frozen=True)
class Adjustment:
    """A bonus or penalty item (điểm thưởng / điểm trừ) and its cap."""

    code: str
    title: str
    kind: str
    cap: Decimal


class Campaign(LedgerAggregate):
    AGGREGATE_TYPE = "Campaign"

    def __init__(self) -> None:
        super().__init__()
        self.code = ""
        self.year = 0
        # the scoring authority that runs it; None for a campaign of the whole ledger
        self.owner: str | None = None
        self.title = ""
        self.indicator_set = ""
        self.indicator_set_version = 0
        self.units: list[str] = []
        self.schedule: Schedule | None = None
        self.adjustments: dict[str, Adjustment] = {}
        self.grade_bands: list[tuple[Decimal, str]] = []
        self.finalised_at: datetime | None = None
        self.publications: list[dict[str, Any]] = []
        self.disclosure: Policy = DEFAULT_POLICY

    class CampaignCreated(LedgerAggregate.Created):
        pass

    class CampaignFinalised(LedgerAggregate.Event):
        pass

    class ResultsPublished(LedgerAggregate.Event):
        pass

    def when(self, event_type: str, body: dict[str, Any], at: datetime) -> None:
        if event_type == "CampaignFinalised":
            self.finalised_at = at
            return
        if event_type == "ResultsPublished":
            self.publications.append(body)
            return
        self.code = body["code"]
        self.year = body["year"]
        self.owner = body.get("owner")
        self.title = body["title"]
        self.indicator_set = body["indicator_set"]
        self.indicator_set_version = body["indicator_set_version"]
        self.units = list(body["units"])
        self.schedule = Schedule.parse(body["schedule"], body.get("timezone", "Asia/Ho_Chi_Minh"))
        self.adjustments = {
            item["code"]: Adjustment(
                item["code"], item["title"], item["kind"], Decimal(item["cap"])
            )
            for item in body.get("adjustments", [])
        }
        self.grade_bands = [(Decimal(b["min"]), b["grade"]) for b in body.get("grade_bands", [])]
        self.disclosure = policy_of(body)

    @property
    def plan(self) -> Schedule:
        assert self.schedule is not None
        return self.schedule

    def phase(self, now: datetime) -> str:
        if self.finalised_at is not None and now >= self.finalised_at:
            return "finalised"
        return self.plan.phase(now)

    @classmethod
    def create(cls, command: SignedCommand, at: datetime) -> Campaign:
        args = command.args
        Schedule.parse(args["schedule"], args.get("timezone", "Asia/Ho_Chi_Minh"))
        duplicates = sorted({u for u in args["units"] if args["units"].count(u) > 1})
        if duplicates:
            raise ValidationError(
                f"units listed twice: {', '.join(duplicates)}", field="command.args.units"
            )
        problems = adjustment_problems(args.get("adjustments", []))
        if problems:
            raise ValidationError("; ".join(problems), field="command.args.adjustments")
        bands = [Decimal(b["min"]) for b in args.get("grade_bands", [])]
        if bands != sorted(set(bands), reverse=True) or any(b > 100 for b in bands):
            raise ValidationError(
                "grade bands go from the highest minimum index down, each from 0 to 100, "
                "without repeating a minimum",
                field="command.args.grade_bands",
            )
        return cls.open(
            cls.CampaignCreated,
            aggregate_id=campaign_id(args["code"]),
            body=dict(args),
            command=command,
            at=at,
        )

    def finalise(self, command: SignedCommand, at: datetime, unsettled: list[str]) -> None:
        if self.finalised_at is not None:
            raise DomainError(
                f"campaign {self.code} is already finalised", code="campaign_finalised"
            )
        closes = self.plan["final_appraisal_closes"]
        if at < closes:
            raise DomainError(
                f"campaign {self.code} can be finalised once final appraisal closes, "
                f"at {self.plan.describe('final_appraisal_closes')}",
                code="wrong_phase",
            )
        if unsettled:
            shown = "; ".join(unsettled[:10]) + (
                f"; and {len(unsettled) - 10} more" if len(unsettled) > 10 else ""
            )
            raise DomainError(
                f"campaign {self.code} has criteria without a final score: {shown}",
                code="unsettled_scores",
            )
        self.record(self.CampaignFinalised, body=dict(command.args), command=command, at=at)

    def check_publishable(self) -> None:
        if self.finalised_at is None:
            raise DomainError(
                f"campaign {self.code} is not finalised; its results are published after "
                "finalisation",
                code="not_finalised",
            )

    def check_table(self, expected: str, table_sha256: str) -> None:
        """Refuse a table other than the one the publisher reviewed, or one already published."""
        if expected != table_sha256:
            raise DomainError(
                f"the result table of {self.code} now hashes to {table_sha256}, not to the "
                f"{expected} the publisher signed; review the table again before publishing",
                code="table_changed",
                field="command.args.table_sha256",
            )
        if self.publications and self.publications[-1]["table_sha256"] == table_sha256:
            raise DomainError(
                f"the results of {self.code} are unchanged since publication "
                f"{self.publications[-1]['sequence']}; there is nothing new to publish",
                code="already_published",
            )

    def publish(self, command: SignedCommand, facts: PublicationFacts, at: datetime) -> None:
        """Record the publication of the result table that ``facts`` describe."""
        self.check_publishable()
        self.check_table(command.args["table_sha256"], facts.table_sha256)
        derived = publication_members(self, facts)
        self.record(self.ResultsPublished, body={**derived, **command.args}, command=command, at=at)


@dataclass(frozen=True)
class PublicationFacts:
    """What the service computed for a publication: the SHA-256 of the result table, and the
    signed checkpoint (its size and root) of the log the table was computed at."""

    table_sha256: str
    tree_size: int
    root_hash: str
    checkpoint: str
    units: int
    # the head of every aggregate the table depends on (FORMATS §12); None in the facts a
    # verifier reads from a publication recorded before heads were
    heads: list[dict[str, Any]] | None = None
