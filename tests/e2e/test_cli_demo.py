"""The ``parledger`` console script, run as a user would: in a fresh directory, on the
embedded SQLite default under ./var."""

from __future__ import annotations

import gzip
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from decimal import Decimal
from importlib import resources
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

SCRIPT = Path(sys.executable).parent / "parledger"
DATABASE = Path("var") / "parledger.sqlite3"
TIMEOUT = 120


def parledger(
    cwd: Path, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEDGER_")}
    env.update(COLUMNS="200", PYTHONIOENCODING="utf-8", **(extra_env or {}))
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


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, output(result)
    assert "Traceback" not in output(result), output(result)
    return result


def row_count(cwd: Path) -> int:
    with closing(sqlite3.connect(cwd / DATABASE)) as conn:
        return int(conn.execute("SELECT count(*) FROM stored_events").fetchone()[0])


def plan_csv() -> Path:
    return Path(str(resources.files("ledger").joinpath("data/hanoi_par_2022_plan.csv")))


@pytest.fixture(autouse=True)
def _script_installed() -> None:
    assert SCRIPT.exists(), f"the console script is not installed at {SCRIPT}"


# Hanoi's 2022 scorecard as the demo prints it: each area's total and the grand total.
HN_2022_AREAS = {
    "1": "8.424",
    "2": "8.76",
    "3": "13.488",
    "4": "10.34",
    "5": "11.34",
    "6": "10.583",
    "7": "12.396",
    "8": "13.209",
}
HN_2022_TOTAL = "88.54"

# HN-SH-2023 as published: unit -> (group, rank, of, total, maximum, index, grade), the
# published table's own strings; and each unit's total as self-assessed, after the
# preliminary appraisal and final, as the demo prints them.
HN_SH_2023_PUBLISHED = {
    "STC": ("department", 1, 3, "88.42", "95.5", "92.59", "Xuất sắc"),
    "SNV": ("department", 2, 3, "88.28", "95.5", "92.44", "Xuất sắc"),
    "STP": ("department", 3, 3, "86.32", "95.5", "90.39", "Xuất sắc"),
    "HK": ("district", 1, 2, "91.22", "100", "91.22", "Xuất sắc"),
    "BD": ("district", 2, 2, "90.8", "100", "90.80", "Xuất sắc"),
}
HN_SH_2023_STAGES = {
    "BD": ("92.05", "90.80", "90.80", "100.00", "90.80", "đã gửi"),
    "HK": ("91.22", "90.22", "91.22", "100.00", "91.22", "đã gửi"),
    "SNV": ("88.28", "88.28", "88.28", "95.50", "92.44", "đã gửi"),
    "STC": ("89.09", "88.42", "88.42", "95.50", "92.59", "khoá khi hết hạn"),
    "STP": ("86.82", "86.32", "86.32", "95.50", "90.39", "đã gửi"),
}


def _lines(stdout: str, width: int) -> list[list[str]]:
    """The cells of every line of the printed tables with ``width`` columns (the outer
    borders make two more, empty, cells)."""
    found = []
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.split("│")][1:-1]
        if len(cells) == width:
            found.append(cells)
    return found


def _rows(stdout: str, key: int, width: int) -> dict[str, list[str]]:
    """The first line of each row of those tables, by the cell at ``key``."""
    rows: dict[str, list[str]] = {}
    for cells in _lines(stdout, width):
        if cells[key]:
            rows.setdefault(cells[key], cells)
    return rows


def test_demo_prints_hanois_2022_area_totals_and_keeps_keys_private(tmp_path: Path) -> None:
    result = ok(parledger(tmp_path, "demo"))

    scorecard = _rows(result.stdout, key=0, width=8)  # Mã, Tiêu chí, max, self, points, …
    assert {code: scorecard[code][4] for code in HN_2022_AREAS} == HN_2022_AREAS
    totals = {row[1]: (row[2], row[4]) for row in _lines(result.stdout, 8) if not row[0]}
    assert totals["TỔNG ĐIỂM"] == ("100.00", HN_2022_TOTAL)
    assert totals["Chỉ số CCHC (%)"] == ("", HN_2022_TOTAL)
    assert f"Tổng điểm: {HN_2022_TOTAL} / 100.00 — Chỉ số {HN_2022_TOTAL} %" in result.stdout
    assert (tmp_path / DATABASE).is_file()
    keys = sorted((tmp_path / "var" / "keys").glob("*.key"))
    assert {k.name for k in keys} >= {"admin.key", "server.key"}
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, f"{key} mode {key.stat().st_mode:o}"


