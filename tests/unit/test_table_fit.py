"""Tables fitted to a width: codes, numbers and times whole; titles wrap, and are cut with
an ellipsis only when that makes the table fit; otherwise the table grows."""

from __future__ import annotations

import io
import re

from rich.console import Console
from rich.table import Table

from api.cli.table_fit import fit

TIME = "2024-03-15T03:00:00.000000Z"
EVENT = "ScorecardLockedAtDeadline"
TITLE = "Tính hợp lý trong việc sắp xếp, kiện toàn tổ chức bộ máy của các cơ quan"


def _print(table: Table, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    console.print(fit(table, width, console), crop=False)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(output, str)
    return output


def _rows(text: str) -> list[list[str]]:
    """The cells of every line of a table's body and header, stripped."""
    return [[c.strip() for c in re.split(r"[│┃]", line)[1:-1]] for line in text.splitlines()]


def _cells(text: str) -> set[str]:
    return {cell for row in _rows(text) for cell in row}


def _table(titles: tuple[str, ...], whole: tuple[str, ...] = ()) -> Table:
    table = Table(title="Lịch sử")
    table.add_column("Thời điểm", no_wrap=True)
    table.add_column("Mã", no_wrap=True)
    table.add_column("Điểm", justify="right", no_wrap=True)
    for i, _ in enumerate(titles):
        table.add_column(f"Tiêu đề {i}")
    for i, _ in enumerate(whole):
        table.add_column(f"Mã {i}", no_wrap=True)
    table.add_row(TIME, "4.4.2", "13.488", *titles, *whole)
    return table


def test_a_table_that_fits_wraps_its_titles_and_keeps_codes_and_times_whole() -> None:
    text = _print(_table((TITLE,)), 80)

    assert max(len(line) for line in text.splitlines()) <= 80
    assert {TIME, "4.4.2", "13.488"} <= _cells(text)
    assert "…" not in text
    body = [row for row in _rows(text) if len(row) == 4][1:]  # below the header
    assert len(body) > 1  # the title wrapped
    assert " ".join(row[3] for row in body if row[3]) == TITLE


def test_titles_are_cut_only_when_that_makes_the_table_fit() -> None:
    long_word = "minh-chung-bao-cao-cchc-2023.pdf"
    text = _print(_table((long_word,)), 80)

    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" in text  # the one word longer than the room left
    assert {TIME, "4.4.2", "13.488"} <= _cells(text)


def test_a_table_that_cannot_fit_grows_and_cuts_nothing() -> None:
    table = _table((TITLE, "Lý do", "Người thực hiện"), (EVENT, "9898f21dabc"))

    text = _print(table, 60)

    assert max(len(line) for line in text.splitlines()) > 60
    assert "…" not in text
    assert {TIME, "4.4.2", "13.488", EVENT, "9898f21dabc"} <= _cells(text)


def test_a_header_wraps_over_a_narrow_number_column() -> None:
    table = Table()
    table.add_column("Thẩm định chính thức", justify="right", no_wrap=True)
    table.add_row("1/1")

    text = _print(table, 80)

    assert "1/1" in _cells(text)
    assert "Thẩm" in text
    assert "…" not in text
