"""The five documents, opened as a person would (XLSX with openpyxl, PDF as text) and checked
against the read models: every leaf, every number, the totals (Hanoi 2022: 88.54 and its
eight areas; the demo cycle's published table), Vietnamese intact, the provenance present.
The first page of every PDF is rendered to tests/artefacts/ to be looked at."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from api.documents.catalogue import produce
from api.documents.sources import verify_url
from ledger.application.media import sniff
from ledger.core.errors import NotFoundError, ValidationError
from ledger.demo.cycle import UNITS
from ledger.demo.province import plan_csv
from projections.read_models.queries import AsOf
from tests.documents_support import (
    PUBLIC_URL,
    Demo,
    between,
    demo_store,
    first_page_png,
    number,
    pdf_pages,
    pdf_text,
    printed,
    rows_by_code,
    workbook,
)

AREA_TOTALS = {
    "1": "8.424",
    "2": "8.76",
    "3": "13.488",
    "4": "10.34",
    "5": "11.34",
    "6": "10.583",
    "7": "12.396",
    "8": "13.209",
}
CYCLE = "HN-SH-2023"
HEADING = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("documents")
    with demo_store(f"sqlite:///{folder}/ledger.sqlite3", folder / "home") as built:
        yield built


def make(demo: Demo, kind: str, campaign: str, unit: str | None, fmt: str, **kw: Any) -> bytes:
    _document, data = produce(demo.sources, kind, campaign, unit, fmt, kw.get("position"))
    assert (
        sniff_bytes(data)
        == {
            "pdf": "application/pdf",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }[fmt]
    )
    if fmt == "pdf":
        first_page_png(data, f"{kind}-{campaign}-{unit or 'all'}")
    return data


def sniff_bytes(data: bytes) -> str | None:
    """The media type the evidence sniffer tells (documents are accepted as evidence)."""
    path = Path(__file__).parent.parent / "artefacts" / "sniffed"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return sniff(path)


def check_text(text: str, campaign: str) -> None:
    assert "\ufffd" not in text
    for line in HEADING:
        assert line in text
    assert "vị trí nhật ký" in text
    assert verify_url(PUBLIC_URL, campaign) in text.replace("\n", "")


def check_provenance_sheet(data: bytes, campaign: str, position: int) -> dict[str, str]:
    book = workbook(data)
    sheet = book.worksheets[-1]
    assert sheet.title == "Nguồn gốc số liệu"
    facts = {str(r[0]): str(r[1]) for r in sheet.iter_rows(min_row=3, values_only=True) if r[0]}
    assert facts["Kỳ đánh giá"].startswith(campaign)
    assert facts["Số liệu đọc tại vị trí nhật ký"].startswith(str(position))
    assert facts["Kiểm tra tại"] == verify_url(PUBLIC_URL, campaign)
    assert "lá, gốc" in facts["Điểm kiểm (checkpoint)"]
    return facts


# -- 1. the scoring sheet -----------------------------------------------------------------


def test_the_hanoi_scoring_sheet_as_xlsx_holds_every_leaf_and_the_2021_totals(demo: Demo) -> None:
    view = demo.reads.scorecard("HN-2022", "HN")
    assert view is not None
    data = make(demo, "scoring-sheet", "HN-2022", "HN", "xlsx")
    book = workbook(data)
    sheet = book.worksheets[0]
    assert sheet.title == "Mẫu 02"
    rows = rows_by_code(sheet, 2)
    for leaf in view["leaves"]:
        row = rows[leaf["code"]]
        assert number(row[3]) == Decimal(leaf["max_points"])
        expected = leaf["self_score"] or leaf["external"]
        assert number(row[5]) == Decimal(expected["points"]), leaf["code"]
    for code, total in AREA_TOTALS.items():
        assert number(rows[code][5]) == Decimal(total)
    total = next(r for r in sheet.iter_rows(values_only=True) if r[2] == "TỔNG ĐIỂM")
    assert number(total[5]) == Decimal("88.54")
    assert number(total[3]) == Decimal(100)
    evidence = rows["1.1"][6]
    assert "ke-hoach-cchc-2022.pdf (" in evidence
    # real numbers with the set's three places, a frozen header, A4
    cell = next(c for c in sheet["F"] if c.value == Decimal("8.424") or c.value == 8.424)
    assert cell.number_format == "0.000"
    assert sheet.freeze_panes is not None
    assert sheet.freeze_panes.startswith("A")
    assert sheet.print_title_rows
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4 == "9"  # A4
    assert sheet.column_dimensions["C"].width >= 30
    check_provenance_sheet(data, "HN-2022", demo.reads.views.position())


def test_the_hanoi_scoring_sheet_as_pdf(demo: Demo) -> None:
    view = demo.reads.scorecard("HN-2022", "HN")
    assert view is not None
    data = make(demo, "scoring-sheet", "HN-2022", "HN", "pdf")
    text = pdf_text(data)
    check_text(text, "HN-2022")
    assert "Mẫu 02" in text
    assert "BIỂU TỰ CHẤM ĐIỂM" in text
    assert "Trần Thị Bình" in text  # the head who submitted
    for total in AREA_TOTALS.values():
        assert printed(total) in text
    assert printed("88.54") in text
    codes = [leaf["code"] for leaf in view["leaves"]]
    for code, following in zip(codes, [*codes[1:], None], strict=True):
        leaf = next(x for x in view["leaves"] if x["code"] == code)
        part = between(text, f" {code} ", f" {following} " if following else None)
        points = (leaf["self_score"] or leaf["external"])["points"]
        assert printed(leaf["max_points"]) in part, code
        assert printed(points) in part, code
    assert pdf_pages(data) > 1
    assert "Trang" not in text.split("\n", 3)[0]  # no page number on the first page


def test_a_scoring_sheet_shows_the_counts_behind_a_rule(demo: Demo) -> None:
    view = demo.reads.scorecard(CYCLE, "HK")
    assert view is not None
    leaf = next(x for x in view["leaves"] if x["code"] == "3.4")
    inputs = leaf["self_score"]["inputs"]
    rows = rows_by_code(workbook(make(demo, "scoring-sheet", CYCLE, "HK", "xlsx")).worksheets[0], 2)
    assert rows["3.4"][4].startswith(f"{inputs['numerator']}/{inputs['denominator']} = ")
    assert workbook(make(demo, "scoring-sheet", CYCLE, "HK", "xlsx")).worksheets[0].title == (
        "Mẫu 03"
    )


def test_a_scoring_sheet_as_of_an_earlier_position(demo: Demo) -> None:
    rows = demo.reads.trace("HN-2022", "HN", "2.1")
    position = rows[0]["position"]  # the first score of 2.1: later leaves not yet scored
    earlier = demo.reads.scorecard("HN-2022", "HN", demo.sources.at("HN-2022", position).as_of)
    assert earlier is not None
    data = make(demo, "scoring-sheet", "HN-2022", "HN", "xlsx", position=position)
    sheet = workbook(data).worksheets[0]
    total = next(r for r in sheet.iter_rows(values_only=True) if r[2] == "TỔNG ĐIỂM")
    assert number(total[5]) == Decimal(earlier["totals"]["self_assessment"]["total"])
    assert number(total[5]) < Decimal("88.54")
    check_provenance_sheet(data, "HN-2022", position)


# -- 2. the self-assessment report --------------------------------------------------------


def test_the_self_assessment_report_has_the_area_totals_and_the_points_lost(demo: Demo) -> None:
    view = demo.reads.scorecard(CYCLE, "SNV")
    assert view is not None
    stage = view["totals"]["self_assessment"]
    book = workbook(make(demo, "self-assessment-report", CYCLE, "SNV", "xlsx"))
    areas = book.worksheets[0]
    rows = [
        r
        for r in areas.iter_rows(values_only=True)
        if r[1] and str(r[1])[:2].rstrip(".") in stage["areas"]
    ]
    for row in rows:
        code = str(row[1]).split(".")[0]
        assert number(row[2]) == Decimal(stage["areas"][code]["max_points"])
        assert number(row[3]) == Decimal(stage["areas"][code]["points"])
        assert number(row[5]) == Decimal(stage["areas"][code]["index"])
    assert len(rows) == len(stage["areas"])
    lost = rows_by_code(book.worksheets[1], 1)
    below = [
        leaf
        for leaf in view["leaves"]
        if (leaf["self_score"] or leaf["external"])
        and Decimal((leaf["self_score"] or leaf["external"])["points"])
        < Decimal(leaf["max_points"])
    ]
    assert {code for code in lost if re.fullmatch(r"[0-9][0-9a-z.]*", code)} == {
        leaf["code"] for leaf in below
    }
    text = pdf_text(make(demo, "self-assessment-report", CYCLE, "SNV", "pdf"))
    check_text(text, CYCLE)
    assert "Mẫu 01" in text
    assert "BÁO CÁO" in text
    assert printed(stage["total"]) in text


# -- 3. the appraisal report --------------------------------------------------------------


def test_the_appraisal_report_has_every_units_stages_and_the_councils_reasons(demo: Demo) -> None:
    views = demo.reads.scorecards(CYCLE)
    book = workbook(make(demo, "appraisal-report", CYCLE, None, "xlsx"))
    summary = book.worksheets[0]
    table = {str(r[1]): r for r in summary.iter_rows(values_only=True) if r[1] and "(" in str(r[1])}
    assert len(table) == len(views) == 5
    for view in views:
        row = next(r for name, r in table.items() if name.endswith(f"({view['unit']})"))
        stages = view["totals"]
        assert number(row[2]) == Decimal(stages["self_assessment"]["total"])
        assert number(row[3]) == Decimal(stages["preliminary"]["total"])
        assert number(row[4]) == Decimal(stages["final"]["total"])
        assert number(row[7]) == Decimal(stages["final"]["index"])
    detail = rows_by_code(book.worksheets[2], 1)
    assert "3.4" in detail
    assert "Đỗ Quang Minh" in detail["3.4"][6]
    assert "Chấp nhận giải trình" in detail["3.4"][6]
    assert "24 hồ sơ quá hạn" in detail["3.4"][4]
    text = pdf_text(make(demo, "appraisal-report", CYCLE, None, "pdf"))
    check_text(text, CYCLE)
    assert "BÁO CÁO THẨM ĐỊNH" in text
    assert "Phạm Thu Hà" in text
    hk = pdf_text(make(demo, "appraisal-report", CYCLE, "HK", "pdf"))
    assert "UBND quận Hoàn Kiếm (HK)" in hk
    assert "Sở Nội vụ (SNV)" not in hk


# -- 4. the results annex -----------------------------------------------------------------


def test_the_results_annex_is_the_published_table(demo: Demo) -> None:
    (publication,) = demo.reads.publications(CYCLE)
    table = demo.sources.tables.get(publication["table_sha256"])
    data = make(demo, "results-annex", CYCLE, None, "xlsx")
    sheet = workbook(data).worksheets[0]
    rows = {str(r[1]): r for r in sheet.iter_rows(values_only=True) if r[1] and "(" in str(r[1])}
    for unit in table["units"]:
        row = rows[f"{unit['name']} ({unit['unit']})"]
        assert row[0] == f"{unit['rank']}/{unit['of']}"
        assert number(row[2]) == Decimal(unit["total"])
        assert number(row[3]) == Decimal(unit["max_total"])
        assert number(row[4]) == Decimal(unit["index"])
        assert row[5] == unit["grade"]
    facts = check_provenance_sheet(data, CYCLE, publication["position"] - 1)
    assert publication["table_sha256"] in facts["SHA-256 của bảng kết quả công bố"]
    assert facts["Điểm kiểm (checkpoint)"].startswith(
        f"parledger.local/demo — {publication['tree_size']} lá"
    )
    text = pdf_text(make(demo, "results-annex", CYCLE, None, "pdf"))
    check_text(text, CYCLE)
    assert publication["table_sha256"] in text.replace("\n", "")
    for unit in table["units"]:
        assert printed(unit["index"]) in text
    assert "PHỤ LỤC" in text


def test_the_results_annex_needs_a_publication(demo: Demo) -> None:
    with pytest.raises(NotFoundError) as refused:
        produce(demo.sources, "results-annex", "HN-2022", None, "pdf")
    assert refused.value.code == "not_published"


# -- 5. the improvement plan --------------------------------------------------------------


def test_the_improvement_plan_is_hanois_plan_table(demo: Demo) -> None:
    plan = {r["code"]: r for r in csv.DictReader(io.StringIO(plan_csv()))}
    book = workbook(make(demo, "improvement-plan", "HN-2022", "HN", "xlsx"))
    rows = rows_by_code(book.worksheets[0], 2)
    for code, total in AREA_TOTALS.items():
        assert number(rows[code][4]) == Decimal(total)
        assert number(rows[code][3]) == Decimal(plan[code]["max_points"])
        assert number(rows[code][5]) == Decimal(plan[code]["target_2022"])
    for code, row in plan.items():
        below = Decimal(row["score_2021"]) < Decimal(row["max_points"])
        assert (code in rows) == below, code
        if below:
            assert number(rows[code][4]) == Decimal(row["score_2021"])
            if row["lead_agency"] and row["level"] != "area":
                assert rows[code][7] == row["lead_agency"]
    total = next(r for r in book.worksheets[0].iter_rows(values_only=True) if r[2] == "TỔNG ĐIỂM")
    assert number(total[4]) == Decimal("88.54")
    text = pdf_text(make(demo, "improvement-plan", "HN-2022", "HN", "pdf"))
    check_text(text, "HN-2022")
    assert "KẾ HOẠCH" in text
    assert "Chỉ tiêu năm 2022" in text.replace("\n", " ")


# -- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "unit", "fmt", "field"),
    [
        ("no-such-document", "HN", "pdf", "kind"),
        ("scoring-sheet", None, "pdf", "unit"),
        ("results-annex", "HK", "pdf", "unit"),
        ("scoring-sheet", "HN", "docx", "format"),
    ],
)
def test_a_wrong_request_is_refused_plainly(
    demo: Demo, kind: str, unit: str | None, fmt: str, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        produce(demo.sources, kind, "HN-2022", unit, fmt)
    assert refused.value.field == field


def test_a_position_beyond_the_log_or_a_unit_outside_the_campaign_is_refused(demo: Demo) -> None:
    with pytest.raises(ValidationError):
        produce(demo.sources, "scoring-sheet", "HN-2022", "HN", "xlsx", 10**9)
    with pytest.raises(NotFoundError):
        produce(demo.sources, "scoring-sheet", "HN-2022", "HK", "xlsx")
    with pytest.raises(NotFoundError):
        produce(demo.sources, "scoring-sheet", "NOPE", "HN", "xlsx")


# -- both stores ----------------------------------------------------------------------------


def test_the_annex_and_the_scoring_sheet_on_both_stores(database_url: str, tmp_path: Path) -> None:
    with demo_store(database_url, tmp_path / "home") as built:
        (publication,) = built.reads.publications(CYCLE)
        table = built.sources.tables.get(publication["table_sha256"])
        text = pdf_text(produce(built.sources, "results-annex", CYCLE, None, "pdf")[1])
        assert publication["table_sha256"] in text.replace("\n", "")
        for unit in table["units"]:
            assert f"{unit['name']} ({unit['unit']})" in text
            assert printed(unit["total"]) in text
        _, data = produce(built.sources, "scoring-sheet", "HN-2022", "HN", "xlsx")
        rows = rows_by_code(workbook(data).worksheets[0], 2)
        for code, total in AREA_TOTALS.items():
            assert number(rows[code][5]) == Decimal(total)


def test_every_scorecard_at_a_position_is_each_one_read_alone(demo: Demo) -> None:
    position = demo.reads.trace(CYCLE, "HK", "3.4")[-1]["position"] - 1
    as_of = AsOf(position=position)
    together = demo.reads.scorecards_at(CYCLE, as_of)
    alone = [demo.reads.scorecard(CYCLE, unit, as_of) for unit in sorted(UNITS)]
    assert together == alone
    assert len(together) == len(UNITS)
