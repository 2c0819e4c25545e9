"""A campaign as the pages show it: its phase, its deadlines with the time left, and which of
the person's campaigns and units need their action now."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from api.web import format as fmt
from api.web.session import Viewer
from ledger.domain.campaign import MILESTONE_TITLES, MILESTONES, PHASE_TITLES, Campaign
from projections.read_models.queries import ReadModels
from projections.read_models.replaying import campaign_from_doc


@dataclass(frozen=True)
class Deadline:
    name: str
    title: str
    at: str  # "17:00 ngày 05/02/2024"
    left: str  # "Còn 3 ngày 4 giờ" or "Đã hết hạn"
    passed: bool


@dataclass(frozen=True)
class CampaignStatus:
    code: str
    title: str
    year: int
    timezone: str
    phase: str
    phase_title: str
    deadlines: list[Deadline]
    finalised: bool
    doc: dict[str, Any] = field(repr=False)
    campaign: Campaign = field(repr=False)

    @property
    def next_deadline(self) -> Deadline | None:
        return next((d for d in self.deadlines if not d.passed), None)

    def deadline(self, name: str) -> Deadline:
        return next(d for d in self.deadlines if d.name == name)


def status(doc: dict[str, Any], now: datetime) -> CampaignStatus:
    campaign = campaign_from_doc(doc)
    plan = campaign.plan
    timezone = plan.timezone
    phase = campaign.phase(now)
    deadlines = [
        Deadline(
            name=name,
            title=MILESTONE_TITLES[name],
            at=fmt.date_time(plan[name], timezone),
            left=fmt.time_left(now, plan[name]),
            passed=now >= plan[name],
        )
        for name in MILESTONES
    ]
    return CampaignStatus(
        code=doc["code"],
        title=doc["title"],
        year=doc["year"],
        timezone=timezone,
        phase=phase,
        phase_title=PHASE_TITLES[phase],
        deadlines=deadlines,
        finalised=phase == "finalised",
        doc=doc,
        campaign=campaign,
    )


@dataclass(frozen=True)
class Task:
    """Something the person should do now, with the page where it is done."""

    text: str
    href: str
    urgent: bool = False


@dataclass(frozen=True)
class MyCampaign:
    status: CampaignStatus
    roles: list[str]
    units: list[tuple[str, str]]  # (code, name) of the person's units in the campaign
    tasks: list[Task]
    surveys: list[dict[str, Any]] = field(default_factory=list)  # its surveys, to read


def _unit_tasks(
    viewer: Viewer, state: CampaignStatus, summary: dict[str, Any], name: str
) -> list[Task]:
    code, unit = state.code, summary["unit"]
    sheet = f"/ky/{code}/don-vi/{unit}"
    tasks: list[Task] = []
    closed = bool(summary["submitted_at"] or summary["locked_at"])
    if state.phase == "self_assessment" and not closed:
        missing = summary["leaves"] - summary["scored"]
        if viewer.has("unit_staff", unit) and missing:
            tasks.append(Task(f"{name}: còn {missing} tiêu chí chưa chấm", sheet, True))
        if viewer.has("unit_staff", unit) and summary["unsupported"]:
            tasks.append(
                Task(
                    f"{name}: {summary['unsupported']} tiêu chí thiếu TLKC và chưa giải trình",
                    sheet,
                    True,
                )
            )
        if viewer.has("unit_head", unit):
            tasks.append(Task(f"{name}: chưa gửi kết quả tự chấm", f"{sheet}/gui", True))
    if state.phase == "explanation" and viewer.has("unit_staff", unit) and summary["contested"]:
        tasks.append(
            Task(
                f"{name}: {summary['contested']} tiêu chí bị thay đổi điểm hoặc yêu cầu giải trình",
                f"{sheet}/giai-trinh",
                bool(summary["unexplained"]),
            )
        )
    return tasks


def _appraiser_tasks(
    viewer: Viewer, state: CampaignStatus, summaries: list[dict[str, Any]]
) -> list[Task]:
    fields = viewer.fields()

    def mine(codes: list[str]) -> int:
        return sum(1 for c in codes if any(c == f or c.startswith(f + ".") for f in fields))

    tasks: list[Task] = []
    if state.phase in ("self_assessment", "preliminary_appraisal"):
        waiting = sum(
            mine(s["pending_preliminary"]) for s in summaries if s["submitted_at"] or s["locked_at"]
        )
        if waiting:
            tasks.append(
                Task(f"{waiting} tiêu chí chờ thẩm định lần 1", f"/ky/{state.code}/tham-dinh", True)
            )
    if state.phase in ("preliminary_appraisal", "explanation", "final_appraisal"):
        waiting = sum(mine(s["pending_final"]) for s in summaries)
        if waiting:
            tasks.append(
                Task(
                    f"{waiting} tiêu chí chờ thẩm định lần 2",
                    f"/ky/{state.code}/tham-dinh-lan-2",
                    state.phase == "final_appraisal",
                )
            )
    return tasks


def _survey_tasks(
    viewer: Viewer, state: CampaignStatus, surveys: list[dict[str, Any]]
) -> list[Task]:
    if state.finalised or not any(viewer.has(r) for r in ("survey_body", "secretariat")):
        return []
    return [
        Task(f"{s['code']}: chưa nhập tệp phiếu trả lời", f"/dieu-tra/{s['code']}/nhap")
        for s in surveys
        if not s["batches"]
    ]


def my_campaigns(
    viewer: Viewer,
    reads: ReadModels,
    now: datetime,
    surveys: Mapping[str, list[dict[str, Any]]] | None = None,
) -> list[MyCampaign]:
    """The campaigns the person takes part in, the latest first, with what they should do
    (and, given ``surveys`` by campaign, the surveys the person may read)."""
    names = {u["code"]: u["name"] for u in reads.units()}
    mine = set(viewer.units("unit_staff")) | set(viewer.units("unit_head"))
    appraiser = bool(viewer.fields())
    overseer = any(viewer.has(r) for r in ("administrator", "secretariat", "inspector"))
    found: list[MyCampaign] = []
    for doc in reversed(reads.campaigns()):
        units = list(doc["units"]) if overseer else [u for u in doc["units"] if u in mine]
        its_surveys = list((surveys or {}).get(doc["code"], []))
        if not units and not appraiser and not overseer and not its_surveys:
            continue
        state = status(doc, now)
        summaries = reads.summaries(doc["code"])
        tasks: list[Task] = []
        for summary in summaries:
            if summary["unit"] in units:
                tasks += _unit_tasks(viewer, state, summary, names.get(summary["unit"], ""))
        if appraiser:
            tasks += _appraiser_tasks(viewer, state, summaries)
        tasks += _survey_tasks(viewer, state, its_surveys)
        units_named = [(u, names.get(u, u)) for u in units]
        found.append(MyCampaign(state, viewer.role_titles, units_named, tasks, its_surveys))
    return found
