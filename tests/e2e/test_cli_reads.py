"""The read commands of the ``parledger`` console script on the demo ledger (Hanoi's 2022
scorecard and the 2023 cycle of departments and districts), as a user runs them: in a
fresh directory, on the embedded SQLite default."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger.demo.cycle import EXPLANATIONS, FINAL_REVISIONS, PRELIMINARY_CHANGES
from projections.read_models.trace import TRACE_COLUMNS

SCRIPT = Path(sys.executable).parent / "parledger"
TIMEOUT = 180
STC_AS_OF = "2024-02-05T10:00:00Z"  # 17:00 in Hanoi: self-assessment has just closed


def parledger(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEDGER_")}
    env.update(COLUMNS="200", PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [str(SCRIPT), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT,
        check=False,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, output(result)
    assert "Traceback" not in output(result), output(result)
    return result.stdout


def as_json(cwd: Path, *args: str) -> Any:
    return json.loads(ok(parledger(cwd, *args, "--format", "json")))


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, output(result)
    assert "Traceback" not in output(result), output(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error"), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory where ``parledger demo`` has run once."""
    assert SCRIPT.exists(), f"the console script is not installed at {SCRIPT}"
    folder = tmp_path_factory.mktemp("demo")
    ok(parledger(folder, "demo"))
    return folder


# -- (a) the Hanoi scorecard ----------------------------------------------------------------

AREA_TOTALS = {
    "1": "8.424",
    "2": "8.76",
    "3": "13.488",
    "4": "10.34",
    "5": "11.34",
    "6": "10.583",
    "7": "12.396",
    "8": "13.209",
}


def test_scorecard_json_of_hanoi(demo: Path) -> None:
    view = as_json(demo, "scorecard", "--campaign", "HN-2022", "--unit", "HN")
    final = view["totals"]["final"]
    assert final["total"] == "88.54"
    assert Decimal(final["index"]) == Decimal("88.54")
    assert Decimal(final["max_total"]) == Decimal(100)
    assert {code: Decimal(final["nodes"][code]) for code in AREA_TOTALS} == {
        code: Decimal(points) for code, points in AREA_TOTALS.items()
    }
    assert {code: Decimal(area["points"]) for code, area in final["areas"].items()} == {
        code: Decimal(points) for code, points in AREA_TOTALS.items()
    }
    assert sum(Decimal(p) for p in AREA_TOTALS.values()) == Decimal("88.54")
    assert view["submitted_at"] is not None
    assert (view["campaign"], view["unit"]) == ("HN-2022", "HN")


# -- (b) a trace as CSV ---------------------------------------------------------------------


def test_trace_of_one_criterion_as_csv(demo: Path) -> None:
    text = ok(
        parledger(
            demo,
            "trace",
            "--campaign",
            "HN-SH-2023",
            "--unit",
            "HK",
            "--criterion",
            "3.4",
            "--format",
            "csv",
        )
    )
    assert text.startswith("\ufeff")  # Excel on Windows reads UTF-8 by its byte-order mark
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    assert tuple(reader.fieldnames or ()) == TRACE_COLUMNS
    rows = list(reader)
    assert len(text.strip().splitlines()) == len(rows) + 1
    assert {(r["campaign"], r["unit"], r["criterion"]) for r in rows} == {
        ("HN-SH-2023", "HK", "3.4")
    }
    positions = [int(r["position"]) for r in rows]
    assert positions == sorted(positions)
    changes = [
        (r["event_type"], r["from_points"], r["to_points"])
        for r in rows
        if r["event_type"] != "EvidenceAttached"
    ]
    assert changes == [
        ("SelfScoreRecorded", "", "5.00"),  # points at the set's places: one format
        ("AppraisalRecorded", "5.00", "4.00"),
        ("ExplanationSubmitted", "", ""),
        ("AppraisalRevised", "4.00", "5.00"),
    ]
    by_type = {r["event_type"]: r for r in rows}
    appraisal = by_type["AppraisalRecorded"]
    assert appraisal["why"] == PRELIMINARY_CHANGES[("HK", "3.4")][1]
    assert appraisal["role"] == "appraiser"
    assert appraisal["name"]
    assert appraisal["key_id"]
    explanation = by_type["ExplanationSubmitted"]
    assert explanation["why"] == EXPLANATIONS[("HK", "3.4")]
    assert explanation["role"] == "unit_staff"
    assert explanation["signer_unit"] == "UBND quận Hoàn Kiếm"
    revision = by_type["AppraisalRevised"]
    assert revision["why"] == FINAL_REVISIONS[("HK", "3.4")][1]
    assert revision["key_id"] == appraisal["key_id"]
    # the file added with the explanation is named, and the revision cites it
    supplements = [r for r in rows if r["event_type"] == "EvidenceAttached"]
    assert supplements
    assert supplements[-1]["why"].startswith("bổ sung khi giải trình")
    assert supplements[-1]["evidence"] in revision["evidence"].split()
    for row in rows:
        assert row["recorded_at"].endswith("Z")
        assert len(row["event_hash"]) == 64


