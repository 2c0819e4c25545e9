"""The ``parledger`` console script, run as a user would: in a fresh directory, on the
embedded SQLite default under ./var."""

from __future__ import annotations

import gzip
import json
import os
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


def test_demo_prints_the_scorecard_and_keeps_keys_private(tmp_path: Path) -> None:
    result = ok(parledger(tmp_path, "demo"))

    assert "88.54" in result.stdout
    assert "100.00" in result.stdout
    assert "Chỉ số" in result.stdout
    assert (tmp_path / DATABASE).is_file()
    keys = sorted((tmp_path / "var" / "keys").glob("*.key"))
    assert {k.name for k in keys} >= {"admin.key", "server.key"}
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, f"{key} mode {key.stat().st_mode:o}"


def test_demo_runs_a_whole_cycle_and_prints_each_units_final_total(tmp_path: Path) -> None:
    result = ok(parledger(tmp_path, "demo"))
    rows = {
        cells[1]: cells
        for line in result.stdout.splitlines()
        if (cells := [c.strip() for c in line.split("│")]) and len(cells) > 9
    }
    assert set(rows) >= {"SNV", "STP", "STC", "HK", "BD"}
    # the department that never submitted was locked at the deadline and still appraised
    assert rows["STC"][9] == "khoá khi hết hạn"
    assert [rows[u][9] for u in ("SNV", "STP", "HK", "BD")] == ["đã gửi"] * 4
    # departments have fewer applicable points than districts
    assert rows["SNV"][7] == "95.50"
    assert rows["HK"][7] == "100.00"
    # Hoan Kiem's explanation won back the point the preliminary appraisal took
    self_total, preliminary, final = (Decimal(rows["HK"][i]) for i in (4, 5, 6))
    assert preliminary == self_total - 1
    assert final == self_total
    # the council's changes stand where nobody explained
    assert Decimal(rows["STP"][6]) < Decimal(rows["STP"][4])
    ok(parledger(tmp_path, "verify"))


def test_demo_twice_records_nothing_more(tmp_path: Path) -> None:
    ok(parledger(tmp_path, "demo"))
    rows = row_count(tmp_path)

    again = ok(parledger(tmp_path, "demo"))

    assert row_count(tmp_path) == rows
    assert "88.54" in again.stdout


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
    assert "88.54" in demo.stdout
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
    ok(parledger(tmp_path, "demo"))
    checked = ok(parledger(tmp_path, "verify")).stdout
    assert "checkpoints signed by" in checked
    assert "published results of HN-SH-2023" in checked

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
