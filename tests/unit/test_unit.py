"""A unit's rules (docs/FORMATS.md §5), without a database: registered once, updated only
once registered, under a registered parent, ranked in its kind unless told otherwise."""

from __future__ import annotations

from ledger.core.ids import unit_id
from ledger.domain.unit import Unit
from tests.memory import MemoryLedger


def unit(ledger: MemoryLedger, code: str) -> Unit:
    found = ledger.get(unit_id(code))
    assert isinstance(found, Unit)
    return found


def test_a_unit_is_ranked_in_its_kind_unless_a_group_is_given() -> None:
    ledger = MemoryLedger().initialise()
    ledger.send(ledger.admin, "register_unit", {"code": "HN", "name": "Hà Nội", "kind": "province"})
    ledger.send(
        ledger.admin,
        "register_unit",
        {
            "code": "Q1",
            "name": "Quận 1",
            "kind": "district",
            "parent": "HN",
            "ranking_group": "noi-thanh",
        },
    )
    ledger.send(
        ledger.admin,
        "register_unit",
        {"code": "Q2", "name": "Quận 2", "kind": "district", "parent": "HN"},
    )
    assert unit(ledger, "Q1").as_record().as_json() == {
        "code": "Q1",
        "name": "Quận 1",
        "kind": "district",
        "parent": "HN",
        "ranking_group": "noi-thanh",
    }
    assert unit(ledger, "Q2").ranking_group == "district"


def test_an_update_replaces_the_description() -> None:
    ledger = MemoryLedger().initialise()
    ledger.send(
        ledger.admin,
        "register_unit",
        {"code": "Q1", "name": "Quận 1", "kind": "district", "ranking_group": "a"},
    )
    ledger.send(ledger.admin, "update_unit", {"code": "Q1", "name": "Quận Một", "kind": "district"})
    record = unit(ledger, "Q1").as_record()
    assert (record.name, record.ranking_group, unit(ledger, "Q1").version) == (
        "Quận Một",
        "district",
        2,
    )


def test_a_unit_is_registered_once_and_updated_only_once_registered() -> None:
    ledger = MemoryLedger().initialise()
    args = {"code": "Q1", "name": "Quận 1", "kind": "district"}
    ledger.send(ledger.admin, "register_unit", args)
    assert ledger.refused(ledger.admin, "register_unit", args) == "unit_exists"
    assert ledger.refused(ledger.admin, "update_unit", {**args, "code": "Q9"}) == "unknown_unit"


def test_a_parent_must_be_registered_and_not_the_unit_itself() -> None:
    ledger = MemoryLedger().initialise()
    args = {"code": "Q1", "name": "Quận 1", "kind": "district"}
    assert ledger.refused(ledger.admin, "register_unit", {**args, "parent": "HN"}) == "unknown_unit"
    assert (
        ledger.refused(ledger.admin, "register_unit", {**args, "parent": "Q1"}) == "invalid_input"
    )
    assert (
        ledger.refused(ledger.admin, "register_unit", {**args, "kind": "Quận"}) == "invalid_input"
    )