def test_demo_runs_a_whole_cycle_and_prints_the_published_totals_and_ranks(
    tmp_path: Path,
) -> None:
    result = ok(parledger(tmp_path, "demo"))

    # Mã, Đơn vị, Loại, self-assessed, preliminary, final, maximum, index, Hồ sơ
    stages = _rows(result.stdout, key=0, width=9)
    assert {unit: tuple(stages[unit][3:9]) for unit in HN_SH_2023_STAGES} == HN_SH_2023_STAGES
    # Nhóm, Hạng, Mã, Đơn vị, total, maximum, index, grade, change
    ranking = _rows(result.stdout, key=2, width=9)
    assert {unit: ranking[unit][1] for unit in HN_SH_2023_PUBLISHED} == {
        unit: f"{rank}/{of}" for unit, (_, rank, of, *_) in HN_SH_2023_PUBLISHED.items()
    }
    assert {unit: ranking[unit][4] for unit in HN_SH_2023_PUBLISHED} == {
        unit: f"{Decimal(total):.2f}" for unit, (_, _, _, total, *_) in HN_SH_2023_PUBLISHED.items()
    }
    # Hoan Kiem's explanation won back the point the preliminary appraisal took
    assert Decimal(stages["HK"][4]) == Decimal(stages["HK"][3]) - 1

    published = json.loads(
        ok(parledger(tmp_path, "results", "--campaign", "HN-SH-2023", "--format", "json")).stdout
    )
    assert {
        row["unit"]: (
            row["ranking_group"],
            row["rank"],
            row["of"],
            row["total"],
            row["max_total"],
            row["index"],
            row["grade"],
        )
        for row in published["units"]
    } == HN_SH_2023_PUBLISHED
    ok(parledger(tmp_path, "verify"))


def test_demo_twice_records_nothing_more(tmp_path: Path) -> None:
    ok(parledger(tmp_path, "demo"))
    rows = row_count(tmp_path)

    again = ok(parledger(tmp_path, "demo"))

    assert row_count(tmp_path) == rows
    assert f"Tổng điểm: {HN_2022_TOTAL} / 100.00" in again.stdout


def test_verify_finds_an_edited_row(tmp_path: Path) -> None:
    ok(parledger(tmp_path, "demo"))
    clean = ok(parledger(tmp_path, "verify"))
    assert "ok:" in clean.stdout

    with closing(sqlite3.connect(tmp_path / DATABASE)) as conn, conn:
        rows = conn.execute(
            "SELECT rowid, originator_id, originator_version, state FROM stored_events "
            "WHERE topic LIKE '%SelfScoreRecorded' ORDER BY rowid"
        ).fetchall()
        assert rows, "the demo recorded no self-score"
        rowid, originator_id, version, state = rows[0]
        event = json.loads(state)
        event["body"]["points"] = "0" if event["body"]["points"] != "0" else "1"
        conn.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            (json.dumps(event, ensure_ascii=False).encode("utf-8"), rowid),
        )

    result = parledger(tmp_path, "verify")

    assert result.returncode != 0, output(result)
    assert "Traceback" not in output(result), output(result)
    assert "ok:" not in result.stdout
    aggregate_id = str(UUID(str(originator_id)))
    assert f"{aggregate_id} version {version} " in result.stderr, result.stderr
    assert "does not match its recorded hash" in result.stderr, result.stderr


def test_init_twice_is_a_one_line_error(tmp_path: Path) -> None:
    first = ok(parledger(tmp_path, "init"))
    assert "initialised" in first.stdout

    second = parledger(tmp_path, "init")

    assert second.returncode != 0, output(second)
    assert "Traceback" not in output(second), output(second)
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert lines[0].startswith("error"), second.stderr
    assert "already initialised" in lines[0]


