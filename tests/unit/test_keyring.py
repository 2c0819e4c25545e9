"""The keyring (who holds which key, role and scope) and command authorization."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledger.core.crypto import SigningKey
from ledger.core.envelope import SignedCommand, sign_command
from ledger.core.errors import AuthorizationError, LedgerError
from ledger.domain.authorization import authorize, signer_of
from ledger.domain.commands import command_type as kind_of
from ledger.domain.keyring import SYSTEM_ROLE, Grant, Keyring, grants_from_json
from ledger.domain.scopes import RunningFacts

LEDGER = "hanoi-par"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
T2 = T0 + timedelta(days=2)


# -- Grant.covers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "covered"),
    [
        ("3", True),
        ("3.4", True),
        ("3.4.1", True),
        ("30.1", False),
        ("30", False),
        ("4.3", False),
        ("", False),
        (None, False),
    ],
)
def test_appraiser_scope_is_a_dotted_prefix(target, covered):
    assert Grant("appraiser", ("3",)).covers(target) is covered


def test_appraiser_scope_on_a_criterion():
    grant = Grant("appraiser", ("2.4", "7"))
    assert grant.covers("2.4.1")
    assert grant.covers("7.1.rest")
    assert not grant.covers("2.41")
    assert not grant.covers("2")


@pytest.mark.parametrize("role", ["unit_staff", "unit_head"])
def test_unit_scope_is_exact(role):
    grant = Grant(role, ("SNV", "UBND-HK"))
    assert grant.covers("SNV")
    assert grant.covers("UBND-HK")
    assert not grant.covers("SNV.1")
    assert not grant.covers("SN")
    assert not grant.covers("snv")
    assert not grant.covers(None)


@pytest.mark.parametrize("role", ["administrator", "secretariat", "survey_body", SYSTEM_ROLE])
def test_unscoped_roles_cover_everything(role):
    grant = Grant(role)
    assert grant.covers(None)
    assert grant.covers("anything")


def test_grants_from_json_round_trip():
    items = [{"role": "unit_staff", "scope": ["SNV"]}, {"role": "secretariat"}]
    grants = grants_from_json(items)
    assert grants == (Grant("unit_staff", ("SNV",)), Grant("secretariat", ()))
    assert [g.as_json() for g in grants] == [
        {"role": "unit_staff", "scope": ["SNV"]},
        {"role": "secretariat", "scope": []},
    ]


# -- Keyring.apply ------------------------------------------------------------------


class World:
    """A keyring built from events, with the private keys behind it."""

    def __init__(self) -> None:
        self.admin = SigningKey.generate()
        self.server = SigningKey.generate()
        self.keyring = Keyring()
        self.keyring.apply(
            "LedgerInitialised",
            {
                "ledger": LEDGER,
                "administrator": {
                    "public_key": self.admin.public_key,
                    "name": "Admin",
                    "title": "Quản trị",
                    "unit": "SNV",
                },
                "server": {"public_key": self.server.public_key, "name": "server"},
            },
            T0,
        )

    def enrol(self, name: str, roles: list[dict], at: datetime = T0) -> SigningKey:
        key = SigningKey.generate()
        self.keyring.apply(
            "KeyEnrolled",
            {
                "public_key": key.public_key,
                "name": name,
                "title": "Chuyên viên",
                "unit": "SNV",
                "roles": roles,
                "key_id": key.key_id,
            },
            at,
        )
        return key

    def command(
        self, key: SigningKey, type_: str, args: dict, ledger: str = LEDGER
    ) -> SignedCommand:
        return sign_command(key, ledger=ledger, type=type_, args=args, issued_at=T1)


@pytest.fixture
def world() -> World:
    return World()


def test_ledger_initialised(world):
    ring = world.keyring
    assert ring.ledger == LEDGER
    assert ring.administrator == world.admin.key_id
    assert ring.server == world.server.key_id
    admin = ring.get(world.admin.key_id)
    assert admin.public_key == world.admin.public_key
    assert admin.name == "Admin"
    assert admin.unit == "SNV"
    assert admin.active
    assert admin.enrolled_at == T0
    assert admin.roles() == ["administrator"]
    server = ring.get(world.server.key_id)
    assert server.roles() == [SYSTEM_ROLE]
    assert server.title == ""
    assert server.unit == ""


def test_key_enrolled(world):
    key = world.enrol("Staff", [{"role": "unit_staff", "scope": ["SNV"]}], T1)
    record = world.keyring.get(key.key_id)
    assert record.key_id == key.key_id
    assert record.grants == (Grant("unit_staff", ("SNV",)),)
    assert record.enrolled_at == T1
    assert record.has_role("unit_staff", "SNV")
    assert not record.has_role("unit_staff", "STP")
    assert not record.has_role("unit_head", "SNV")
    assert record.predecessor is None


def test_key_revoked(world):
    key = world.enrol("Staff", [{"role": "unit_staff", "scope": ["SNV"]}])
    world.keyring.apply("KeyRevoked", {"key_id": key.key_id, "reason": "left the office"}, T2)
    record = world.keyring.get(key.key_id)
    assert not record.active
    assert record.revoked_at == T2
    assert record.revocation_reason == "left the office"
    assert record.grants == (Grant("unit_staff", ("SNV",)),)


def test_key_rotated(world):
    old = world.enrol("Staff", [{"role": "unit_staff", "scope": ["SNV"]}])
    new = SigningKey.generate()
    world.keyring.apply(
        "KeyRotated",
        {
            "key_id": old.key_id,
            "new_public_key": new.public_key,
            "reason": "",
            "new_key_id": new.key_id,
        },
        T2,
    )
    old_record = world.keyring.get(old.key_id)
    new_record = world.keyring.get(new.key_id)
    assert not old_record.active
    assert old_record.revoked_at == T2
    assert old_record.revocation_reason == "rotated"
    assert old_record.successor == new.key_id
    assert new_record.active
    assert new_record.predecessor == old.key_id
    assert new_record.enrolled_at == T2
    assert (new_record.name, new_record.title, new_record.unit) == ("Staff", "Chuyên viên", "SNV")
    assert new_record.grants == old_record.grants
    assert new_record.public_key == new.public_key


def test_key_rotated_keeps_a_given_reason(world):
    old = world.enrol("Staff", [{"role": "unit_staff", "scope": ["SNV"]}])
    new = SigningKey.generate()
    world.keyring.apply(
        "KeyRotated", {"key_id": old.key_id, "new_public_key": new.public_key, "reason": "lost"}, T2
    )
    assert world.keyring.get(old.key_id).revocation_reason == "lost"


def test_unknown_event_is_refused():
    with pytest.raises(ValueError, match="unknown key registry event"):
        Keyring().apply("KeyStolen", {}, T0)


def test_get_unknown_key():
    assert Keyring().get("0" * 32) is None


# -- signer_of ----------------------------------------------------------------------


def test_signer_of_an_enrolled_key(world):
    command = world.command(world.admin, "enrol_key", {})
    assert signer_of(world.keyring, command).key_id == world.admin.key_id


def test_signer_of_unknown_key(world):
    stranger = SigningKey.generate()
    command = world.command(stranger, "enrol_key", {})
    with pytest.raises(AuthorizationError) as info:
        signer_of(world.keyring, command)
    assert info.value.code == "unknown_key"
    assert info.value.field == "command.key_id"
    assert stranger.key_id in str(info.value)


def test_signer_of_bad_signature(world):
    command = world.command(world.admin, "enrol_key", {})
    forged = SignedCommand(
        payload={**command.payload, "args": {"name": "Mallory"}}, signature=command.signature
    )
    with pytest.raises(AuthorizationError) as info:
        signer_of(world.keyring, forged)
    assert info.value.code == "bad_signature"


def test_signer_of_signature_by_another_key_claiming_an_enrolled_id(world):
    mallory = SigningKey.generate()
    command = world.command(world.admin, "enrol_key", {})
    payload = dict(command.payload)
    impostor = SignedCommand(payload=payload, signature=mallory.sign(command.signed_bytes()))
    with pytest.raises(AuthorizationError) as info:
        signer_of(world.keyring, impostor)
    assert info.value.code == "bad_signature"


def _genesis(admin: SigningKey, server: SigningKey, signer: SigningKey) -> SignedCommand:
    args = {
        "administrator": {"public_key": admin.public_key, "name": "Admin"},
        "server": {"public_key": server.public_key, "name": "server"},
    }
    return sign_command(signer, ledger=LEDGER, type="init_ledger", args=args, issued_at=T0)


def test_genesis_is_signed_by_the_administrator_it_establishes():
    admin, server = SigningKey.generate(), SigningKey.generate()
    ring = Keyring()
    command = _genesis(admin, server, admin)
    signer = signer_of(ring, command)
    assert signer.key_id == admin.key_id
    authorize(ring, command, signer, RunningFacts())


def test_genesis_signed_by_another_key_is_refused():
    admin, server, other = (SigningKey.generate() for _ in range(3))
    with pytest.raises(AuthorizationError) as info:
        signer_of(Keyring(), _genesis(admin, server, other))
    assert info.value.code == "bad_signature"


def test_genesis_on_an_initialised_ledger_is_refused(world):
    command = _genesis(world.admin, SigningKey.generate(), world.admin)
    with pytest.raises(AuthorizationError) as info:
        authorize(world.keyring, command, signer_of(world.keyring, command), RunningFacts())
    assert info.value.code == "already_initialised"


# -- authorize ----------------------------------------------------------------------


def _check(world: World, key: SigningKey, type_: str, args: dict, ledger: str = LEDGER) -> None:
    command = world.command(key, type_, args, ledger)
    authorize(world.keyring, command, signer_of(world.keyring, command), RunningFacts())


def _refusal(world: World, key: SigningKey, type_: str, args: dict, ledger: str = LEDGER):
    with pytest.raises(AuthorizationError) as info:
        _check(world, key, type_, args, ledger)
    return info.value


def test_administrator_may_enrol(world):
    _check(world, world.admin, "enrol_key", {"public_key": "x"})


def test_wrong_ledger(world):
    error = _refusal(world, world.admin, "enrol_key", {}, ledger="other-ledger")
    assert error.code == "wrong_ledger"
    assert error.field == "command.ledger"
    assert "other-ledger" in str(error)


def test_revoked_key_is_refused(world):
    staff = world.enrol("Staff", [{"role": "unit_staff", "scope": ["SNV"]}])
    _check(world, staff, "record_self_score", {"unit": "SNV"})
    world.keyring.apply("KeyRevoked", {"key_id": staff.key_id, "reason": "left"}, T1)
    error = _refusal(world, staff, "record_self_score", {"unit": "SNV"})
    assert error.code == "key_revoked"
    assert staff.key_id in str(error)


def test_rotated_away_key_is_refused_and_its_successor_accepted(world):
    staff = world.enrol("Staff", [{"role": "unit_staff", "scope": ["SNV"]}])
    new = SigningKey.generate()
    world.keyring.apply(
        "KeyRotated", {"key_id": staff.key_id, "new_public_key": new.public_key}, T1
    )
    assert _refusal(world, staff, "record_self_score", {"unit": "SNV"}).code == "key_revoked"
    _check(world, new, "record_self_score", {"unit": "SNV"})


def test_unit_staff_in_scope(world):
    staff = world.enrol("Staff", [{"role": "unit_staff", "scope": ["SNV", "STP"]}])
    for command_type in ("record_self_score", "attach_evidence", "remove_evidence"):
        _check(world, staff, command_type, {"unit": "STP"})


@pytest.mark.parametrize("args", [{"unit": "STC"}, {"unit": "SNV.x"}, {}, {"unit": 1}])
def test_unit_staff_out_of_scope(world, args):
    staff = world.enrol("Staff", [{"role": "unit_staff", "scope": ["SNV"]}])
    error = _refusal(world, staff, "record_self_score", args)
    assert error.code == "out_of_scope"
    assert error.field == "command.key_id"
    assert "unit_staff" in str(error)


def test_role_without_the_needed_grant_is_out_of_scope(world):
    staff = world.enrol("Staff", [{"role": "unit_staff", "scope": ["SNV"]}])
    error = _refusal(world, staff, "submit_self_assessment", {"unit": "SNV"})
    assert error.code == "out_of_scope"
    assert "unit_head" in str(error)
    error = _refusal(world, staff, "enrol_key", {})
    assert error.code == "out_of_scope"


def test_server_key_may_only_do_system_commands(world):
    _check(world, world.server, "open_scorecard", {})
    assert _refusal(world, world.server, "enrol_key", {}).code == "out_of_scope"
    assert _refusal(world, world.admin, "open_scorecard", {}).code == "out_of_scope"


def test_secretariat_may_define_indicator_sets(world):
    secretariat = world.enrol("Sec", [{"role": "secretariat", "scope": []}])
    _check(world, secretariat, "define_indicator_set", {})
    _check(world, secretariat, "record_external_score", {})
    assert _refusal(world, secretariat, "register_unit", {}).code == "out_of_scope"


def test_key_holder_may_rotate_own_key(world):
    staff = world.enrol("Staff", [{"role": "unit_staff", "scope": ["SNV"]}])
    new = SigningKey.generate()
    _check(world, staff, "rotate_key", {"key_id": staff.key_id, "new_public_key": new.public_key})


def test_key_holder_may_not_rotate_someone_elses_key(world):
    staff = world.enrol("Staff", [{"role": "unit_staff", "scope": ["SNV"]}])
    other = world.enrol("Other", [{"role": "unit_staff", "scope": ["SNV"]}])
    error = _refusal(world, staff, "rotate_key", {"key_id": other.key_id, "new_public_key": "x"})
    assert error.code == "out_of_scope"
    # the administrator may
    _check(world, world.admin, "rotate_key", {"key_id": other.key_id, "new_public_key": "x"})


def test_revoked_key_may_not_rotate_itself(world):
    staff = world.enrol("Staff", [{"role": "unit_staff", "scope": ["SNV"]}])
    world.keyring.apply("KeyRevoked", {"key_id": staff.key_id, "reason": "lost"}, T1)
    error = _refusal(world, staff, "rotate_key", {"key_id": staff.key_id, "new_public_key": "x"})
    assert error.code == "key_revoked"


def test_key_holder_may_not_revoke_own_key(world):
    staff = world.enrol("Staff", [{"role": "unit_staff", "scope": ["SNV"]}])
    error = _refusal(world, staff, "revoke_key", {"key_id": staff.key_id, "reason": "x"})
    assert error.code == "out_of_scope"


def test_unknown_command_type(world):
    with pytest.raises(LedgerError, match="unknown command type") as info:
        _check(world, world.admin, "delete_everything", {})
    assert info.value.code == "unknown_command"
    with pytest.raises(LedgerError, match="unknown command type"):
        kind_of("nope")
