"""What a document is made of, whatever its format: the heading of the issuing body, the
title, sections of paragraphs, tables and charts, a signature, and the provenance of its
numbers. The document modules build one; :mod:`api.documents.pdf` and
:mod:`api.documents.xlsx` render it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

ColumnKind = Literal["text", "code", "points", "percent", "count"]
RowStyle = Literal["", "area", "criterion", "group", "total"]
Cell = str | int | Decimal | None


@dataclass(frozen=True)
class Column:
    title: str
    kind: ColumnKind = "text"
    width: int = 10  # in characters of the spreadsheet; the PDF shares widths in proportion


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    style: RowStyle = ""


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    caption: str = ""
    note: str = ""


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: Literal["", "heading", "note"] = ""


@dataclass(frozen=True)
class Chart:
    """A chart as SVG (PDF only: the spreadsheet has the numbers it is drawn from)."""

    svg: str
    caption: str


Block = Paragraph | Table | Chart


@dataclass(frozen=True)
class Section:
    """A part of the document; in the spreadsheet, one sheet named ``sheet``."""

    sheet: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Issuer:
    """The issuing body of the two-column heading (Nghị định 30/2020): the body above it,
    if any, and its own name; the place named in the date line."""

    above: str
    name: str
    place: str


@dataclass(frozen=True)
class Signature:
    """Who answers for the document, and how the ledger recorded it."""

    role: str
    name: str = ""
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provenance:
    """Where the numbers come from: the ledger, the campaign, the log position they were read
    at, the signed checkpoint that covers it, the published table's SHA-256 for a
    publication's documents, and the public page that verifies them."""

    ledger: str
    campaign: str
    campaign_title: str
    position: int
    recorded_at: str | None
    leaf_index: int | None
    checkpoint_origin: str | None
    checkpoint_size: int | None
    checkpoint_root: str | None
    checkpoint_signed_at: str | None
    verify_url: str
    table_sha256: str | None = None
    publication: int | None = None

    def items(self) -> list[tuple[str, str]]:
        """The provenance as (label, value) pairs, the way every format shows it."""
        checkpoint = (
            f"{self.checkpoint_origin} — {self.checkpoint_size} lá, gốc {self.checkpoint_root} "
            f"(ký lúc {self.checkpoint_signed_at})"
            if self.checkpoint_size is not None
            else "chưa có điểm kiểm (checkpoint) đã ký bao gồm vị trí này"
        )
        items = [
            ("Sổ cái", self.ledger),
            ("Kỳ đánh giá", f"{self.campaign} — {self.campaign_title}"),
            (
                "Số liệu đọc tại vị trí nhật ký",
                f"{self.position}"
                + ("" if self.leaf_index is None else f" (lá {self.leaf_index})")
                + ("" if self.recorded_at is None else f", sự kiện ghi lúc {self.recorded_at}"),
            ),
            ("Điểm kiểm (checkpoint)", checkpoint),
        ]
        if self.table_sha256 is not None:
            items.append(
                (
                    "SHA-256 của bảng kết quả công bố",
                    f"{self.table_sha256} (lần công bố {self.publication})",
                )
            )
        items.append(("Kiểm tra tại", self.verify_url))
        return items


@dataclass(frozen=True)
class Document:
    kind: str
    file_stem: str
    issuer: Issuer
    date: str  # the date line's date, already in words: "ngày 02 tháng 4 năm 2024"
    title: str
    subtitle: tuple[str, ...]
    sections: tuple[Section, ...]
    provenance: Provenance
    precision: int
    form: str = ""  # "Mẫu 02": printed above the heading
    number: str = ""  # the document number's suffix: "BC-SNV" prints "Số:      /BC-SNV"
    signatures: tuple[Signature, ...] = ()
    recipients: tuple[str, ...] = ()
