"""Tampering with the stored events is found by the verifier, on SQLite and PostgreSQL.

Each test records a little activity, checks that the ledger verifies, then changes the
stored rows behind the ledger's back (raw SQL, as someone with database access would) or
forges an event the way a compromised writer would (calling the domain directly and
saving, bypassing the command checks), and expects the verifier to name the event."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from contextlib import closing
from typing import Any, Protocol
from urllib.parse import parse_qs, urlparse
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from ledger.application.service import stored_events
from ledger.audit.event_checks import Problem, Report, verify_events
from ledger.core.crypto import SigningKey
from ledger.core.envelope import SignedCommand
from ledger.core.errors import AuthorizationError
from ledger.core.ids import scorecard_id
from tests.world import World, forge_self_score

CAMPAIGN = "C2023"
CARD_ID = scorecard_id(CAMPAIGN, "D1")

HASH_MISMATCH = "does not match its recorded hash"


# -- helpers ---------------------------------------------------------------------------


def verify(world: World) -> Report:
    """Run the verifier over every stored row, as ``parledger verify`` does."""
    return verify_events(stored_events(world.ledger))


def self_score_args(
    criterion: str, points: str, explanation: str, unit: str = "D1"
) -> dict[str, Any]:
    return {
        "campaign": CAMPAIGN,
        "unit": unit,
        "criterion": criterion,
        "inputs": {"points": points},
        "explanation": explanation,
    }


def record_activity(world: World) -> None:
    """Three self-scores on D1: the scorecard then has versions 1 (opened) to 4."""
    staff = world.keys["staff"]
    for criterion, points, explanation in (
        ("1.1", "0.75", "x"),
        ("1.2", "1.5", "y"),
        ("1.1", "1", "z"),
    ):
        world.send(staff, "record_self_score", self_score_args(criterion, points, explanation))


def first_problem(report: Report) -> Problem:
    assert not report.ok, "the verifier found nothing wrong"
    return report.problems[0]


def assert_names(problem: Problem, aggregate_id: UUID, version: int, phrase: str) -> None:
    assert problem.aggregate_id == str(aggregate_id), str(problem)
    assert problem.version == version, str(problem)
    assert phrase in problem.reason, str(problem)


class Rows(Protocol):
    """Raw access to the stored-event rows, by aggregate id and version."""

    def count(self) -> int: ...

    def read(self, aggregate_id: UUID, version: int) -> bytes: ...

    def write(self, aggregate_id: UUID, version: int, state: bytes) -> None: ...

    def delete(self, aggregate_id: UUID, version: int) -> None: ...


class SqliteRows:
    def __init__(self, url: str) -> None:
        assert url.startswith("sqlite:///"), url
        self.path = url[len("sqlite:///") :]

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def count(self) -> int:
        with closing(self._connect()) as conn:
            return int(conn.execute("SELECT count(*) FROM stored_events").fetchone()[0])

    def read(self, aggregate_id: UUID, version: int) -> bytes:
        with closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT state FROM stored_events "
                "WHERE originator_id = ? AND originator_version = ?",
                (aggregate_id.hex, version),
            ).fetchone()
        assert row is not None, f"no row for {aggregate_id} version {version}"
        return bytes(row[0])

    def _change(self, statement: str, params: tuple[Any, ...]) -> None:
        with closing(self._connect()) as conn, conn:
            changed = conn.execute(statement, params).rowcount
        assert changed == 1, f"{changed} rows changed by {statement}"

    def write(self, aggregate_id: UUID, version: int, state: bytes) -> None:
        self._change(
            "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (state, aggregate_id.hex, version),
        )

    def delete(self, aggregate_id: UUID, version: int) -> None:
        self._change(
            "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (aggregate_id.hex, version),
        )


class PostgresRows:
    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        self.conninfo = parsed._replace(query="").geturl()
        schema = parse_qs(parsed.query).get("schema", ["public"])[0]
        self.table = sql.Identifier(schema, "ledger_events")

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)

    def count(self) -> int:
        with self._connect() as conn:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(self.table)).fetchone()
        assert row is not None
        return int(row[0])

    def read(self, aggregate_id: UUID, version: int) -> bytes:
        statement = sql.SQL(
            "SELECT state FROM {} WHERE originator_id = %s AND originator_version = %s"
        ).format(self.table)
        with self._connect() as conn:
            row = conn.execute(statement, (aggregate_id, version)).fetchone()
        assert row is not None, f"no row for {aggregate_id} version {version}"
        return bytes(row[0])

    def _change(self, statement: sql.Composed, params: tuple[Any, ...]) -> None:
        with self._connect() as conn:
            changed = conn.execute(statement, params).rowcount
        assert changed == 1, f"{changed} rows changed"

    def write(self, aggregate_id: UUID, version: int, state: bytes) -> None:
        self._change(
            sql.SQL(
                "UPDATE {} SET state = %s WHERE originator_id = %s AND originator_version = %s"
            ).format(self.table),
            (state, aggregate_id, version),
        )

    def delete(self, aggregate_id: UUID, version: int) -> None:
        self._change(
            sql.SQL("DELETE FROM {} WHERE originator_id = %s AND originator_version = %s").format(
                self.table
            ),
            (aggregate_id, version),
        )


def rows_of(world: World) -> Rows:
    url = world.ledger.settings.database_url
    if url.startswith("sqlite"):
        return SqliteRows(url)
    return PostgresRows(url)


# -- fixtures --------------------------------------------------------------------------


@pytest.fixture
def active(world: World) -> World:
    """The test world with D1's scorecard at version 4, verified clean."""
    record_activity(world)
    card = world.ledger.scorecard(CAMPAIGN, "D1")
    assert card is not None
    assert card.version == 4
    before = verify(world)
    assert before.ok, [str(p) for p in before.problems]
    return world


