"""One numbering of the log: a receipt, a trace row and the log API name an event by the same
leaf index (docs/FORMATS.md §10c), also where the store's positions skip numbers."""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg

from ledger.application.storage import POSTGRES_TABLE, postgres_location
from ledger.core.clock import ManualClock
from tests.e2e.http_support import (
    CAMPAIGN,
    PDF,
    Api,
    build_small_world,
    make_home,
    make_settings,
    running,
)
from tests.world import START


def skip_positions(database_url: str, count: int) -> None:
    """Use up positions as rolled-back transactions do (PostgreSQL's sequence moves on)."""
    where = postgres_location(database_url)
    assert where is not None
    with psycopg.connect(**where.connect_kwargs()) as connection:
        for _ in range(count):
            connection.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'notification_id'))",
                (f"{where.schema}.{POSTGRES_TABLE}",),
            )


def assert_one_numbering(api: Api, receipt: dict[str, object]) -> None:
    leaf = receipt["leaf"]
    assert isinstance(leaf, int)
    found = api.client.get(f"/v1/log/events/{receipt['aggregate_id']}/{receipt['version']}")
    assert found.status_code == 200, found.text
    assert found.json()["index"] == leaf
    data = api.client.get(f"/v1/log/leaves/{leaf}").content
    assert hashlib.sha256(data).hexdigest() == receipt["event_hash"]


def test_receipts_traces_and_the_log_name_the_same_leaf(database_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    admin, server = make_home(home)
    clock = ManualClock(START)
    settings = make_settings(database_url, home)
    with running(settings, clock, admin, server) as api:
        build_small_world(api)
        if database_url.startswith("postgresql"):
            skip_positions(database_url, 3)
        clock.set(START.replace(day=START.day + 1))
        card = {"campaign": CAMPAIGN, "unit": "D1", "criterion": "1.1"}
        scored = api.ok(
            api.keys["staff"],
            "record_self_score",
            {**card, "inputs": {"points": "0.5"}, "explanation": "Kế hoạch"},
        )
        stored = api.upload(api.keys["staff"], PDF)
        attached = api.ok(
            api.keys["staff"],
            "attach_evidence",
            {
                **card,
                "sha256": stored["sha256"],
                "size": stored["size"],
                "file_name": "ke-hoach.pdf",
                "media_type": "application/pdf",
            },
        )
        for receipt in (scored, attached):
            assert_one_numbering(api, receipt)
        assert attached["leaf"] == scored["leaf"] + 1
        if database_url.startswith("postgresql"):
            assert scored["position"] - scored["leaf"] == 1 + 3  # positions from 1, 3 skipped
        else:
            assert scored["position"] - scored["leaf"] == 1  # positions count from 1

        trace = api.read(f"/v1/campaigns/{CAMPAIGN}/trace", api.keys["secretariat"], unit="D1")
        by_type = {row["event_type"]: row for row in trace["items"]}
        assert by_type["SelfScoreRecorded"]["leaf"] == scored["leaf"]
        assert by_type["SelfScoreRecorded"]["position"] == scored["position"]
        assert by_type["EvidenceAttached"]["leaf"] == attached["leaf"]
        csv = api.get(
            f"/v1/campaigns/{CAMPAIGN}/trace", api.keys["secretariat"], unit="D1", format="csv"
        ).text
        header, *lines = csv.lstrip("\ufeff").splitlines()
        assert header.split(",")[:2] == ["leaf", "position"]
        assert any(line.startswith(f"{scored['leaf']},{scored['position']},") for line in lines)
