"""The command line as a newcomer meets it: a key file given by mistake, a command run where
there is no ledger, and tables read at 80 columns and through a pipe."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

SCRIPT = Path(sys.executable).parent / "parledger"
TIMEOUT = 180

READS: list[tuple[str, ...]] = [
    ("units",),
    ("campaigns",),
    ("keys", "list"),
    ("keys",),
    ("scorecard", "--campaign", "HN-2022", "--unit", "HN"),
    ("trace", "--campaign", "HN-2022"),
    ("ranking", "--campaign", "HN-2022"),
    ("progress", "--campaign", "HN-2022"),
    ("gaps", "--campaign", "HN-2022", "--unit", "HN"),
    ("results", "--campaign", "HN-2022"),
    ("bundle", "--campaign", "HN-2022", "-o", "out.bundle"),
    ("log-key",),
]
WITHOUT_SERVER: list[tuple[str, ...]] = [
    ("verify",),
    ("project", "--once"),
    ("rebuild",),
    ("tick",),
]


def parledger(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PARLEDGER_")}
    clean.update(PYTHONIOENCODING="utf-8")
    clean.pop("COLUMNS", None)  # as when piped by a user: rich's own default width
    clean.update(env)
    return subprocess.run(
        [str(SCRIPT), *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


# -- key files ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ledger_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ledger")
    ok(parledger(folder, "init"))
    return folder


def _register(folder: Path, key: str) -> subprocess.CompletedProcess[str]:
    return parledger(
        folder, "register-unit", "--code", "X1", "--name", "X", "--kind", "district", "--key", key
    )


def test_a_public_key_given_as_key_is_called_a_public_key_not_told_to_chmod(
    ledger_dir: Path,
) -> None:
    public = ledger_dir / "var" / "keys" / "admin.pub"
    assert public.stat().st_mode & 0o044, "a .pub file is readable by others, as written"

    line = one_line_error(_register(ledger_dir, str(public)))

    assert line == (
        f"error (invalid_input): key file {public} holds a public key, not a private one: "
        "sign with the private key file (PEM), the one whose name has no .pub"
    )


def test_a_directory_or_an_empty_file_given_as_key_says_so(ledger_dir: Path) -> None:
    keys = ledger_dir / "var" / "keys"
    empty = ledger_dir / "empty.key"
    empty.write_bytes(b"")
    empty.chmod(0o600)

    assert one_line_error(_register(ledger_dir, str(keys))) == (
        f"error (invalid_input): key file {keys} is a directory; give the private key file in it"
    )
    assert one_line_error(_register(ledger_dir, str(empty))) == (
        f"error (invalid_input): key file {empty} is empty"
    )
    assert "X1" not in ok(parledger(ledger_dir, "units", "--format", "csv"))


# -- no ledger here -------------------------------------------------------------------------


@pytest.mark.parametrize("args", READS + WITHOUT_SERVER, ids=lambda a: " ".join(a))
def test_a_command_where_there_is_no_ledger_says_so_and_creates_nothing(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    line = one_line_error(parledger(tmp_path, *args))

    where = tmp_path / "var" / "parledger.sqlite3"
    assert line.startswith(
        f"error: there is no ledger at sqlite:///./var/parledger.sqlite3 (no file {where}): "
        "point PARLEDGER_DATABASE_URL at the ledger's database"
    ), line
    assert ("--server URL" in line) == (args in READS), line
    assert line.endswith("parledger init creates a ledger, parledger demo a demo one")
    assert list(tmp_path.iterdir()) == []


def test_a_command_on_an_sqlite_file_that_holds_no_ledger_leaves_it_as_it_was(
    tmp_path: Path,
) -> None:
    store = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(store)) as conn, conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    before = store.read_bytes()
    url = "sqlite:///other.sqlite3"

    for args in (("units",), ("verify",), ("ranking", "--campaign", "X")):
        line = one_line_error(parledger(tmp_path, *args, PARLEDGER_DATABASE_URL=url))
        assert f"there is no ledger at {url} ({store} holds no ledger's events)" in line

    assert store.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite3"]


def _tables(pg_url: str) -> list[str]:
    database, _, schema = pg_url.partition("?schema=")
    with psycopg.connect(database, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
    return [str(r[0]) for r in rows]


def test_a_command_on_a_postgresql_schema_without_a_ledger_creates_no_table(
    tmp_path: Path, pg_url: str
) -> None:
    schema = pg_url.partition("?schema=")[2]
    for args in (("units",), ("tick",), ("scorecard", "--campaign", "X", "--unit", "Y")):
        line = one_line_error(parledger(tmp_path, *args, PARLEDGER_DATABASE_URL=pg_url))
        assert f"({'schema ' + schema} holds no ledger's events)" in line, line
    assert _tables(pg_url) == []


def test_a_postgresql_url_shows_no_password_when_it_names_no_database(tmp_path: Path) -> None:
    url = "postgresql://postgres:s3cret@127.0.0.1:5432/parledger_no_such_database_here"
    line = one_line_error(parledger(tmp_path, "units", PARLEDGER_DATABASE_URL=url))
    assert "s3cret" not in line
    assert "there is no ledger at postgresql://postgres:***@127.0.0.1:5432/" in line
    assert "does not exist" in line


# -- tables at 80 columns and through a pipe -----------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    ok(parledger(folder, "demo", COLUMNS="200"))
    return folder


def _as_json(folder: Path, *args: str) -> Any:
    return json.loads(ok(parledger(folder, *args, "--format", "json")))


def _cells(text: str) -> set[str]:
    """Every cell of a table's rows, one line of a cell at a time, stripped."""
    return {
        cell.strip()
        for line in text.splitlines()
        for cell in re.split(r"[│┃]", line)[1:-1]
        if cell.strip()
    }


