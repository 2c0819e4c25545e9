"""A campaign (kỳ đánh giá): a year, an indicator-set version, the units, the schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledger.canonical import parse_time
from ledger.commands import SignedCommand
from ledger.domain.base import LedgerAggregate
from ledger.errors import ValidationError
from ledger.ids import campaign_id

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


class Campaign(LedgerAggregate):
    AGGREGATE_TYPE = "Campaign"

    def __init__(self) -> None:
        super().__init__()
        self.code = ""
        self.year = 0
        self.title = ""
        self.indicator_set = ""
        self.indicator_set_version = 0
        self.units: list[str] = []
        self.schedule: Schedule | None = None

    class CampaignCreated(LedgerAggregate.Created):
        pass

    def when(self, event_type: str, body: dict[str, Any], at: datetime) -> None:
        self.code = body["code"]
        self.year = body["year"]
        self.title = body["title"]
        self.indicator_set = body["indicator_set"]
        self.indicator_set_version = body["indicator_set_version"]
        self.units = list(body["units"])
        self.schedule = Schedule.parse(body["schedule"], body.get("timezone", "Asia/Ho_Chi_Minh"))

    @classmethod
    def create(cls, command: SignedCommand, at: datetime) -> Campaign:
        args = command.args
        Schedule.parse(args["schedule"], args.get("timezone", "Asia/Ho_Chi_Minh"))
        duplicates = sorted({u for u in args["units"] if args["units"].count(u) > 1})
        if duplicates:
            raise ValidationError(
                f"units listed twice: {', '.join(duplicates)}", field="command.args.units"
            )
        return cls.open(
            cls.CampaignCreated,
            aggregate_id=campaign_id(args["code"]),
            body=dict(args),
            command=command,
            at=at,
        )