def test_trace_of_a_unit_as_json(demo: Path) -> None:
    rows = as_json(demo, "trace", "--campaign", "HN-SH-2023", "--unit", "HK")
    assert {r["unit"] for r in rows} == {"HK"}
    assert {r["criterion"] for r in rows} >= {"", "3.4"}
    positions = [(r["position"], r["event_type"]) for r in rows]
    assert positions == sorted(positions, key=lambda p: p[0])
    assert set(rows[0]) == set(TRACE_COLUMNS)


def test_the_trace_names_each_event_by_its_leaf_in_the_log(demo: Path, tmp_path: Path) -> None:
    """The trace's ``leaf`` is the leaf index of the transparency log: the line of the
    published bundle that holds the event (FORMATS §10c, §13)."""
    rows = as_json(demo, "trace", "--campaign", "HN-SH-2023", "--unit", "HK")
    ok(parledger(demo, "bundle", "--campaign", "HN-SH-2023", "-o", str(tmp_path / "b.gz")))
    leaves = gzip.decompress((tmp_path / "b.gz").read_bytes()).split(b"\n")[1:-1]
    for row in rows:
        assert hashlib.sha256(leaves[row["leaf"]]).hexdigest() == row["event_hash"], row
    shown = ok(parledger(demo, "trace", "--campaign", "HN-SH-2023", "--unit", "HK"))
    assert "nhật" in shown  # the column "Lá nhật ký", its title wrapped
    for row in (rows[0], rows[-1]):
        assert re.search(rf"^│\s+{row['leaf']}\s+│", shown, re.M), shown


# -- (c) the ranking ------------------------------------------------------------------------


def grade(index: Decimal) -> str:
    """The demo campaign's grade bands."""
    for minimum, name in ((90, "Xuất sắc"), (80, "Tốt"), (70, "Khá")):
        if index >= minimum:
            return name
    return "Trung bình"


def test_ranking_json_and_csv(demo: Path) -> None:
    rows = as_json(demo, "ranking", "--campaign", "HN-SH-2023")
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["ranking_group"], []).append(row)
    assert {g: len(members) for g, members in groups.items()} == {"department": 3, "district": 2}
    for members in groups.values():
        assert [r["rank"] for r in members] == list(range(1, len(members) + 1))
        assert {r["of"] for r in members} == {len(members)}
        indexes = [Decimal(r["index"]) for r in members]
        assert indexes == sorted(indexes, reverse=True)
        for r in members:
            assert r["grade"] == grade(Decimal(r["index"]))
            assert r["previous_rank"] is None
            assert r["rank_change"] is None
    assert [r["unit"] for r in groups["department"]] == ["STC", "SNV", "STP"]
    assert [r["unit"] for r in groups["district"]] == ["HK", "BD"]
    assert Decimal(groups["department"][0]["max_total"]) == Decimal("95.5")
    assert Decimal(groups["district"][0]["max_total"]) == Decimal(100)
    assert Decimal(groups["district"][0]["index"]) == Decimal("91.22")

    text = ok(parledger(demo, "ranking", "--campaign", "HN-SH-2023", "--format", "csv"))
    assert text.startswith("\ufeff")
    parsed = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert {len(r["total"].split(".")[1]) for r in parsed} == {2}  # one format per column
    assert {len(r["index"].split(".")[1]) for r in parsed} == {2}
    assert [(r["ranking_group"], int(r["rank"]), r["unit"], r["grade"]) for r in parsed] == [
        (r["ranking_group"], r["rank"], r["unit"], r["grade"]) for r in rows
    ]
    assert {r["previous_rank"] for r in parsed} == {""}


# -- (d) progress ---------------------------------------------------------------------------


def test_progress_json(demo: Path) -> None:
    report = as_json(demo, "progress", "--campaign", "HN-SH-2023")
    assert report["phase"] == "finalised"
    states = {u["unit"]: u["state"] for u in report["units"]}
    assert states == {
        "BD": "submitted",
        "HK": "submitted",
        "SNV": "submitted",
        "STC": "locked",
        "STP": "submitted",
    }
    assert all(d["passed"] for d in report["deadlines"])
    assert all(a["remaining_preliminary"] == 0 for a in report["appraisers"])
    # each appraised leaf counted once, for the member who signed it, in its round
    for done, counted in (
        ("done_preliminary", "preliminary_appraised"),
        ("done_final", "final_appraised"),
    ):
        assert sum(a[done] for a in report["appraisers"]) == sum(
            u[counted] for u in report["units"]
        )
    assert sum(a["done_preliminary"] for a in report["appraisers"]) > 0
    table = ok(parledger(demo, "progress", "--campaign", "HN-SH-2023"))
    assert "Thẩm định của thành viên Hội đồng: đã làm và còn lại" in table
    # reported at a moment of the explanation round: the later deadlines are still ahead
    then = as_json(demo, "progress", "--campaign", "HN-SH-2023", "--at", "2024-03-06T00:00:00Z")
    assert then["now"] == "2024-03-06T00:00:00.000000Z"
    ahead = {d["milestone"]: d for d in then["deadlines"] if not d["passed"]}
    assert sorted(ahead) == ["explanation_closes", "final_appraisal_closes"]
    # 2024-03-11 17:00 in Hanoi is 10:00 UTC, five days and ten hours later
    assert ahead["explanation_closes"]["seconds_left"] == (5 * 24 + 10) * 3600
    assert ahead["explanation_closes"]["at"] == "2024-03-11T17:00:00+07:00"


