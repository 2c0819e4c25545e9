"""An answer file's rows: every bad row reported with its row, column and reason, and the
columns that would let personal data in refused."""

from __future__ import annotations

from ledger.domain.survey_tally import tally_rows
from tests.survey_support import definition, hanoi_sipas, par_survey

HEADER = ["respondent", "unit", "question", "answer"]


def _errors(rows: list[list[str]], data: dict[str, object] | None = None) -> list[str]:
    return [str(e) for e in tally_rows(rows, definition(data or hanoi_sipas())).errors]


def test_every_bad_row_is_reported_and_nothing_is_tallied() -> None:
    rows = [
        HEADER,
        ["r1", "HN", "I.1", "4"],
        ["r1", "HP", "I.2", "4"],
        ["r1", "HN", "IX.9", "4"],
        ["r1", "HN", "I.3", "6"],
        ["", "HN", "I.3", "5"],
        ["r2", "HN", "I.3", "5", "extra"],
    ]
    tally = tally_rows(rows, definition(hanoi_sipas()))
    assert [str(e) for e in tally.errors] == [
        "row 3, column unit: 'HP' is not a rated unit",
        "row 4, column question: 'IX.9' is not a question",
        "row 5, column answer: '6' is not an option (1, 2, 3, 4, 5 or empty)",
        "row 6, column respondent: an id of 1 to 64 characters",
        "row 7: 5 cells where the header has 4",
    ]
    assert tally.tallies == {}
    assert tally.rows == 6


def test_a_column_that_could_carry_personal_data_is_refused() -> None:
    assert _errors([[*HEADER, "phone"], ["r1", "HN", "I.1", "4", "0912"]]) == [
        "row 1, column phone: no such column is allowed (the columns are respondent, unit, "
        "question, answer)"
    ]


def test_a_duplicate_header_and_a_missing_column() -> None:
    assert _errors([["respondent", "unit", "unit", "question"]]) == [
        "row 1, column unit: this column appears twice",
        "row 1: missing column(s): answer",
    ]


def test_a_byte_order_mark_and_columns_in_any_order_are_accepted() -> None:
    rows = [["\ufeffanswer", "question", "unit", "respondent"], ["5", "I.1", "HN", "r1"]]
    tally = tally_rows(rows, definition(hanoi_sipas()))
    assert tally.errors == []
    assert tally.tallies == {"HN": {"-": {"I.1": {"5": 1}}}}


def test_blanks_are_counted_apart() -> None:
    rows = [HEADER, ["r1", "HN", "I.1", ""], ["r2", "HN", "I.1", "1"]]
    assert tally_rows(rows, definition(hanoi_sipas())).tallies == {
        "HN": {"-": {"I.1": {"1": 1, "blank": 1}}}
    }


def test_a_par_survey_row_names_a_group_the_question_is_put_to() -> None:
    rows = [[*HEADER, "group"], ["d1", "HN", "Q2", "A", "DB"], ["d1", "HN", "Q1", "A", "XX"]]
    assert _errors(rows, par_survey()) == [
        "row 2, column group: 'DB' is not a group question Q2 is put to",
        "row 3, column group: 'XX' is not a group question Q1 is put to",
    ]


def test_an_empty_file() -> None:
    assert _errors([]) == ["row 1: the file is empty; a header row is required"]


def test_a_100000_row_file_is_tallied() -> None:
    questions = [q.code for q in definition(hanoi_sipas()).all_questions]
    rows = [HEADER] + [
        [f"r{i // 20}", "HN", questions[i % 20], str(1 + i % 5)] for i in range(100_000)
    ]
    tally = tally_rows(rows, definition(hanoi_sipas()))
    assert tally.errors == []
    assert tally.rows == 100_000
    assert sum(tally.tallies["HN"]["-"]["I.1"].values()) == 5000
    assert tally.respondents == {"HN": {"-": 5000}}
