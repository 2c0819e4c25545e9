"""Tables fitted to the width they are printed at, whatever it is (80 columns, a pipe).

A column declared with ``no_wrap=True`` holds what people look up or compare: codes,
numbers, times, event types, key ids. It gets the width of its longest cell and is never
cut or wrapped (its header may wrap). The other columns hold titles, names and reasons:
they wrap at spaces, widest first; only when that is not enough and cutting their words
with an ellipsis (down to a few characters) makes the table fit are they cut. Otherwise
the table is printed wider than the width, wrapped but uncut, rather than lose a code or
a number."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console, ConsoleOptions, RenderableType
from rich.measure import Measurement
from rich.table import Column, Table

FLOOR = 6  # a title column is never made narrower than this (or its content)
READABLE = 20  # a title column's width when the table is wider than the output anyway
MEASURE_WIDTH = 100_000


def fit(table: Table, width: int, console: Console) -> Table:
    """Fix every column's width so that ``table`` fits ``width`` if it can; otherwise set
    the table's own width to what it needs (print it with ``crop=False``)."""
    options = console.options.update_width(MEASURE_WIDTH)
    _, right, _, left = table.padding
    padding = (left + right) * len(table.columns)
    border = ((2 if table.show_edge else 0) + len(table.columns) - 1) if table.box else 0
    whole = [c for c in table.columns if c.no_wrap]
    titles = [c for c in table.columns if not c.no_wrap]
    for column in whole:
        cells = _measures(console, options, column.cells)
        header_word = Measurement.get(console, options, column.header).minimum
        column.width = max([header_word, 1, *(m.maximum for m in cells)])
        column.no_wrap = False  # the cells fit; the header may wrap
    room = width - border - padding - sum(c.width or 0 for c in whole)
    natural = [_natural(console, options, c) for c in titles]
    words = [
        min(n, _longest_word(console, options, c)) for n, c in zip(natural, titles, strict=True)
    ]
    floors = [min(n, FLOOR) for n in natural]
    wrapped = _shrink(natural, words, room)
    cut = _shrink(wrapped, floors, room)
    if sum(cut) <= room:
        sizes = cut
    else:  # wider than the width anyway: titles keep a readable width, nothing is cut
        sizes = [min(n, max(w, READABLE)) for n, w in zip(natural, words, strict=True)]
    for column, size in zip(titles, sizes, strict=True):
        column.width = size
    needed = border + padding + sum(c.width or 0 for c in table.columns)
    table.width = needed if needed > width else None
    return table


def _measures(
    console: Console, options: ConsoleOptions, cells: Iterable[RenderableType]
) -> list[Measurement]:
    return [Measurement.get(console, options, cell) for cell in cells]


def _natural(console: Console, options: ConsoleOptions, column: Column) -> int:
    found = _measures(console, options, [column.header, *column.cells])
    return max([1, *(m.maximum for m in found)])


def _longest_word(console: Console, options: ConsoleOptions, column: Column) -> int:
    found = _measures(console, options, [column.header, *column.cells])
    return max([1, *(m.minimum for m in found)])


def _shrink(sizes: list[int], limits: list[int], room: int) -> list[int]:
    """Narrow the widest columns first, one character at a time, none below its limit,
    until the sizes fit ``room`` or no column can give more."""
    sizes = list(sizes)
    while sum(sizes) > room:
        candidates = [i for i, size in enumerate(sizes) if size > limits[i]]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: sizes[i])
        sizes[widest] -= 1
    return sizes
