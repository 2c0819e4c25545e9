"""The service notices passed deadlines by itself (ADR 10): a card not submitted when
self-assessment closed is locked by the background tick, stamped at the deadline, without
anyone sending a command."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from api.http.app import create_app
from ledger.core.canonical import format_time
from ledger.core.clock import ManualClock
from tests.e2e.http_support import (
    CAMPAIGN,
    SELF_CLOSES,
    Api,
    build_small_world,
    make_home,
    make_settings,
)
from tests.world import START


def test_the_service_locks_cards_past_their_deadline_by_itself(tmp_path: Path) -> None:
    home = tmp_path / "home"
    admin, server = make_home(home)
    clock = ManualClock(START)
    settings = make_settings(
        f"sqlite:///{tmp_path}/ledger.sqlite3", home, tick_interval_seconds=0.2
    )
    with TestClient(create_app(settings, clock=clock)) as client:
        api = Api(client, clock, admin, server)
        build_small_world(api)
        staff = api.keys["staff"]
        before = api.position()
        time.sleep(1)
        assert api.position() == before  # nothing is due yet
        clock.set(SELF_CLOSES + timedelta(minutes=1))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and api.position() < before + 3:
            time.sleep(0.1)
        assert api.position() == before + 3  # D1, D2 and S1, none submitted
        card = api.read(f"/v1/campaigns/{CAMPAIGN}/scorecards/D1", staff)
        assert card["locked_at"] == format_time(SELF_CLOSES)
        time.sleep(1)
        assert api.position() == before + 3  # each is locked once
