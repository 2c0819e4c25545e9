"""A long-running projector (``parledger project``) keeps up with commands recorded by
another process: by LISTEN/NOTIFY subscription on PostgreSQL, by polling on SQLite."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from projections.projector import Projector
from projections.read_models.queries import ReadModels
from tests.world import build_world, make_runtime


def wait_for(condition: object, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_a_follower_keeps_up_and_stops_when_told(database_url: str, tmp_path: Path) -> None:
    world = build_world(database_url, tmp_path / "home")
    worker = make_runtime(database_url, tmp_path / "home", world.clock, world.server)
    follower = Projector(worker.storage)
    stop = threading.Event()
    thread = threading.Thread(target=follower.follow, args=(stop,), daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: follower.lag() == 0)
        world.send(
            world.keys["staff"],
            "record_self_score",
            {
                "campaign": "C2023",
                "unit": "D1",
                "criterion": "1.1",
                "inputs": {"points": "0.75"},
                "explanation": "Báo cáo số 3",
            },
        )
        target = world.ledger.recorder.max_notification_id()
        assert wait_for(lambda: follower.views.position() == target)
        view = ReadModels(follower.views).scorecard("C2023", "D1")
        assert view is not None
        assert view["totals"]["self_assessment"]["total"] == "0.75"
    finally:
        stop.set()
        thread.join(timeout=15)
        assert not thread.is_alive(), "the follower did not stop"
        worker.ledger.close()
        world.ledger.close()