WIDTHS = [{"COLUMNS": "80"}, {}]  # a terminal of 80 columns; a pipe with no COLUMNS


@pytest.mark.parametrize("width", WIDTHS, ids=["80 columns", "piped"])
def test_the_trace_keeps_times_event_types_and_codes_whole(
    demo: Path, width: dict[str, str]
) -> None:
    args = ("trace", "--campaign", "HN-SH-2023", "--unit", "HK")
    rows = _as_json(demo, *args)
    table = ok(parledger(demo, *args, **width))

    cells = _cells(table)
    for row in rows:
        assert row["recorded_at"] in cells
        assert row["event_type"] in cells
        assert str(row["leaf"]) in cells
        assert row["key_id"][:8] in cells
        if row["criterion"]:
            assert row["criterion"] in cells
    assert "…" not in table
    changed = [r for r in rows if r["to_points"] is not None]
    assert "— → 1.26" in cells  # 1.26 at the set's two decimal places
    assert changed


@pytest.mark.parametrize("width", WIDTHS, ids=["80 columns", "piped"])
def test_listings_keep_key_ids_roles_and_times_whole(demo: Path, width: dict[str, str]) -> None:
    keys = ok(parledger(demo, "keys", "list", **width))
    cells = _cells(keys)
    for row in _as_json(demo, "keys", "list"):
        assert row["key_id"] in cells
        for grant in row["roles"]:
            role = grant["role"] + (":" + ",".join(grant["scope"]) if grant["scope"] else "")
            if grant.get("authority"):
                role += f"@{grant['authority']}" + (
                    f"/{grant['year']}" if grant.get("year") else ""
                )
            # a grant's campaigns follow it in the same cell: "appraiser:2 [HK-XA-2023]"
            assert any(cell == role or cell.startswith(role + " ") for cell in cells), role
    campaigns = _cells(ok(parledger(demo, "campaigns", **width)))
    for row in _as_json(demo, "campaigns"):
        assert row["code"] in campaigns
        assert row["schedule"]["self_assessment_opens"] in campaigns
        assert row["schedule"]["final_appraisal_closes"] in campaigns


@pytest.mark.parametrize("width", WIDTHS, ids=["80 columns", "piped"])
def test_tables_fit_80_columns_when_they_can_with_numbers_at_the_sets_precision(
    demo: Path, width: dict[str, str]
) -> None:
    ranking = ok(parledger(demo, "ranking", "--campaign", "HN-SH-2023", **width))
    gaps = ok(parledger(demo, "gaps", "--campaign", "HN-SH-2023", "--unit", "HK", **width))
    progress = ok(parledger(demo, "progress", "--campaign", "HN-SH-2023", **width))
    results = ok(parledger(demo, "results", "--campaign", "HN-SH-2023", **width))
    for text in (ranking, gaps, progress, results):
        assert max(len(line) for line in text.splitlines()) <= 80, text
        assert "…" not in text

    ranked = _cells(ranking)
    for row in _as_json(demo, "ranking", "--campaign", "HN-SH-2023"):
        assert {row["unit"], f"{row['rank']}/{row['of']}"} <= ranked
        assert _two_places(row["total"]) in ranked
        assert _two_places(row["index"]) in ranked
    assert "100.00" in ranked  # a district's maximum, "100" on the ledger

    report = _as_json(demo, "gaps", "--campaign", "HN-SH-2023", "--unit", "HK")
    lost = _cells(gaps)
    for agency in report["agencies"]:
        assert _two_places(agency["lost"]) in lost
        for criterion in agency["criteria"]:
            assert criterion["code"] in lost
            assert _two_places(criterion["max_points"]) in lost
            assert _two_places(criterion["points"]) in lost
    assert "10.00" in lost  # a maximum of "10" at the set's two places
    assert "1.50" in lost

    for row in _as_json(demo, "progress", "--campaign", "HN-SH-2023")["units"]:
        assert {row["unit"], f"{row['scored']}/{row['leaves']}"} <= _cells(progress)


def _two_places(value: str) -> str:
    return f"{Decimal(value):.2f}"


def test_the_scorecard_shows_three_decimal_places_where_its_set_has_them(demo: Path) -> None:
    view = _as_json(demo, "scorecard", "--campaign", "HN-2022", "--unit", "HN")
    assert view["precision"] == 3
    cells = _cells(ok(parledger(demo, "scorecard", "--campaign", "HN-2022", "--unit", "HN")))
    assert {"8.424", "13.488", "10.583"} <= cells
    for leaf in view["leaves"]:
        assert leaf["code"] in cells
