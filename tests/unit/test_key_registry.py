"""The key registry's rules (docs/FORMATS.md §5, §6, §6.1), without a database: genesis,
enrolment, revocation and rotation, and who may sign what."""

from __future__ import annotations

import pytest

from ledger.core.crypto import SigningKey
from ledger.core.envelope import SignedCommand, sign_command
from ledger.core.errors import LedgerError
from ledger.core.ids import KEY_REGISTRY_ID
from ledger.domain.keyring import Keyring
from tests.memory import MemoryLedger


def keyring(ledger: MemoryLedger) -> Keyring:
    registry = ledger.get(KEY_REGISTRY_ID)
    assert registry is not None
    found: Keyring = registry.keyring
    return found


def test_genesis_enrols_the_administrator_and_the_server_key() -> None:
    ledger = MemoryLedger().initialise()
    keys = keyring(ledger)
    admin, server = keys.get(ledger.admin.key_id), keys.get(ledger.server.key_id)
    assert admin is not None
    assert server is not None
    assert (admin.name, admin.title, admin.unit, admin.roles()) == (
        "Quản trị",
        "",
        "",
        ["administrator"],
    )
    assert (server.name, server.title, server.unit, server.roles()) == (
        "Máy chủ",
        "",
        "",
        ["system"],
    )
    assert keys.ledger == "memory-ledger"


def test_a_second_genesis_and_a_genesis_with_one_key_for_both_are_refused() -> None:
    ledger = MemoryLedger().initialise()
    genesis = {
        "administrator": {"public_key": ledger.admin.public_key, "name": "Quản trị"},
        "server": {"public_key": ledger.server.public_key, "name": "Máy chủ"},
    }
    assert ledger.refused(ledger.admin, "init_ledger", genesis) == "already_initialised"
    fresh = MemoryLedger()
    same = {**genesis, "server": {"public_key": fresh.admin.public_key, "name": "Máy chủ"}}
    same["administrator"] = {"public_key": fresh.admin.public_key, "name": "Quản trị"}
    assert fresh.refused(fresh.admin, "init_ledger", same) == "same_key"


def test_nothing_but_the_genesis_is_accepted_before_it() -> None:
    ledger = MemoryLedger()
    key = SigningKey.generate()
    args = {"public_key": key.public_key, "name": "A", "roles": [{"role": "inspector"}]}
    assert ledger.refused(ledger.admin, "enrol_key", args) == "unknown_key"


def test_enrolment_adds_a_key_once_with_its_roles() -> None:
    ledger = MemoryLedger().initialise()
    key = ledger.enrol("Thanh tra", "inspector")
    record = keyring(ledger).get(key.key_id)
    assert record is not None
    assert record.roles() == ["inspector"]
    again = {"public_key": key.public_key, "name": "B", "roles": [{"role": "inspector"}]}
    assert ledger.refused(ledger.admin, "enrol_key", again) == "key_exists"
    unknown = {
        "public_key": SigningKey.generate().public_key,
        "name": "C",
        "roles": [{"role": "unit_staff", "scope": ["NOWHERE"]}],
    }
    assert ledger.refused(ledger.admin, "enrol_key", unknown) == "unknown_unit"


def test_revocation_stops_a_key_and_cannot_be_repeated_or_done_to_oneself() -> None:
    ledger = MemoryLedger().initialise()
    key = ledger.enrol("Thanh tra", "inspector")
    other = ledger.enrol("Cơ quan công bố", "administrator")
    ledger.send(ledger.admin, "revoke_key", {"key_id": key.key_id, "reason": "Nghỉ hưu"})
    record = keyring(ledger).get(key.key_id)
    assert record is not None
    assert (record.revocation_reason, record.active) == ("Nghỉ hưu", False)
    assert (
        ledger.refused(other, "revoke_key", {"key_id": key.key_id, "reason": "x"}) == "key_revoked"
    )
    assert ledger.refused(
        ledger.admin, "revoke_key", {"key_id": ledger.admin.key_id, "reason": "x"}
    ) == ("self_revocation")
    # a revoked key signs nothing more
    enrol = {
        "public_key": SigningKey.generate().public_key,
        "name": "X",
        "roles": [{"role": "inspector"}],
    }
    ledger.send(ledger.admin, "revoke_key", {"key_id": other.key_id, "reason": "x"})
    assert ledger.refused(other, "enrol_key", enrol) == "key_revoked"
    assert (
        ledger.refused(ledger.admin, "revoke_key", {"key_id": "0" * 32, "reason": "x"})
        == "not_found"
    )


