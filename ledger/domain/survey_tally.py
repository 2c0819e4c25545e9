"""An answer file's rows checked and tallied in one pass (docs/FORMATS.md §15.2).

Rows stream in (from CSV or XLSX, read by the application); every bad row is reported
with its row number, column and reason, and only counts are kept: the respondent ids
serve to count respondents and to find a second answer to the same question, and are
dropped with the pass."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ledger.domain.survey_definition import NO_GROUP, SurveyDefinition
from ledger.domain.survey_methods import BLANK, METHODS

RESPONDENT_MAX = 64
NOBODY = ("", "", "")  # no respondent yet: a rated unit's code is never empty


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str
    # what went wrong, for a page to say in its own words, and the value at fault
    code: str = ""
    value: str = ""

    def __str__(self) -> str:
        where = f", column {self.column}" if self.column else ""
        return f"row {self.row}{where}: {self.reason}"

    def as_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
            "code": self.code,
            "value": self.value,
        }


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
            errors.append(RowError(1, name, "this column appears twice", "duplicate_column", name))
        elif name not in wanted:
            errors.append(
                RowError(
                    1,
                    name,
                    "no such column is allowed (the columns are " + ", ".join(wanted) + ")",
                    "unknown_column",
                    name,
                )
            )
        seen.add(name)
    missing = [name for name in wanted if name not in seen]
    if missing:
        listed = ", ".join(missing)
        errors.append(RowError(1, "", f"missing column(s): {listed}", "missing_columns", listed))
    return errors


# a row's cells as counted: unit, group, question, option, and the question's bit
Key = tuple[str, str, str, str, int]


def _duplicate(row: int, key: Key) -> RowError:
    unit, group, question, _, _ = key
    whom = f"unit {unit}" + ("" if group == NO_GROUP else f", group {group}")
    reason = f"this respondent ({whom}) has answered {question} in an earlier row"
    return RowError(row, "question", reason, "duplicate_answer", question)


def tally_rows(rows: Iterable[Sequence[str]], definition: SurveyDefinition) -> FileTally:
    """Check and tally the rows of an answer file, its header first."""
    result = FileTally()
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        result.errors.append(
            RowError(1, "", "the file is empty; a header row is required", "empty_file")
        )
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
    bit = {code: 1 << n for n, code in enumerate(asked)}
    has_group = definition.kind == "par_survey"
    r, u, q, a = (position[n] for n in ("respondent", "unit", "question", "answer"))
    g = position.get("group", -1)
    # raw (unit, group, question, answer) cells -> the key they count under, or the reasons
    # they are refused: checked once per distinct combination, not once per row
    checked: dict[tuple[str, str, str, str], Key | list[RowError]]
    checked = {}

    def check(raw: tuple[str, str, str, str]) -> Key | list[RowError]:
        unit, group, question, answer = (cell.strip() for cell in raw)
        found: list[RowError] = []
        if unit not in units:
            found.append(RowError(0, "unit", f"{unit!r} is not a rated unit", "unknown_unit", unit))
        groups = asked.get(question)
        if groups is None:
            reason = f"{question!r} is not a question"
            found.append(RowError(0, "question", reason, "unknown_question", question))
        elif has_group and group not in groups:
            reason = f"{group!r} is not a group question {question} is put to"
            found.append(RowError(0, "group", reason, "group_not_asked", group))
        if answer and answer not in options:
            reason = f"{answer!r} is not an option ({', '.join(sorted(options))} or empty)"
            found.append(RowError(0, "answer", reason, "unknown_option", answer))
        return found or (unit, group, question, answer or BLANK, bit[question])

    counts: Counter[Key] = Counter()
    # each respondent (per unit and group) -> the questions answered, one bit each: memory
    # grows with the respondents, not the rows, and the ids go with the pass
    people: dict[tuple[str, str, str], int] = {}
    errors = result.errors
    number = 1
    last, answered = NOBODY, 0
    for cells in iterator:
        number += 1
        if len(cells) != width:
            reason = f"{len(cells)} cells where the header has {width}"
            errors.append(RowError(number, "", reason, "bad_width", str(len(cells))))
            continue
        raw = (cells[u], cells[g] if has_group else NO_GROUP, cells[q], cells[a])
        key = checked.get(raw)
        if key is None:
            key = checked[raw] = check(raw)
        respondent = cells[r].strip()
        if not respondent or len(respondent) > RESPONDENT_MAX:
            reason = "an id of 1 to 64 characters"
            errors.append(RowError(number, "respondent", reason, "bad_respondent"))
            respondent = ""
        if isinstance(key, list):
            errors += (replace(error, row=number) for error in key)
            continue
        counts[key] += 1
        if not respondent:
            continue
        person = (key[0], key[1], respondent)
        if person != last:  # a file lists a respondent's answers together, mostly
            people[last] = answered
            last, answered = person, people.get(person, 0)
        flag = key[4]
        if answered & flag:
            errors.append(_duplicate(number, key))
        answered |= flag
    people[last] = answered
    people.pop(NOBODY, None)
    result.rows = number - 1
    if errors:
        return result
    for (unit, group, question, option, _), count in sorted(counts.items()):
        into = result.tallies.setdefault(unit, {}).setdefault(group, {})
        into.setdefault(question, {})[option] = count
    for unit, group, _ in people:
        per_unit = result.respondents.setdefault(unit, {})
        per_unit[group] = per_unit.get(group, 0) + 1
    result.respondents = {
        unit: dict(sorted(groups.items())) for unit, groups in sorted(result.respondents.items())
    }
    return result
