"""Two ledger instances (as two server processes would be) writing to one scorecard at once."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from structlog.testing import capture_logs

from ledger.application.service import stored_events
from ledger.audit.event_checks import verify_events
from ledger.core.envelope import SignedCommand
from tests.world import World, build_world, make_runtime


def test_concurrent_writers_lose_nothing(database_url: str, tmp_path: Path) -> None:
    world: World = build_world(database_url, tmp_path / "home")
    other = make_runtime(database_url, tmp_path / "home", world.clock, world.server).ledger
    errors: list[BaseException] = []
    per_writer = 15

    def write(ledger_index: int, key_name: str, unit: str) -> None:
        ledger = (world.ledger, other)[ledger_index]
        key = world.keys[key_name]
        try:
            for i in range(per_writer):
                command = world.command(
                    key,
                    "record_self_score",
                    {
                        "campaign": "C2023",
                        "unit": unit,
                        "criterion": "1.1",
                        "inputs": {"points": ("0.25", "0.5", "0.75")[i % 3]},
                        "note": f"{key_name} {i}",
                    },
                )
                ledger.execute(command)
        except BaseException as error:
            errors.append(error)

    # two people on the same scorecard (one through each instance), one on another card
    world.keys["staff-bis"] = world.enrol("staff-bis", [{"role": "unit_staff", "scope": ["D1"]}])
    threads = [
        threading.Thread(target=write, args=(0, "staff", "D1")),
        threading.Thread(target=write, args=(1, "staff-bis", "D1")),
        threading.Thread(target=write, args=(1, "staff2", "D2")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not errors, errors
        card = world.ledger.scorecard("C2023", "D1")
        assert card is not None
        assert card.version == 1 + 2 * per_writer
        d2 = other.scorecard("C2023", "D2")
        assert d2 is not None
        assert d2.version == 1 + per_writer
        report = verify_events(stored_events(world.ledger))
        assert report.ok, report.problems
    finally:
        other.close()
        world.ledger.close()


def test_a_write_that_loses_the_race_is_retried_and_recorded_after_the_winner(
    database_url: str, tmp_path: Path
) -> None:
    """Instance A has read the scorecard and is about to save when instance B records on the
    same scorecard: A's save conflicts (the store refuses a second event at that version),
    A reloads and retries, and both events are recorded, A's after B's."""
    world: World = build_world(database_url, tmp_path / "home")
    other = make_runtime(database_url, tmp_path / "home", world.clock, world.server).ledger
    world.keys["staff-bis"] = world.enrol("staff-bis", [{"role": "unit_staff", "scope": ["D1"]}])

    def self_score(key: str, points: str) -> SignedCommand:
        args = {"campaign": "C2023", "unit": "D1", "criterion": "1.1"}
        return world.command(
            world.keys[key], "record_self_score", {**args, "inputs": {"points": points}}
        )

    won = self_score("staff-bis", "0.5")
    saves: list[int] = []
    real_save = world.ledger.save

    def save_after_the_other_instance(*aggregates: Any) -> Any:
        saves.append(len(saves))
        if len(saves) == 1:  # A has decided on its event; B records first
            other.execute(won)
        return real_save(*aggregates)

    world.ledger.save = save_after_the_other_instance  # type: ignore[method-assign]
    try:
        before = world.ledger.scorecard("C2023", "D1")
        assert before is not None
        with capture_logs() as logs:
            receipt = world.ledger.execute(self_score("staff", "0.75"))
        retried = [entry for entry in logs if entry["event"] == "command_retried"]
        assert retried == [
            {
                "event": "command_retried",
                "aggregate_id": str(before.id),
                "attempt": 1,
                "log_level": "info",
            }
        ]
        assert len(saves) == 2  # the first save conflicted, the retry saved
        assert receipt.version == before.version + 2  # after B's event
        card = world.ledger.scorecard("C2023", "D1")
        assert card is not None
        assert card.version == before.version + 2
        entry = card.entries["1.1"]
        assert entry.self_inputs == {"points": "0.75"}  # A's, recorded last
        report = verify_events(stored_events(world.ledger))
        assert report.ok, report.problems
    finally:
        other.close()
        world.ledger.close()
