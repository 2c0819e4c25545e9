"""Helpers for the document tests: the demo on a fresh store, a document's text (PDF) or
rows (XLSX), its first page as a PNG in tests/artefacts/, and numbers as documents print
them."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pypdf

from api.bootstrap import open_runtime
from api.documents.sources import Sources
from ledger.application.service import Ledger
from ledger.application.settings import Settings
from ledger.demo.province import demo_clock, run_demo
from projections.read_models.queries import ReadModels

ARTEFACTS = Path(__file__).parent / "artefacts"
PUBLIC_URL = "https://par.example.vn"


@dataclass
class Demo:
    ledger: Ledger
    reads: ReadModels
    sources: Sources


@contextmanager
def demo_store(database_url: str, home: Path) -> Iterator[Demo]:
    """The demo (HN-2022 and the published HN-SH-2023 cycle) on a fresh store."""
    settings = Settings(database_url=database_url, home=home, public_url=PUBLIC_URL)
    runtime = open_runtime(settings, clock=demo_clock(), project=False)
    ledger = runtime.ledger
    try:
        run_demo(ledger)
        runtime.projector.catch_up()
        # as the service does on its interval: a checkpoint of the whole log as projected
        runtime.checkpoints.sign(ledger.clock.now())
        reads = runtime.reads
        name = ledger.keyring().ledger or settings.ledger_name
        tables = runtime.publishing.tables
        yield Demo(ledger, reads, Sources(reads, tables, name, PUBLIC_URL))
    finally:
        runtime.close()


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_pages(data: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def first_page_png(data: bytes, name: str) -> Path:
    """Render the first page with pdftoppm (poppler-utils) into tests/artefacts/."""
    tool = shutil.which("pdftoppm")
    assert tool, "pdftoppm is needed (Debian's poppler-utils; .ci/run installs it)"
    ARTEFACTS.mkdir(exist_ok=True)
    source = ARTEFACTS / f"{name}.pdf"
    source.write_bytes(data)
    subprocess.run(
        [
            tool,
            "-r",
            "80",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(source),
            str(ARTEFACTS / name),
        ],
        check=True,
        timeout=60,
    )
    png = ARTEFACTS / f"{name}.png"
    assert png.stat().st_size > 10_000
    return png


def workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def rows_by_code(sheet: Any, column: int) -> dict[str, tuple[Any, ...]]:
    """The sheet's rows keyed by the text in ``column`` (1-based)."""
    found: dict[str, tuple[Any, ...]] = {}
    for row in sheet.iter_rows(values_only=True):
        key = row[column - 1] if len(row) >= column else None
        if isinstance(key, str) and key:
            found.setdefault(key, row)
    return found


def number(value: Any) -> Decimal:
    """A cell's number as a decimal, exactly as written in the file."""
    return Decimal(str(value))


def printed(value: str | Decimal, places: int = 2) -> str:
    """A number as the PDF prints it: decimal comma, trailing zeros kept down to two places."""
    text = f"{Decimal(value):f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(places, "0")
    return f"{whole},{fraction}"


def between(text: str, start: str, end: str | None) -> str:
    """The text from ``start`` to ``end`` (or to the end)."""
    first = text.index(start)
    last = (
        text.index(end, first + len(start))
        if end and end in text[first + len(start) :]
        else len(text)
    )
    return text[first:last]