# -- (e) gaps and targets -------------------------------------------------------------------


def test_gaps_json_of_hanoi(demo: Path) -> None:
    report = as_json(demo, "gaps", "--campaign", "HN-2022", "--unit", "HN")
    assert report["lost"] == "11.46"
    assert Decimal(report["total"]) + Decimal(report["lost"]) == Decimal(100)
    assert report["targets_year"] == 2022
    criteria = {c["code"]: c for a in report["agencies"] for c in a["criteria"]}
    assert Decimal(criteria["8.1"]["target"]) == Decimal("8.8")
    assert Decimal(criteria["8.1"]["to_gain"]) == Decimal(criteria["8.1"]["target"]) - Decimal(
        criteria["8.1"]["points"]
    )
    assert sum(Decimal(a["lost"]) for a in report["agencies"]) == Decimal("11.46")
    lost = [Decimal(a["lost"]) for a in report["agencies"]]
    assert lost == sorted(lost, reverse=True)


# -- (f) as of a time -----------------------------------------------------------------------


def test_scorecard_as_of_the_deadline_of_a_unit_that_never_submitted(demo: Path) -> None:
    view = as_json(
        demo, "scorecard", "--campaign", "HN-SH-2023", "--unit", "STC", "--as-of", STC_AS_OF
    )
    assert view["locked_at"] == "2024-02-05T10:00:00.000000Z"
    assert view["submitted_at"] is None
    assert view["as_of"]["at"] == "2024-02-05T10:00:00.000000Z"
    assert all(leaf["preliminary_appraisal"] is None for leaf in view["leaves"])
    assert any(leaf["self_score"] is not None for leaf in view["leaves"])
    now = as_json(demo, "scorecard", "--campaign", "HN-SH-2023", "--unit", "STC")
    assert now["locked_at"] == view["locked_at"]
    assert any(leaf["preliminary_appraisal"] is not None for leaf in now["leaves"])
    assert [leaf["self_score"] for leaf in now["leaves"]] == [
        leaf["self_score"] for leaf in view["leaves"]
    ]
    # by log position: the last position of that view gives the same scorecard
    position = str(view["as_of"]["last_position"])
    again = as_json(
        demo, "scorecard", "--campaign", "HN-SH-2023", "--unit", "STC", "--as-of-position", position
    )
    assert {k: v for k, v in again.items() if k != "as_of"} == {
        k: v for k, v in view.items() if k != "as_of"
    }


# -- (g) a rebuild --------------------------------------------------------------------------


def test_rebuild_gives_the_same_scorecard(demo: Path) -> None:
    args = ("scorecard", "--campaign", "HN-SH-2023", "--unit", "HK", "--format", "json")
    before = ok(parledger(demo, *args))

    rebuilt = ok(parledger(demo, "rebuild"))

    found = re.search(r"rebuilt every read model from (\d+) events", rebuilt)
    assert found, rebuilt
    assert int(found.group(1)) > 400
    after = ok(parledger(demo, *args))
    assert after == before
    assert json.loads(after)["totals"]["final"]["index"] == "91.22"


# -- (h) bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("scorecard", "--campaign", "NOPE", "--unit", "HN", "--format", "json"), "NOPE"),
        (("progress", "--campaign", "NOPE"), "NOPE"),
        (("ranking", "--campaign", "NOPE", "--format", "json"), "NOPE"),
        (("trace", "--campaign", "NOPE", "--format", "csv"), "NOPE"),
        (("scorecard", "--campaign", "HN-2022", "--unit", "HN", "--format", "xml"), "xml"),
        (("ranking", "--campaign", "HN-SH-2023", "--format", "xml"), "xml"),
        (("scorecard", "--campaign", "HN-2022", "--unit", "HN", "--as-of", "yesterday"), "--as-of"),
        (
            ("ranking", "--campaign", "HN-SH-2023", "--as-of", "2024-13-45T00:00:00Z"),
            "--as-of",
        ),
    ],
)
def test_bad_input_is_a_one_line_error(demo: Path, args: tuple[str, ...], says: str) -> None:
    line = one_line_error(parledger(demo, *args))
    assert says in line
