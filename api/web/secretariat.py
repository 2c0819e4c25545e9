"""What the secretariat's pages show: an indicator set read from an uploaded CSV or XLSX (the
CLI's reader, ledger.application.indicator_import) with its problems listed by row before
anything is signed, the campaign's progress per unit in words, filtered and exported."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook

from api.documents.model import Column, ColumnKind
from api.http.service import Service
from api.web.exports import xlsx_table
from ledger.application.indicator_import import definition_from_csv
from ledger.core.errors import IndicatorSetError, ValidationError

MAX_UPLOAD = 2 * 1024 * 1024
LINE = re.compile(r"^line (\d+)")


# the indicator set's problems (ledger.domain.indicators) the way the secretariat reads them;
# anything not listed here is shown as the ledger words it
WORDS = (
    (re.compile(r"maximum '(.*)' is not a number"), r"điểm tối đa “\1” không phải là số"),
    (re.compile(r"maximum (\S+) is negative"), r"điểm tối đa \1 là số âm"),
    (
        re.compile(r"its children (.*) sum to (\S+) but its maximum is (\S+);.*"),
        r"tổng điểm tối đa của các mục con (\1) là \2, khác điểm tối đa \3 của mục này "
        r"(nếu tệp chỉ liệt kê một phần mục con, ghi children = partial)",
    ),
    (re.compile(r"orphan, its parent (\S+) is not defined"), r"mục cha \1 không có trong tệp"),
    (re.compile(r"duplicate code (\S+)"), r"mã \1 bị trùng"),
    (re.compile(r"level '(.*)' must be one of .*"), r"cấp “\1” không hợp lệ"),
    (re.compile(r"needs a title"), "thiếu nội dung (title)"),
    (re.compile(r"^line (\d+) \(([^)]*)\):"), r"Dòng \1 (mã \2):"),
    (re.compile(r"^line (\d+):"), r"Dòng \1:"),
)


def in_words(problem: str) -> str:
    for pattern, words in WORDS:
        problem = pattern.sub(words, problem)
    return problem


@dataclass
class ImportPreview:
    definition: dict[str, Any] | None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (row, what)

    @property
    def leaves(self) -> int:
        nodes = (self.definition or {}).get("nodes", [])
        return sum(1 for n in nodes if n.get("level") not in ("area", "criterion") or "rule" in n)


def _xlsx_as_csv(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    out = io.StringIO()
    writer = csv.writer(out)
    for row in book.worksheets[0].iter_rows(values_only=True):
        writer.writerow(["" if v is None else str(v) for v in row])
    return out.getvalue()


def preview_import(
    name: str, data: bytes, *, code: str, version: int, title: str, precision: int
) -> ImportPreview:
    """The definition the file gives, or every problem found, each with its row."""
    if len(data) > MAX_UPLOAD:
        return ImportPreview(None, [("", "Tệp lớn hơn 2 MB")])
    try:
        text = _xlsx_as_csv(data) if name.lower().endswith(".xlsx") else data.decode("utf-8-sig")
    except (UnicodeDecodeError, ValueError, KeyError, OSError):
        return ImportPreview(None, [("", "Không đọc được tệp: cần CSV (UTF-8) hoặc XLSX")])
    try:
        definition = definition_from_csv(
            text, code=code, version=version, title=title, precision=precision
        )
    except IndicatorSetError as error:
        rows = []
        for problem in error.problems:
            found = LINE.match(problem)
            rows.append((found.group(1) if found else "", in_words(problem)))
        return ImportPreview(None, rows)
    except ValidationError as error:
        return ImportPreview(None, [("", f"Tệp thiếu cột bắt buộc hoặc sai dạng: {error.message}")])
    return ImportPreview(definition)


STATES = {
    "open": ("Chưa gửi", "tone-blue"),
    "submitted": ("Đã gửi", "tone-green"),
    "locked": ("Đã khóa khi hết hạn", "tone-slate"),
    "not_started": ("Chưa chấm", "tone-grey"),
}


def state_of(unit: dict[str, Any]) -> str:
    if unit["state"] == "open" and not unit["scored"]:
        return "not_started"
    return str(unit["state"])


def progress_rows(
    progress: dict[str, Any], groups: dict[str, str], group: str = "", state: str = ""
) -> list[dict[str, Any]]:
    """One row per unit, with its ranking group and its state in words, filtered."""
    rows = []
    for unit in progress["units"]:
        row = {**unit, "group": groups.get(unit["unit"], unit["unit_kind"])}
        row["state_code"] = state_of(unit)
        row["state_words"], row["tone"] = STATES[row["state_code"]]
        if group and row["group"] != group:
            continue
        if state and row["state_code"] != state:
            continue
        rows.append(row)
    return rows


PROGRESS_COLUMNS = (
    ("unit", "Mã đơn vị"),
    ("name", "Tên đơn vị"),
    ("group", "Nhóm xếp hạng"),
    ("state_words", "Trạng thái"),
    ("scored", "Số tiêu chí đã chấm"),
    ("leaves", "Số tiêu chí"),
    ("without_evidence", "Thiếu TLKC"),
    ("submitted_at", "Gửi lúc"),
    ("locked_at", "Khóa lúc"),
    ("preliminary_appraised", "Đã thẩm định lần 1"),
    ("final_appraised", "Đã thẩm định lần 2"),
    ("explanations_pending", "Giải trình chờ"),
)


def progress_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([title for _, title in PROGRESS_COLUMNS])
    for row in rows:
        writer.writerow(["" if row[k] is None else row[k] for k, _ in PROGRESS_COLUMNS])
    return "\ufeff" + out.getvalue()


PROGRESS_KINDS: dict[str, ColumnKind] = {
    "scored": "count",
    "leaves": "count",
    "without_evidence": "count",
    "preliminary_appraised": "count",
    "final_appraised": "count",
    "explanations_pending": "count",
}


def progress_xlsx(svc: Service, campaign: str, rows: list[dict[str, Any]]) -> bytes:
    return xlsx_table(
        svc,
        campaign,
        stem="tien-do",
        title="TIẾN ĐỘ ĐÁNH GIÁ",
        subtitle=f"{len(rows)} đơn vị",
        columns=tuple(
            Column(t, PROGRESS_KINDS.get(k, "text"), 12 if k in PROGRESS_KINDS else 22)
            for k, t in PROGRESS_COLUMNS
        ),
        rows=[tuple(row[k] for k, _ in PROGRESS_COLUMNS) for row in rows],
        precision=0,
    )