def _import_without_partial(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    ok(parledger(tmp_path, "init"))
    return parledger(
        tmp_path,
        "import-indicator-set",
        str(plan_csv()),
        "--key",
        "var/keys/admin.key",
        "--code",
        "X",
        "--title",
        "T",
        "--check",
    )


def test_import_without_partial_is_refused(tmp_path: Path) -> None:
    result = _import_without_partial(tmp_path)

    assert result.returncode != 0, output(result)
    assert "Traceback" not in output(result), output(result)
    assert result.stderr.startswith("error (invalid_indicator_set)"), result.stderr
    assert "7.1" in result.stderr
    assert "partial" in result.stderr


def test_import_without_partial_error_is_one_line(tmp_path: Path) -> None:
    result = _import_without_partial(tmp_path)

    assert result.returncode != 0, output(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "7.1" in lines[0]


def test_demo_and_verify_on_postgresql_name_an_edited_row(tmp_path: Path, pg_url: str) -> None:
    env = {"PARLEDGER_DATABASE_URL": pg_url}
    demo = parledger(tmp_path, "demo", extra_env=env)
    assert demo.returncode == 0, output(demo)
    assert f"Tổng điểm: {HN_2022_TOTAL} / 100.00 — Chỉ số {HN_2022_TOTAL} %" in demo.stdout
    verified = parledger(tmp_path, "verify", extra_env=env)
    assert verified.returncode == 0, output(verified)
    database, _, schema = pg_url.rpartition("?schema=")
    with psycopg.connect(database, autocommit=True) as conn:
        table = sql.Identifier(schema, "ledger_events")
        row = conn.execute(
            sql.SQL(
                "SELECT originator_id, originator_version, state FROM {} "
                "WHERE topic LIKE %s ORDER BY notification_id LIMIT 1"
            ).format(table),
            ("%SelfScoreRecorded",),
        ).fetchone()
        assert row is not None
        aggregate_id, version, state = row
        edited = bytes(state).replace(b'"points":"1.5"', b'"points":"1.25"', 1)
        assert edited != bytes(state)
        conn.execute(
            sql.SQL(
                "UPDATE {} SET state = %s WHERE originator_id = %s AND originator_version = %s"
            ).format(table),
            (edited, aggregate_id, version),
        )
    failed = parledger(tmp_path, "verify", extra_env=env)
    assert failed.returncode != 0
    assert f"{aggregate_id} version {version}" in failed.stderr, failed.stderr


def test_the_demo_ends_published_and_its_bundle_verifies_offline(tmp_path: Path) -> None:
    shown = ok(parledger(tmp_path, "demo")).stdout
    # the campaign in progress: its content withheld from the public, and from the bundle
    found = re.search(r"in progress HN-2022: .* \(parledger log-leaf (\d+):", shown)
    assert found, shown
    leaf = json.loads(ok(parledger(tmp_path, "log-leaf", found.group(1))).stdout)
    assert leaf["withheld"] == "campaign HN-2022 is not yet published"
    assert set(leaf) == {"index", "leaf_hash", "withheld"}
    checked = ok(parledger(tmp_path, "verify")).stdout
    assert "checkpoints signed by" in checked
    assert "publication 1 of HN-SH-2023: its table is what the events" in checked

    results = ok(parledger(tmp_path, "results", "--campaign", "HN-SH-2023", "--format", "csv"))
    assert results.stdout.startswith("\ufeff")
    header, *rows = results.stdout.removeprefix("\ufeff").strip().splitlines()
    assert header.startswith("ranking_group,rank,of,unit,name,unit_kind,total,max_total,index")
    assert len(rows) == 5

    log_key = ok(parledger(tmp_path, "log-key")).stdout.strip()
    assert log_key.startswith("parledger.local/demo+")
    written = ok(
        parledger(
            tmp_path,
            "bundle",
            "--campaign",
            "HN-SH-2023",
            "-o",
            "hn.bundle",
            "--evidence-dir",
            "files",
        )
    )
    assert "wrote hn.bundle" in written.stdout
    verified = ok(
        parledger(
            tmp_path, "verify-bundle", "hn.bundle", "--log-key", log_key, "--evidence", "files"
        )
    )
    assert "exactly the published table" in verified.stdout
    assert "evidence files" in verified.stdout
    assert "verified hn.bundle" in verified.stdout
    assert "as their leaf hash only" in verified.stdout
    assert b'"HN-2022"' not in gzip.decompress((tmp_path / "hn.bundle").read_bytes())

    # one number changed in the published table: the check fails and says where
    data = gzip.decompress((tmp_path / "hn.bundle").read_bytes())
    first, rest = data.split(b"\n", 1)
    header_doc = json.loads(first)
    row = header_doc["results"]["units"][0]
    row["total"] = "100"
    forged = json.dumps(header_doc, ensure_ascii=False).encode("utf-8") + b"\n" + rest
    (tmp_path / "forged.bundle").write_bytes(gzip.compress(forged))
    result = parledger(tmp_path, "verify-bundle", "forged.bundle", "--log-key", log_key)
    assert result.returncode == 1, output(result)
    assert "Traceback" not in output(result)
    assert f"FAILED: published table: unit {row['unit']}: total is '100'" in result.stderr


def test_verify_bundle_without_a_log_key_or_file_is_a_one_line_error(tmp_path: Path) -> None:
    for args in (("verify-bundle", "missing.bundle", "--log-key", "x+y+z"), ("verify-bundle", "x")):
        result = parledger(tmp_path, *args)
        assert result.returncode != 0, output(result)
        assert "Traceback" not in output(result), output(result)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
