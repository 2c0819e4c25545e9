"""The write path reads each aggregate once (issue 10, item 9): a command reads the key
registry, the campaign and its scorecard from the store at most once, and not at all while
the log has recorded nothing newer of them; what another writer records is noticed by log
position; the signature is verified once per command, however often it is retried."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import psycopg
import pytest

from ledger.application.cache import AggregateCache
from ledger.application.service import Ledger
from ledger.application.storage import POSTGRES_TABLE
from ledger.core.envelope import SignedCommand
from ledger.core.errors import AuthorizationError
from ledger.core.ids import KEY_REGISTRY_ID, campaign_id, scorecard_id
from tests.world import World, build_world, make_runtime

D1, D2 = scorecard_id("C2023", "D1"), scorecard_id("C2023", "D2")
CAMPAIGN, KEYS = campaign_id("C2023"), KEY_REGISTRY_ID


@pytest.fixture
def two(database_url: str, tmp_path: Path) -> Iterator[tuple[World, Ledger]]:
    """The test world, and a second ledger on the same store (as another process)."""
    world = build_world(database_url, tmp_path / "home")
    other = make_runtime(database_url, tmp_path / "home", world.clock, world.server).ledger
    try:
        yield world, other
    finally:
        other.close()
        world.ledger.close()


def reads_of(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> Counter[UUID]:
    """Every read of an aggregate's events from the store, counted by aggregate."""
    counted: Counter[UUID] = Counter()
    select = ledger.recorder.select_events

    def counting(originator_id: Any, *args: Any, **kwargs: Any) -> Any:
        counted[UUID(str(originator_id))] += 1
        return select(originator_id, *args, **kwargs)

    monkeypatch.setattr(ledger.recorder, "select_events", counting)
    return counted


def self_score(world: World, key: str, unit: str, points: str, note: str = "") -> SignedCommand:
    return world.command(
        world.keys[key],
        "record_self_score",
        {
            "campaign": "C2023",
            "unit": unit,
            "criterion": "1.1",
            "inputs": {"points": points},
            "note": note,
        },
    )


