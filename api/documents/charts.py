"""Charts for the PDF reports, drawn by matplotlib as SVG (ADR 9): the index of every unit
of a ranking group, and a unit's or a group's component index per area. Text stays text
(the document's serif font), so the numbers on a chart can be searched and copied.

Points are decimals everywhere else; a chart is a picture of numbers the tables beside it
give exactly, so it may draw them as floats."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SERIF = ("Liberation Serif", "Times New Roman", "Tinos", "DejaVu Serif")
VIETNAMESE = (0x1EE5, 0x1EA1, 0x01B0)  # ụ ạ ư


@cache
def _figure_class() -> Any:
    """matplotlib, set up on first use (its import costs a second every command would pay):
    the Agg backend, text kept as text in the document's serif font, and the font files
    that cover Vietnamese first. Debian has Liberation Serif 1 (no Vietnamese) beside
    Liberation Serif 2 under the same name; matplotlib measures text with whichever it meets
    first (fontconfig, which WeasyPrint uses, already prefers the right one)."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "parledger",
            "font.family": "serif",
            "font.serif": list(SERIF),
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    from matplotlib import font_manager, ft2font
    from matplotlib.figure import Figure

    def covers(entry: font_manager.FontEntry) -> bool:
        try:
            charmap = ft2font.FT2Font(entry.fname).get_charmap()
        except (OSError, RuntimeError):
            return False
        return all(code in charmap for code in VIETNAMESE)

    font_manager.fontManager.ttflist.sort(key=lambda e: e.name in SERIF and not covers(e))
    return Figure


BAR = "#2f5d8a"
AXIS = "#444444"
MAX_BARS = 60  # above this a group is drawn as a histogram of its indexes
LABEL = 42


def _comma(value: float, places: int = 2) -> str:
    return f"{value:.{places}f}".replace(".", ",")


def _svg(figure: Figure) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return out.getvalue()


def _short(label: str) -> str:
    return label if len(label) <= LABEL else label[: LABEL - 1] + "…"


def index_chart(labels: Sequence[str], indexes: Sequence[Decimal], title: str) -> str:
    """The index (%) of every unit of a group, highest first; a histogram for a large group."""
    if len(labels) > MAX_BARS:
        return _histogram(indexes, title)
    pairs = sorted(zip(indexes, labels, strict=True), key=lambda p: (-p[0], p[1]))
    figure = _figure_class()(figsize=(6.3, 0.9 + 0.24 * len(pairs)))
    axes = figure.add_subplot()
    values = [float(v) for v, _ in pairs]
    positions = list(range(len(pairs)))
    bars = axes.barh(positions, values, color=BAR, height=0.65)
    axes.set_yticks(positions, [_short(label) for _, label in pairs])
    axes.invert_yaxis()
    axes.set_xlim(0, 105)
    axes.set_xlabel("Chỉ số (%)")
    axes.set_title(title, fontsize=10)
    axes.bar_label(bars, labels=[_comma(v) for v in values], padding=2, fontsize=8)
    axes.tick_params(colors=AXIS)
    return _svg(figure)


def _histogram(indexes: Sequence[Decimal], title: str) -> str:
    figure = _figure_class()(figsize=(6.3, 2.8))
    axes = figure.add_subplot()
    values = [float(v) for v in indexes]
    low = min(values, default=0.0) // 5 * 5
    edges = [low + 5 * i for i in range(int((100 - low) // 5) + 2)]
    axes.hist(values, bins=edges, color=BAR, edgecolor="white")
    axes.set_xlabel("Chỉ số (%)")
    axes.set_ylabel("Số đơn vị")
    axes.set_title(f"{title} ({len(values)} đơn vị)", fontsize=10)
    axes.tick_params(colors=AXIS)
    return _svg(figure)


def area_chart(codes: Sequence[str], indexes: Sequence[Decimal], title: str) -> str:
    """The component index (%) of each area, in the set's order of areas."""
    figure = _figure_class()(figsize=(6.3, 2.6))
    axes = figure.add_subplot()
    values = [float(v) for v in indexes]
    bars = axes.bar(range(len(codes)), values, color=BAR, width=0.6)
    axes.set_xticks(range(len(codes)), [f"Lĩnh vực {c}" for c in codes], fontsize=8)
    axes.set_ylim(0, 112)
    axes.set_ylabel("Chỉ số thành phần (%)")
    axes.set_title(title, fontsize=10)
    axes.bar_label(bars, labels=[_comma(v) for v in values], padding=2, fontsize=8)
    axes.tick_params(colors=AXIS)
    return _svg(figure)