# -- tests -----------------------------------------------------------------------------


def test_clean_ledger_verifies(active: World) -> None:
    report = verify(active)

    assert report.ok
    assert report.problems == []
    assert report.events == rows_of(active).count()
    assert report.events > 4


def test_changed_field_breaks_the_event_hash(active: World) -> None:
    rows = rows_of(active)
    state = json.loads(rows.read(CARD_ID, 3))
    assert state["body"]["criterion"] == "1.2"
    assert state["body"]["points"] == "1.5"
    state["body"]["points"] = "2"
    rows.write(CARD_ID, 3, json.dumps(state, ensure_ascii=False).encode("utf-8"))

    report = verify(active)

    assert_names(first_problem(report), CARD_ID, 3, HASH_MISMATCH)
    assert all(p.version == 3 and p.aggregate_id == str(CARD_ID) for p in report.problems), [
        str(p) for p in report.problems
    ]


def test_deleted_event_breaks_the_version_sequence(active: World) -> None:
    rows = rows_of(active)
    count = rows.count()
    rows.delete(CARD_ID, 2)

    report = verify(active)

    assert report.events == count - 1
    assert_names(first_problem(report), CARD_ID, 3, "follows version 1")


def test_swapped_events_no_longer_match_their_hashes(active: World) -> None:
    rows = rows_of(active)
    second, third = rows.read(CARD_ID, 2), rows.read(CARD_ID, 3)
    rows.write(CARD_ID, 2, third)
    rows.write(CARD_ID, 3, second)

    report = verify(active)

    problem = first_problem(report)
    assert problem.aggregate_id == str(CARD_ID), str(problem)
    assert problem.version == 2, str(problem)
    at_version_2 = [
        p.reason for p in report.problems if p.aggregate_id == str(CARD_ID) and p.version == 2
    ]
    assert any(HASH_MISMATCH in reason for reason in at_version_2), at_version_2


def test_event_signed_by_a_revoked_key(active: World) -> None:
    staff = active.keys["staff"]
    active.send(active.admin, "revoke_key", {"key_id": staff.key_id, "reason": "lost laptop"})
    assert verify(active).ok
    command = active.command(staff, "record_self_score", self_score_args("1.2", "2", "forged"))
    with pytest.raises(AuthorizationError):
        active.ledger.execute(command)

    version = forge_self_score(active, command)

    assert version == 5
    assert_names(first_problem(verify(active)), CARD_ID, version, "revoked")


def test_event_signed_by_a_key_out_of_scope(active: World) -> None:
    other = active.keys["staff2"]  # unit_staff of D2, not of D1
    command = active.command(other, "record_self_score", self_score_args("1.2", "2", "forged"))
    with pytest.raises(AuthorizationError):
        active.ledger.execute(command)

    version = forge_self_score(active, command)

    assert version == 5
    problem = first_problem(verify(active))
    assert_names(problem, CARD_ID, version, "needs the role unit_staff for unit D1")
    assert other.key_id in problem.reason


def test_event_with_a_forged_signature(active: World) -> None:
    real = active.command(
        active.keys["staff"], "record_self_score", self_score_args("1.2", "2", "forged")
    )
    forged = SignedCommand(
        payload=real.payload, signature=base64.b64encode(os.urandom(64)).decode("ascii")
    )
    with pytest.raises(AuthorizationError):
        active.ledger.execute(forged)

    version = forge_self_score(active, forged)

    assert version == 5
    assert_names(first_problem(verify(active)), CARD_ID, version, "signature does not verify")


def test_event_signed_by_an_unenrolled_key(active: World) -> None:
    stranger = SigningKey.generate()
    command = active.command(stranger, "record_self_score", self_score_args("1.2", "2", "forged"))

    version = forge_self_score(active, command)

    assert_names(first_problem(verify(active)), CARD_ID, version, "not enrolled")