def test_a_fresh_ledger_reads_each_aggregate_once(
    two: tuple[World, Ledger], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, other = two
    world.ledger.execute(self_score(world, "staff", "D1", "0.25"))
    reads = reads_of(other, monkeypatch)
    other.execute(self_score(world, "staff", "D1", "0.5"))
    assert reads[KEYS] == 1
    assert reads[CAMPAIGN] == 1
    assert reads[D1] == 1
    assert max(reads.values()) == 1


def test_nothing_is_read_again_while_the_log_records_nothing_newer(
    two: tuple[World, Ledger], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, other = two
    world.ledger.execute(self_score(world, "staff", "D1", "0.25"))
    world.ledger.execute(self_score(world, "staff2", "D2", "0.25"))
    reads = reads_of(world.ledger, monkeypatch)
    for points in ("0.5", "0.75", "0.25"):
        world.ledger.execute(self_score(world, "staff", "D1", points))
    assert sum(reads.values()) == 0
    # another writer records on another scorecard: nothing this command reads is older
    other.execute(self_score(world, "staff2", "D2", "0.5"))
    world.ledger.execute(self_score(world, "staff", "D1", "0.5"))
    assert sum(reads.values()) == 0
    card = world.ledger.scorecard("C2023", "D1")
    assert card is not None
    assert card.version == 6


def test_what_another_writer_records_is_noticed_by_log_position(
    two: tuple[World, Ledger], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, other = two
    world.ledger.execute(self_score(world, "staff", "D1", "0.25"))
    reads = reads_of(world.ledger, monkeypatch)
    other.execute(self_score(world, "staff", "D1", "0.5", note="from the other process"))
    receipt = world.ledger.execute(self_score(world, "staff", "D1", "0.75"))
    # the card was read again, once, and the command acted on the newer version
    assert reads == Counter({D1: 1})
    assert receipt.version == 4
    card = world.ledger.scorecard("C2023", "D1")
    assert card is not None
    assert card.entries["1.1"].self_points is not None
    assert str(card.entries["1.1"].self_points) == "0.75"
    # a key revoked through the other ledger is seen by this one's next command
    other.execute(
        world.command(
            world.admin, "revoke_key", {"key_id": world.keys["staff2"].key_id, "reason": "left"}
        )
    )
    refused = self_score(world, "staff2", "D2", "0.5")
    with pytest.raises(AuthorizationError, match="revoked"):
        world.ledger.execute(refused)
    assert reads[KEYS] == 1


def test_the_signature_is_verified_once_when_the_command_is_retried(
    two: tuple[World, Ledger], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, other = two
    world.ledger.execute(self_score(world, "staff", "D1", "0.25"))
    mine = self_score(world, "staff", "D1", "0.5", note="mine")
    checked: list[str] = []
    valid = SignedCommand.signature_valid

    def counting(self: SignedCommand, public_key: str) -> bool:
        if self.nonce == mine.nonce:
            checked.append(public_key)
        return valid(self, public_key)

    monkeypatch.setattr(SignedCommand, "signature_valid", counting)
    saves: list[int] = []
    save = world.ledger.save

    def save_after_another_writer(*objs: Any, **kwargs: Any) -> Any:
        # the first time, another process records on the same card in between: a real
        # conflict on the store, and the command is tried again
        saves.append(len(objs))
        if len(saves) == 1:
            other.execute(self_score(world, "staff-bis", "D1", "0.75", note="theirs"))
        return save(*objs, **kwargs)

    world.keys["staff-bis"] = world.enrol("staff-bis", [{"role": "unit_staff", "scope": ["D1"]}])
    monkeypatch.setattr(world.ledger, "save", save_after_another_writer)
    receipt = world.ledger.execute(mine)
    assert len(saves) == 2  # a conflict happened and the command was tried again
    assert checked == [world.keys["staff"].public_key]
    assert receipt.version == 4
    card = world.ledger.scorecard("C2023", "D1")
    assert card is not None
    assert card.version == 4
    assert card.entries["1.1"].note == "mine"
    # sent again, it answers the first receipt and records nothing
    assert world.ledger.execute(mine) == receipt
    assert len(checked) == 2


def test_an_aggregate_read_before_a_newer_version_was_logged_is_not_kept(
    two: tuple[World, Ledger],
) -> None:
    world, other = two
    world.ledger.execute(self_score(world, "staff", "D1", "0.25"))
    cache = AggregateCache(world.ledger.recorder)
    cache.refresh()
    stale = world.ledger.repository.get(D1)  # read, then another writer records
    other.execute(self_score(world, "staff", "D1", "0.5"))
    cache.refresh()
    loads: list[UUID] = []

    def load(aggregate_id: UUID) -> Any:
        loads.append(aggregate_id)
        return stale if len(loads) == 1 else world.ledger.repository.get(aggregate_id)

    assert cache.get(D1, load).version == 2  # the caller gets what it read…
    assert cache.get(D1, load).version == 3  # …but it was not kept: read again, newer
    assert cache.get(D1, load).version == 3
    assert loads == [D1, D1]


def test_a_kept_aggregate_is_dropped_when_the_log_shows_a_newer_version(
    two: tuple[World, Ledger],
) -> None:
    world, other = two
    world.ledger.execute(self_score(world, "staff", "D1", "0.25"))
    cache = AggregateCache(world.ledger.recorder)
    cache.refresh()
    load: Callable[[UUID], Any] = world.ledger.repository.get
    assert cache.get(D1, load).version == 2
    assert cache.loads == 1
    other.execute(self_score(world, "staff2", "D2", "0.5"))
    cache.refresh()
    assert cache.get(D1, load).version == 2
    assert cache.loads == 1  # another aggregate changed: still held
    other.execute(self_score(world, "staff", "D1", "0.5"))
    assert cache.get(D1, load).version == 2  # the cache has not read the log yet
    cache.refresh()
    assert cache.get(D1, load).version == 3
    assert cache.loads == 2


def test_events_are_inserted_under_the_log_table_lock(pg_url: str, tmp_path: Path) -> None:
    """PostgreSQL: the one-statement insert still takes the table's EXCLUSIVE lock, so that
    positions are committed in the order they are given and a reader tailing the log never
    passes a gap that is filled later."""
    world = build_world(pg_url, tmp_path / "home")
    try:
        conninfo = cast(Any, world.runtime.storage.factory).conninfo()
        table = f'"{world.ledger.recorder.datastore.schema}".{POSTGRES_TABLE}'  # type: ignore[attr-defined]
        before = world.ledger.recorder.max_notification_id()
        done: list[Any] = []
        command = self_score(world, "staff", "D1", "0.25")
        with (
            psycopg.connect(**conninfo) as holder,
            psycopg.connect(**conninfo, autocommit=True) as observer,
        ):
            holder.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
            writer = threading.Thread(target=lambda: done.append(world.ledger.execute(command)))
            writer.start()
            deadline = time.monotonic() + 8
            waiting = 0
            while not waiting and time.monotonic() < deadline:
                row = observer.execute(
                    "SELECT count(*) AS n FROM pg_locks "
                    "WHERE relation = %s::regclass AND NOT granted",
                    (table,),
                ).fetchone()
                waiting = cast(Any, row)["n"]  # the pool's connections give rows as dicts
                time.sleep(0.02)
            assert waiting == 1, "the insert did not wait for the table lock"
            assert not done
            assert world.ledger.recorder.max_notification_id() == before
            holder.rollback()
            writer.join(timeout=10)
        assert done
        assert done[0].position > (before or 0)
    finally:
        world.ledger.close()
