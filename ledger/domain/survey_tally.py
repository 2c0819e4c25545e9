"""An answer file's rows checked and tallied in one pass (docs/FORMATS.md §12.2).

Rows stream in (from CSV or XLSX, read by the application); every bad row is reported
with its row number, column and reason, and only counts are kept: the respondent ids
serve to count respondents and are dropped with the pass."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.domain.survey_definition import NO_GROUP, SurveyDefinition
from ledger.domain.survey_methods import BLANK, METHODS

RESPONDENT_MAX = 64


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f", column {self.column}" if self.column else ""
        return f"row {self.row}{where}: {self.reason}"

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class FileTally:
    """What an answer file gives: its data rows, the tallies, the respondents counted per
    unit and group, and every bad row (the file is recorded only without any)."""

    rows: int = 0
    tallies: dict[str, dict[str, dict[str, dict[str, int]]]] = field(default_factory=dict)
    respondents: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)


def _header(cells: Sequence[str], definition: SurveyDefinition) -> list[RowError]:
    wanted = definition.columns()
    errors = []
    seen: set[str] = set()
    for cell in cells:
        name = cell.strip()
        if name in seen:
            errors.append(RowError(1, name, "this column appears twice"))
        elif name not in wanted:
            errors.append(
                RowError(
                    1,
                    name,
                    "no such column is allowed (the columns are " + ", ".join(wanted) + ")",
                )
            )
        seen.add(name)
    missing = [name for name in wanted if name not in seen]
    if missing:
        errors.append(RowError(1, "", f"missing column(s): {', '.join(missing)}"))
    return errors


def tally_rows(rows: Iterable[Sequence[str]], definition: SurveyDefinition) -> FileTally:
    """Check and tally the rows of an answer file, its header first."""
    result = FileTally()
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        result.errors.append(RowError(1, "", "the file is empty; a header row is required"))
        return result
    header = [str(cell) for cell in header]
    if header:
        header[0] = header[0].removeprefix("\ufeff")
    result.errors += _header(header, definition)
    if result.errors:
        return result
    position = {name.strip(): index for index, name in enumerate(header)}
    width = len(header)
    options = set(METHODS[definition.method].options)
    units = set(definition.units)
    asked = {q.code: set(definition.asked(q)) for q in definition.all_questions}
    has_group = definition.kind == "par_survey"
    r, u, q, a = (position[n] for n in ("respondent", "unit", "question", "answer"))
    g = position.get("group", -1)
    # raw (unit, group, question, answer) cells -> the key they count under, or the reasons
    # they are refused: checked once per distinct combination, not once per row
    checked: dict[tuple[str, str, str, str], tuple[str, str, str, str] | list[tuple[str, str]]]
    checked = {}

    def check(raw: tuple[str, str, str, str]) -> tuple[str, str, str, str] | list[tuple[str, str]]:
        unit, group, question, answer = (cell.strip() for cell in raw)
        found: list[tuple[str, str]] = []
        if unit not in units:
            found.append(("unit", f"{unit!r} is not a rated unit"))
        groups = asked.get(question)
        if groups is None:
            found.append(("question", f"{question!r} is not a question"))
        elif has_group and group not in groups:
            found.append(("group", f"{group!r} is not a group question {question} is put to"))
        if answer and answer not in options:
            listed = ", ".join(sorted(options))
            found.append(("answer", f"{answer!r} is not an option ({listed} or empty)"))
        return found or (unit, group, question, answer or BLANK)

    counts: Counter[tuple[str, str, str, str]] = Counter()
    people: set[tuple[str, str, str]] = set()
    errors = result.errors
    number = 1
    last = ("", "", "")
    for cells in iterator:
        number += 1
        if len(cells) != width:
            errors.append(RowError(number, "", f"{len(cells)} cells where the header has {width}"))
            continue
        raw = (cells[u], cells[g] if has_group else NO_GROUP, cells[q], cells[a])
        key = checked.get(raw)
        if key is None:
            key = checked[raw] = check(raw)
        respondent = cells[r].strip()
        if not respondent or len(respondent) > RESPONDENT_MAX:
            errors.append(RowError(number, "respondent", "an id of 1 to 64 characters"))
        if isinstance(key, list):
            errors += (RowError(number, column, reason) for column, reason in key)
            continue
        counts[key] += 1
        person = (key[0], key[1], respondent)
        if person != last:  # a file lists a respondent's answers together, mostly
            people.add(person)
            last = person
    result.rows = number - 1
    if errors:
        return result
    for (unit, group, question, option), count in sorted(counts.items()):
        into = result.tallies.setdefault(unit, {}).setdefault(group, {})
        into.setdefault(question, {})[option] = count
    for unit, group, _ in people:
        per_unit = result.respondents.setdefault(unit, {})
        per_unit[group] = per_unit.get(group, 0) + 1
    result.respondents = {
        unit: dict(sorted(groups.items())) for unit, groups in sorted(result.respondents.items())
    }
    return result
