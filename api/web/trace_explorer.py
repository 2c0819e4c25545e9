"""Tra cứu lịch sử điểm: the trace of a campaign filtered by unit, criterion, person, role,
kind of act and time, in words with each event's signature checked (api.web.history), and
its exports: CSV in the ledger's own forms (projections.read_models.trace) and XLSX through
the documents' renderer. Also what changed after the self-assessment and after the
preliminary appraisal, leaf by leaf, with the reasons side by side."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from api.documents.model import Column
from api.http.service import Service
from api.web.exports import xlsx_table
from api.web.history import ACTS, HistoryRow, in_words
from ledger.core.canonical import parse_time
from ledger.core.errors import ValidationError
from ledger.domain.keyring import ROLE_TITLES

LIMIT = 500


def _date(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise ValidationError(
            f"{field}: ngày không đúng dạng năm-tháng-ngày", field=field
        ) from None


@dataclass(frozen=True)
class TraceFilter:
    """What the inspector asked for; empty means any."""

    unit: str = ""
    criterion: str = ""
    person: str = ""
    role: str = ""
    act: str = ""
    since: str = ""  # a date, yyyy-mm-dd, in the campaign's time zone
    until: str = ""

    @classmethod
    def of(cls, params: dict[str, str]) -> TraceFilter:
        found = cls(**{k: params.get(k, "").strip()[:200] for k in cls.__dataclass_fields__})
        if found.role and found.role not in ROLE_TITLES:
            raise ValidationError("Vai trò không có trong danh sách", field="role")
        if found.act and found.act not in ACTS:
            raise ValidationError("Loại việc không có trong danh sách", field="act")
        since, until = _date(found.since, "since"), _date(found.until, "until")
        if since and until and until < since:
            raise ValidationError("Ngày kết thúc trước ngày bắt đầu", field="until")
        return found

    def window(self, timezone: str) -> tuple[datetime | None, datetime | None]:
        zone = ZoneInfo(timezone)
        since, until = _date(self.since, "since"), _date(self.until, "until")
        start = since.replace(tzinfo=zone) if since else None
        end = datetime.combine(until.date() + timedelta(days=1), time(), zone) if until else None
        return start, end

    def keeps(self, row: dict[str, Any], timezone: str) -> bool:
        person = self.person.casefold()
        if person and person not in row["name"].casefold() and not row["key_id"].startswith(person):
            return False
        if self.role and row["role"] != self.role:
            return False
        if self.act and row["event_type"] != self.act:
            return False
        start, end = self.window(timezone)
        when = parse_time(row["recorded_at"])
        return not ((start and when < start) or (end and when >= end))

    def query(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}


def trace(svc: Service, campaign: str, chosen: TraceFilter, timezone: str) -> list[dict[str, Any]]:
    """The campaign's trace rows the filter keeps, in log order."""
    rows = svc.reads.trace(campaign, chosen.unit or None, chosen.criterion or None)
    return [r for r in rows if chosen.keeps(r, timezone)]


def shown(
    svc: Service, rows: list[dict[str, Any]], timezone: str, precision: int
) -> list[HistoryRow]:
    """The first LIMIT rows in words, each checked."""
    return in_words(svc, rows[:LIMIT], timezone, precision)


COLUMNS = (
    Column("Vị trí", "count", 8),
    Column("Thời gian", "text", 17),
    Column("Đơn vị", "code", 8),
    Column("Tiêu chí", "code", 8),
    Column("Việc", "text", 22),
    Column("Người thực hiện", "text", 22),
    Column("Chức vụ", "text", 16),
    Column("Vai trò", "text", 20),
    Column("Từ", "points", 8),
    Column("Thành", "points", 8),
    Column("Lý do", "text", 40),
    Column("TLKC (SHA-256)", "text", 30),
    Column("Chữ ký", "text", 14),
    Column("Mã băm sự kiện", "text", 30),
)


def _number(value: str) -> Decimal | None:
    return Decimal(value.replace(",", ".")) if value else None


def xlsx(
    svc: Service, campaign: str, chosen: TraceFilter, rows: list[HistoryRow], precision: int
) -> bytes:
    """The rows as a spreadsheet with the documents' heading and provenance sheet."""
    filters = "; ".join(f"{k}: {v}" for k, v in chosen.query().items()) or "không lọc"
    return xlsx_table(
        svc,
        campaign,
        stem="lich-su-diem",
        title="LỊCH SỬ THAY ĐỔI ĐIỂM",
        subtitle=f"Điều kiện lọc: {filters}",
        columns=COLUMNS,
        rows=[
            (
                r.leaf,
                r.when,
                r.unit,
                r.criterion,
                r.act,
                r.name,
                r.title,
                r.role,
                _number(r.before),
                _number(r.after),
                r.why,
                " ".join(r.evidence),
                "hợp lệ" if r.signature_valid else "KHÔNG hợp lệ",
                r.event_hash,
            )
            for r in rows
        ],
        precision=precision,
    )


# -- what changed after the self-assessment and the preliminary appraisal ----------------------


@dataclass(frozen=True)
class Change:
    code: str
    title: str
    max_points: str | None
    self_points: str | None
    self_why: str
    preliminary: str | None
    preliminary_why: str
    final: str | None
    final_why: str
    explanations: str
    after_self: bool
    after_preliminary: bool


def changes(card: dict[str, Any]) -> list[Change]:
    """Every leaf of a scorecard whose final score differs from the self-score or from the
    preliminary appraisal, with the reasons given at each stage."""
    found = []
    for leaf in card["leaves"]:
        own = leaf.get("self_score") or {}
        preliminary = leaf.get("preliminary_appraisal") or {}
        final_appraisal = leaf.get("final_appraisal") or {}
        self_points = own.get("points") or (leaf.get("external") or {}).get("points")
        final = leaf.get("points")
        after_self = self_points is not None and final is not None and _ne(self_points, final)
        after_preliminary = (
            preliminary.get("points") is not None
            and final is not None
            and _ne(preliminary["points"], final)
        )
        if not (after_self or after_preliminary):
            continue
        final_why = final_appraisal.get("reason", "")
        if leaf.get("corrected_points") is not None:
            final_why = (final_why + " — đính chính").strip(" —")
        found.append(
            Change(
                code=leaf["code"],
                title=leaf["title"],
                max_points=leaf["max_points"],
                self_points=self_points,
                self_why=" — ".join(t for t in (own.get("note"), own.get("explanation")) if t),
                preliminary=preliminary.get("points"),
                preliminary_why=preliminary.get("reason", ""),
                final=final,
                final_why=final_why,
                explanations=" / ".join(str(e) for e in leaf.get("explanations", [])),
                after_self=after_self,
                after_preliminary=after_preliminary,
            )
        )
    return found


def _ne(a: str, b: str) -> bool:
    return Decimal(a) != Decimal(b)
