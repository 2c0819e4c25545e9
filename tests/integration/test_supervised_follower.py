"""The projector never stops silently: on PostgreSQL, a follower whose connections the
server terminated logs the failure, restarts and catches up; a worker that fails or
returns is run again with a growing pause; and a stall is measured."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger.application.postgres_timeouts import APPLICATION
from projections.progress import Progress
from projections.projector import Projector
from projections.read_models.queries import ReadModels
from projections.supervisor import Supervisor
from tests.world import build_world, make_runtime


def wait_for(condition: Any, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def terminate_ledger_backends(database_url: str) -> int:
    """Terminate every connection the ledger holds to this test's own database."""
    with psycopg.connect(database_url.split("?")[0], autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s "
            "AND pid <> pg_backend_pid()",
            (APPLICATION,),
        ).fetchall()
    return len(rows)


def score(points: str) -> dict[str, Any]:
    return {
        "campaign": "C2023",
        "unit": "D1",
        "criterion": "1.1",
        "inputs": {"points": points},
        "explanation": "Báo cáo",
    }


def test_the_follower_survives_terminated_connections_and_catches_up(
    pg_url: str, tmp_path: Path
) -> None:
    world = build_world(pg_url, tmp_path / "home")
    runtime = make_runtime(pg_url, tmp_path / "home", world.clock, world.server)
    follower = Projector(runtime.storage)
    stop = threading.Event()
    worker = Supervisor("projector", follower.follow, stop, max_pause=0.5).start()
    try:
        head = world.ledger.recorder.max_notification_id()
        assert wait_for(lambda: follower.views.position() == head)
        for round_, points in enumerate(("0.5", "0.75", "1")):
            assert terminate_ledger_backends(pg_url) > 0
            receipt = world.send(world.keys["staff"], "record_self_score", score(points))
            assert wait_for(lambda r=receipt: follower.views.position() == r.position), (
                follower.views.position(),
                receipt.position,
                worker.last_error,
            )
            assert worker.restarts >= round_ + 1, worker.last_error
            view = ReadModels(follower.views).scorecard("C2023", "D1")
            assert view is not None
            assert view["totals"]["self_assessment"]["total"] == points
        assert worker.alive
        assert worker.running
        assert worker.last_error is not None
    finally:
        stop.set()
        worker.join(timeout=15)
        assert not worker.alive, "the follower did not stop"
        runtime.close()
        world.ledger.close()


def test_a_failing_worker_is_restarted_with_a_growing_pause() -> None:
    stop = threading.Event()
    calls: list[float] = []

    def work(stop: threading.Event) -> None:
        calls.append(time.monotonic())
        if len(calls) < 5:
            raise RuntimeError(f"failure {len(calls)}")
        stop.wait()

    failures: list[str] = []
    worker = Supervisor(
        "flaky", work, stop, max_pause=0.4, on_failure=lambda w, e: failures.append(str(e))
    ).start()
    try:
        assert wait_for(lambda: len(calls) == 5, seconds=10)
        assert wait_for(lambda: worker.running)
        assert failures == [f"failure {n}" for n in range(1, 5)]
        assert worker.restarts == 4
        pauses = [b - a for a, b in itertools.pairwise(calls)]
        assert pauses[0] < pauses[2]  # doubled
        assert all(p < 0.4 + 0.3 for p in pauses)  # up to the bound
    finally:
        stop.set()
        worker.join(timeout=5)
    assert not worker.alive


def test_a_worker_that_returns_unasked_is_restarted() -> None:
    stop = threading.Event()
    runs: list[int] = []

    def work(stop: threading.Event) -> None:
        runs.append(1)
        if len(runs) >= 3:
            stop.wait()

    worker = Supervisor("quits", work, stop, max_pause=0.1).start()
    try:
        assert wait_for(lambda: len(runs) == 3)
        assert worker.restarts == 2
        assert worker.last_error is not None
        assert "without being told to stop" in worker.last_error
    finally:
        stop.set()
        worker.join(timeout=5)


@pytest.mark.parametrize(
    ("observations", "stalled"),
    [
        ([(5, 5, 0.0), (5, 9, 1.0), (5, 9, 31.0)], 30.0),  # behind, standing still
        ([(5, 9, 0.0), (7, 9, 20.0), (7, 9, 25.0)], 5.0),  # advanced, then still
        ([(5, 9, 0.0), (9, 9, 40.0)], 0.0),  # caught up
        ([(5, 9, 0.0), (6, 12, 40.0)], 0.0),  # advancing while the log grows
    ],
)
def test_progress_measures_how_long_the_read_models_stood_still(
    observations: list[tuple[int, int, float]], stalled: float
) -> None:
    now = [0.0]
    progress = Progress(clock=lambda: now[0])
    result = 0.0
    for projected, head, at in observations:
        now[0] = at
        result = progress.stalled_for(projected, head)
    assert result == stalled
