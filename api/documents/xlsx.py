"""Documents as XLSX (openpyxl): one sheet per section, real numbers with the set's decimal
places as number formats, the table header frozen and printed on every page, columns as
wide as their content, A4 print setup; the provenance on the last sheet."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from api.documents.layout import sheet_name
from api.documents.model import Chart, Column, Document, Paragraph, Row, Section, Table

FONT = "Times New Roman"
PLAIN = Font(name=FONT, size=11)
BOLD = Font(name=FONT, size=11, bold=True)
ITALIC = Font(name=FONT, size=11, italic=True)
TITLE = Font(name=FONT, size=13, bold=True)
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
SHADE = PatternFill("solid", fgColor="E8E8E8")
HEAD = PatternFill("solid", fgColor="F0F0F0")
WRAP = Alignment(wrap_text=True, vertical="top")
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="top")
MM = 1 / 25.4  # openpyxl's margins are in inches
MAX_WIDTH = 60


def number_format(column: Column, precision: int) -> str:
    if column.kind == "count":
        return "0"
    return "0." + "0" * precision if precision else "0"


class _Sheet:
    """Writes rows down one worksheet."""

    def __init__(self, sheet: Worksheet, span: int) -> None:
        self.sheet = sheet
        self.span = max(span, 2)
        self.row = 1
        self.widths: dict[int, float] = {}
        self.header_row: int | None = None

    def line(self, text: str, font: Font = PLAIN, align: Alignment = WRAP) -> None:
        cell = self.sheet.cell(self.row, 1, text)
        cell.font, cell.alignment = font, align
        self.sheet.merge_cells(
            start_row=self.row, end_row=self.row, start_column=1, end_column=self.span
        )
        lines = max(1, len(text) // max(1, int(self._span_width() * 1.1)) + 1)
        if lines > 1:
            self.sheet.row_dimensions[self.row].height = 15 * lines
        self.row += 1

    def _span_width(self) -> float:
        return sum(self.widths.get(i, 10) for i in range(1, self.span + 1))

    def pair(self, left: str, right: str, font: Font) -> None:
        half = self.span // 2
        for first, last, text in ((1, half, left), (half + 1, self.span, right)):
            cell = self.sheet.cell(self.row, first, text)
            cell.font, cell.alignment = font, CENTRE
            if last > first:
                self.sheet.merge_cells(
                    start_row=self.row, end_row=self.row, start_column=first, end_column=last
                )
        self.row += 1

    def table(self, table: Table, precision: int) -> None:
        if table.caption:
            self.line(table.caption, BOLD)
        for i, column in enumerate(table.columns, start=1):
            cell = self.sheet.cell(self.row, i, column.title)
            cell.font, cell.alignment, cell.border, cell.fill = BOLD, CENTRE, BOX, HEAD
            self._fit(i, column, _longest_word(column.title) + 2)
        if self.header_row is None:
            self.header_row = self.row
        self.row += 1
        formats = [number_format(c, precision) for c in table.columns]
        for row in table.rows:
            self._row(row, table.columns, formats)
        if table.note:
            self.line(table.note, ITALIC)
        self.row += 1

    def _row(self, row: Row, columns: Sequence[Column], formats: Sequence[str]) -> None:
        font = BOLD if row.style in ("area", "criterion", "total", "group") else PLAIN
        for i, (value, column) in enumerate(zip(row.cells, columns, strict=True), start=1):
            cell = self.sheet.cell(self.row, i, value)
            cell.font, cell.border = font, BOX
            if row.style in ("area", "total"):
                cell.fill = SHADE
            if column.kind in ("points", "percent", "count") and isinstance(value, Decimal | int):
                cell.number_format = formats[i - 1]
                cell.alignment = RIGHT
                self._fit(i, column, len(str(value)) + 3)
            else:
                cell.alignment = WRAP
                self._fit(i, column, len(str(value or "")) + 2)
        self.row += 1

    def _fit(self, index: int, column: Column, wanted: int) -> None:
        cap = MAX_WIDTH if column.kind in ("points", "percent", "count") else column.width
        self.widths[index] = max(self.widths.get(index, 4), min(wanted, max(cap, 6)))

    def finish(self) -> None:
        for index, width in self.widths.items():
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        if self.header_row is not None:
            self.sheet.freeze_panes = f"A{self.header_row + 1}"
            self.sheet.print_title_rows = f"{self.header_row}:{self.header_row}"
        _print_setup(self.sheet)


def _longest_word(text: str) -> int:
    return max((len(word) for word in text.split()), default=0)


def _print_setup(sheet: Worksheet) -> None:
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    if sheet.sheet_properties.pageSetUpPr is not None:
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = 30 * MM
    sheet.page_margins.right = 15 * MM
    sheet.page_margins.top = 20 * MM
    sheet.page_margins.bottom = 20 * MM
    if sheet.oddFooter is not None:
        sheet.oddFooter.center.text = "Trang &P/&N"
        sheet.oddFooter.center.font = FONT


def _span(section: Section) -> int:
    return max((len(b.columns) for b in section.blocks if isinstance(b, Table)), default=2)


def _heading(out: _Sheet, document: Document) -> None:
    if document.form:
        out.line(document.form, BOLD, Alignment(horizontal="right"))
    out.pair(document.issuer.above, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", BOLD)
    out.pair(document.issuer.name, "Độc lập - Tự do - Hạnh phúc", BOLD)
    date = f"{document.issuer.place}, {document.date}" if document.date else ""
    out.pair(f"Số:       /{document.number}" if document.number else "", date, ITALIC)
    out.row += 1


def render_xlsx(document: Document) -> bytes:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for number, section in enumerate(document.sections):
        out = _Sheet(book.create_sheet(sheet_name(section.sheet)), _span(section))
        _prepare_widths(out, section)
        if number == 0:
            _heading(out, document)
        out.line(document.title, TITLE, CENTRE)
        for line in document.subtitle:
            out.line(line, BOLD, CENTRE)
        out.row += 1
        for block in section.blocks:
            if isinstance(block, Paragraph):
                out.line(block.text, BOLD if block.style == "heading" else PLAIN)
            elif isinstance(block, Table):
                out.table(block, document.precision)
            elif isinstance(block, Chart):
                continue  # the tables of the sheet hold the numbers the chart draws
        if number == len(document.sections) - 1:
            _closing(out, document)
        out.finish()
    _provenance(book, document)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def _prepare_widths(out: _Sheet, section: Section) -> None:
    for block in section.blocks:
        if isinstance(block, Table):
            for i, column in enumerate(block.columns, start=1):
                out.widths.setdefault(i, min(column.width, 12))


def _closing(out: _Sheet, document: Document) -> None:
    for signature in document.signatures:
        out.row += 1
        out.line(signature.role.upper(), BOLD)
        for text in signature.lines:
            out.line(text, ITALIC)
        if signature.name:
            out.line(signature.name, BOLD)


def _provenance(book: Workbook, document: Document) -> None:
    sheet = book.create_sheet("Nguồn gốc số liệu")
    sheet.cell(1, 1, "Nguồn gốc số liệu").font = TITLE
    for row, (label, value) in enumerate(document.provenance.items(), start=3):
        key = sheet.cell(row, 1, label)
        key.font, key.alignment = BOLD, WRAP
        cell = sheet.cell(row, 2, value)
        cell.font, cell.alignment = PLAIN, WRAP
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 90
    _print_setup(sheet)