def test_rotation_hands_the_person_and_roles_to_the_new_key() -> None:
    ledger = MemoryLedger().initialise()
    old = ledger.enrol("Thanh tra", "inspector")
    new = SigningKey.generate()
    ledger.send(old, "rotate_key", {"key_id": old.key_id, "new_public_key": new.public_key})
    keys = keyring(ledger)
    before, after = keys.get(old.key_id), keys.get(new.key_id)
    assert before is not None
    assert after is not None
    assert (before.successor, before.revocation_reason, before.active) == (
        new.key_id,
        "rotated",
        False,
    )
    assert (after.predecessor, after.name, after.roles(), after.active) == (
        old.key_id,
        "Thanh tra",
        ["inspector"],
        True,
    )
    assert before.revoked_at == after.enrolled_at == ledger.clock.now()
    again = {"key_id": old.key_id, "new_public_key": SigningKey.generate().public_key}
    assert ledger.refused(ledger.admin, "rotate_key", again) == "key_revoked"
    taken = {"key_id": new.key_id, "new_public_key": ledger.admin.public_key}
    assert ledger.refused(ledger.admin, "rotate_key", taken) == "key_exists"


def test_a_command_is_signed_by_an_enrolled_key_with_the_role_for_it() -> None:
    ledger = MemoryLedger().initialise()
    inspector = ledger.enrol("Thanh tra", "inspector")
    unit = {"code": "D1", "name": "Quận 1", "kind": "district"}
    assert ledger.refused(inspector, "register_unit", unit) == "out_of_scope"
    assert ledger.refused(SigningKey.generate(), "register_unit", unit) == "unknown_key"
    forged = ledger.command(ledger.admin, "register_unit", unit)
    tampered = SignedCommand.from_envelope(
        {
            **forged.envelope(),
            "signature": ledger.command(
                ledger.admin, "register_unit", {**unit, "name": "Khác"}
            ).signature,
        }
    )
    assert_refused(ledger, tampered, "bad_signature")
    elsewhere = ledger.command(ledger.admin, "register_unit", unit)
    moved = SignedCommand.from_envelope(
        {"command": {**elsewhere.payload, "ledger": "other"}, "signature": elsewhere.signature}
    )
    assert_refused(ledger, moved, "bad_signature")
    other_ledger = sign_command(
        ledger.admin, ledger="other", type="register_unit", args=unit, issued_at=ledger.clock.now()
    )
    assert_refused(ledger, other_ledger, "wrong_ledger")
    lock = {"campaign": "C", "unit": "D1", "deadline": "2023-01-01T00:00:00Z"}
    assert ledger.refused(ledger.server, "lock_scorecard", lock) == "system_command"


def test_the_same_command_twice_records_once_and_a_reused_nonce_is_refused() -> None:
    ledger = MemoryLedger().initialise()
    unit = {"code": "D1", "name": "Quận 1", "kind": "district"}
    command = ledger.command(ledger.admin, "register_unit", unit, nonce="n" * 16)
    assert len(ledger.execute(command)) == 1
    assert ledger.execute(command) == []
    changed = ledger.command(
        ledger.admin, "update_unit", {**unit, "name": "Quận Một"}, nonce="n" * 16
    )
    assert_refused(ledger, changed, "nonce_reused")


def assert_refused(ledger: MemoryLedger, command: SignedCommand, code: str) -> None:
    before = {i: a.version for i, a in ledger.aggregates.items()}
    with pytest.raises(LedgerError) as refused:
        ledger.execute(command)
    assert refused.value.code == code, refused.value
    assert {i: a.version for i, a in ledger.aggregates.items()} == before
