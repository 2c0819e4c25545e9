"""Documents as PDF: HTML from a Jinja2 template, laid out by WeasyPrint (ADR 9) on A4 in the
administrative layout of Nghị định 30/2020, in Liberation Serif (metric-compatible with
Times New Roman), with the provenance in every page's footer and a QR code to the public
verify page at the end."""

from __future__ import annotations

import base64
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.documents.layout import number
from api.documents.model import Cell, Chart, Column, Document, Paragraph, Table

NUMERIC = ("points", "percent", "count")


def _templates() -> str:
    return str(resources.files("api.documents").joinpath("templates"))


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_templates()),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.tests["paragraph"] = lambda block: isinstance(block, Paragraph)
    env.tests["table"] = lambda block: isinstance(block, Table)
    env.tests["chart"] = lambda block: isinstance(block, Chart)
    env.filters["data_uri"] = _svg_uri
    return env


@cache
def _stylesheet() -> str:
    return resources.files("api.documents").joinpath("templates/document.css").read_text("utf-8")


def _svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def cell_text(value: Cell, column: Column, precision: int) -> str:
    if value is None:
        return ""
    if column.kind in ("points", "percent") and isinstance(value, Decimal):
        return number(value, precision)
    return str(value)


def html(document: Document) -> str:
    """The document as one HTML page (what WeasyPrint lays out)."""
    qr = segno.make(document.provenance.verify_url, error="m")
    context: dict[str, Any] = {
        "doc": document,
        "css": _stylesheet(),
        "qr": qr.svg_data_uri(scale=3, border=1),
        "cell": lambda value, column: cell_text(value, column, document.precision),
        "numeric": NUMERIC,
        "widths": _widths,
    }
    return _environment().get_template("document.html.j2").render(context)


def _widths(table: Table) -> list[str]:
    total = sum(column.width for column in table.columns) or 1
    return [f"{100 * column.width / total:.2f}%" for column in table.columns]


def render_pdf(document: Document) -> bytes:
    from weasyprint import HTML  # a second of imports, paid only when a PDF is made

    data: bytes = HTML(string=html(document)).write_pdf()
    return data
