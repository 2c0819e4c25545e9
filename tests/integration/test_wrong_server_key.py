"""A ledger run with a server key other than the one its genesis enrolled signs nothing: the
events it would sign itself (opening scorecards, locks) are refused, and nothing is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.core.crypto import SigningKey
from ledger.core.errors import DomainError
from tests.world import SMALL_SET, build_world, make_runtime, schedule


def test_another_server_key_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    world = build_world(url, tmp_path / "home", with_campaign=False)
    impostor = make_runtime(url, tmp_path / "home", world.clock, SigningKey.generate()).ledger
    try:
        before = world.ledger.campaigns()
        args = {
            "code": "C2023",
            "year": 2023,
            "title": "Kỳ đánh giá 2023",
            "indicator_set": SMALL_SET["code"],
            "indicator_set_version": 1,
            "units": ["D1"],
            "schedule": schedule(),
        }
        with pytest.raises(DomainError) as refused:
            impostor.execute(world.command(world.admin, "create_campaign", args))
        assert refused.value.code == "wrong_server_key"
        assert world.ledger.campaigns() == before == []
    finally:
        impostor.close()
        world.ledger.close()
