"""Every aggregate, through the ledger's command path, on SQLite and on PostgreSQL."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from ledger.application.service import stored_events
from ledger.audit.event_checks import verify_events
from ledger.core.crypto import SigningKey
from ledger.core.envelope import SignedCommand
from ledger.core.errors import LedgerError
from tests.world import SMALL_SET, World, schedule

CARD = {"campaign": "C2023", "unit": "D1"}


def refused(
    world: World, key: SigningKey, command_type: str, args: dict[str, object]
) -> LedgerError:
    before = world.ledger.recorder.max_notification_id()
    with pytest.raises(LedgerError) as caught:
        world.send(key, command_type, args)
    assert world.ledger.recorder.max_notification_id() == before, "a refusal recorded something"
    return caught.value


def count_events(world: World) -> int:
    return sum(1 for _ in stored_events(world.ledger))


# -- keys and roles ----------------------------------------------------------------------


def test_enrolled_key_carries_person_roles_and_scope(world: World) -> None:
    record = world.ledger.keyring().get(world.keys["staff"].key_id)
    assert record is not None
    assert record.active
    assert record.roles() == ["unit_staff"]
    assert record.has_role("unit_staff", "D1")
    assert not record.has_role("unit_staff", "D2")


def test_a_key_is_enrolled_once(world: World) -> None:
    staff = world.keys["staff"]
    error = refused(
        world,
        world.admin,
        "enrol_key",
        {"public_key": staff.public_key, "name": "again", "roles": [{"role": "inspector"}]},
    )
    assert error.code == "key_exists"


def test_only_an_administrator_enrols_keys(world: World) -> None:
    error = refused(
        world,
        world.keys["head"],
        "enrol_key",
        {
            "public_key": SigningKey.generate().public_key,
            "name": "x",
            "roles": [{"role": "inspector"}],
        },
    )
    assert error.code == "out_of_scope"
    assert "administrator" in error.message


def test_unit_roles_must_name_registered_units(world: World) -> None:
    error = refused(
        world,
        world.admin,
        "enrol_key",
        {
            "public_key": SigningKey.generate().public_key,
            "name": "x",
            "roles": [{"role": "unit_staff", "scope": ["NOWHERE"]}],
        },
    )
    assert error.code == "unknown_unit"


def test_scoped_roles_need_a_scope_and_global_roles_refuse_one(world: World) -> None:
    for roles in ([{"role": "appraiser", "scope": []}], [{"role": "secretariat", "scope": ["D1"]}]):
        error = refused(
            world,
            world.admin,
            "enrol_key",
            {"public_key": SigningKey.generate().public_key, "name": "x", "roles": roles},
        )
        assert error.code == "invalid_input"
        assert error.field == "command.args.roles.0"


def test_a_revoked_key_can_no_longer_act(world: World) -> None:
    staff = world.keys["staff"]
    world.send(world.admin, "revoke_key", {"key_id": staff.key_id, "reason": "left the unit"})
    error = refused(
        world,
        staff,
        "record_self_score",
        {**CARD, "criterion": "1.1", "inputs": {"points": "1"}, "explanation": "x"},
    )
    assert error.code == "key_revoked"
    again = refused(world, world.admin, "revoke_key", {"key_id": staff.key_id, "reason": "again"})
    assert again.code == "key_revoked"


def test_a_key_cannot_revoke_itself(world: World) -> None:
    error = refused(world, world.admin, "revoke_key", {"key_id": world.admin.key_id, "reason": "x"})
    assert error.code == "self_revocation"


def test_rotation_by_the_holder_moves_roles_to_the_new_key(world: World) -> None:
    staff, new = world.keys["staff"], SigningKey.generate()
    world.send(
        staff,
        "rotate_key",
        {"key_id": staff.key_id, "new_public_key": new.public_key, "reason": "new laptop"},
    )
    assert (
        refused(
            world,
            staff,
            "record_self_score",
            {**CARD, "criterion": "1.1", "inputs": {"points": "1"}, "explanation": "x"},
        ).code
        == "key_revoked"
    )
    world.send(
        new,
        "record_self_score",
        {**CARD, "criterion": "1.1", "inputs": {"points": "1"}, "explanation": "x"},
    )
    keyring = world.ledger.keyring()
    assert keyring.keys[staff.key_id].successor == new.key_id
    assert keyring.keys[new.key_id].predecessor == staff.key_id


def test_someone_else_cannot_rotate_a_key(world: World) -> None:
    error = refused(
        world,
        world.keys["staff2"],
        "rotate_key",
        {"key_id": world.keys["staff"].key_id, "new_public_key": SigningKey.generate().public_key},
    )
    assert error.code == "out_of_scope"


# -- units -------------------------------------------------------------------------------


def test_units_register_once_with_an_existing_parent(world: World) -> None:
    assert (
        refused(
            world, world.admin, "register_unit", {"code": "D1", "name": "x", "kind": "district"}
        ).code
        == "unit_exists"
    )
    assert (
        refused(
            world,
            world.admin,
            "register_unit",
            {"code": "C1", "name": "x", "kind": "commune", "parent": "ZZ"},
        ).code
        == "unknown_unit"
    )
    world.send(
        world.admin,
        "register_unit",
        {"code": "C1", "name": "Xã 1", "kind": "commune", "parent": "D1"},
    )
    unit = world.ledger.unit("C1")
    assert unit is not None
    assert (unit.parent, unit.kind, unit.ranking_group) == ("D1", "commune", "commune")
    world.send(
        world.admin,
        "update_unit",
        {
            "code": "C1",
            "name": "Phường 1",
            "kind": "commune",
            "parent": "D1",
            "ranking_group": "ward",
        },
    )
    unit = world.ledger.unit("C1")
    assert unit is not None
    assert (unit.name, unit.ranking_group) == ("Phường 1", "ward")


def test_a_unit_kind_is_a_lowercase_word(world: World) -> None:
    error = refused(world, world.admin, "register_unit", {"code": "X", "name": "x", "kind": "Tỉnh"})
    assert error.field == "command.args.kind"


# -- indicator sets ----------------------------------------------------------------------


def test_a_set_version_can_be_revised_until_a_campaign_uses_it(world: World) -> None:
    draft = {**copy.deepcopy(SMALL_SET), "version": 2}
    world.send(world.admin, "define_indicator_set", draft)
    draft["title"] = "Bộ chỉ số thử (sửa)"
    receipt = world.send(world.admin, "define_indicator_set", draft)
    assert receipt.event_type == "IndicatorSetRevised"
    indicator_set = world.ledger.indicator_set("T-SET", 2)
    assert indicator_set is not None
    assert indicator_set.tree.title == "Bộ chỉ số thử (sửa)"


def test_a_set_version_used_by_a_campaign_is_frozen(world: World) -> None:
    changed = {**copy.deepcopy(SMALL_SET), "title": "changed"}
    error = refused(world, world.admin, "define_indicator_set", changed)
    assert error.code == "indicator_set_frozen"
    assert "version 2" in error.message
    indicator_set = world.ledger.indicator_set("T-SET", 1)
    assert indicator_set is not None
    assert indicator_set.frozen_by == ["C2023"]


def test_an_invalid_set_is_refused_with_every_problem(world: World) -> None:
    bad = copy.deepcopy(SMALL_SET)
    bad["version"] = 3
    bad["nodes"][1]["max_points"] = "5"
    bad["nodes"].append(
        {
            "code": "9.1",
            "level": "criterion",
            "title": "orphan",
            "max_points": "1",
            "score_source": "appraisal",
        }
    )
    error = refused(world, world.admin, "define_indicator_set", bad)
    assert error.code == "invalid_indicator_set"
    assert "1: its children 1.1, 1.2 sum to 7" in error.message
    assert "9.1: orphan" in error.message


# -- campaigns ---------------------------------------------------------------------------


def test_a_campaign_opens_a_scorecard_for_each_unit(world: World) -> None:
    campaign = world.ledger.campaign("C2023")
    assert campaign is not None
    assert campaign.units == ["D1", "D2", "S1"]
    assert campaign.schedule is not None
    assert campaign.schedule.local("self_assessment_closes").utcoffset() == timedelta(hours=7)
    for unit, kind in (("D1", "district"), ("S1", "department")):
        card = world.ledger.scorecard("C2023", unit)
        assert card is not None
        assert (card.unit_kind, card.indicator_set, card.submitted_at) == (kind, "T-SET", None)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"code": "C2023"}, "campaign_exists"),
        ({"units": ["D1", "NOPE"]}, "unknown_unit"),
        ({"units": ["D1", "D1"]}, "invalid_input"),
        ({"indicator_set_version": 9}, "not_found"),
        ({"timezone": "Mars/Olympus"}, "invalid_input"),
    ],
)
def test_campaign_refusals(world: World, change: dict[str, object], code: str) -> None:
    args = {
        "code": "C2024",
        "year": 2024,
        "title": "2024",
        "indicator_set": "T-SET",
        "indicator_set_version": 1,
        "units": ["D1"],
        "schedule": schedule(),
        **change,
    }
    assert refused(world, world.admin, "create_campaign", args).code == code


def test_a_schedule_must_run_forwards(world: World) -> None:
    backwards = schedule()
    backwards["explanation_closes"] = backwards["self_assessment_opens"]
    error = refused(
        world,
        world.admin,
        "create_campaign",
        {
            "code": "C2024",
            "year": 2024,
            "title": "2024",
            "indicator_set": "T-SET",
            "indicator_set_version": 1,
            "units": ["D1"],
            "schedule": backwards,
        },
    )
    assert error.field == "command.args.schedule.explanation_closes"


# -- scorecards --------------------------------------------------------------------------


def test_staff_record_self_scores_and_evidence_then_the_head_submits(world: World) -> None:
    staff, head = world.keys["staff"], world.keys["head"]
    world.send(
        staff,
        "record_self_score",
        {**CARD, "criterion": "1.1", "inputs": {"points": "0.75"}, "note": "đạt một phần"},
    )
    stored = world.ledger.evidence.put_bytes(b"%PDF-1.4 minh chung")
    world.send(
        staff,
        "attach_evidence",
        {
            **CARD,
            "criterion": "1.1",
            "sha256": stored.sha256,
            "size": stored.size,
            "file_name": "bc.pdf",
            "media_type": "application/pdf",
        },
    )
    world.send(
        staff,
        "record_self_score",
        {
            **CARD,
            "criterion": "1.2",
            "inputs": {"points": "2"},
            "explanation": "Không có văn bản; số liệu từ phần mềm",
        },
    )
    receipt = world.send(head, "submit_self_assessment", CARD)
    assert receipt.event_type == "SelfAssessmentSubmitted"
    card = world.ledger.scorecard("C2023", "D1")
    assert card is not None
    assert card.submitted_by == head.key_id
    assert str(card.entries["1.1"].self_points) == "0.75"
    assert list(card.entries["1.1"].evidence) == [stored.sha256]
    for command_type, args in (
        (
            "record_self_score",
            {**CARD, "criterion": "1.1", "inputs": {"points": "1"}, "explanation": "x"},
        ),
        ("remove_evidence", {**CARD, "criterion": "1.1", "sha256": stored.sha256}),
    ):
        assert refused(world, staff, command_type, args).code == "already_submitted"
    assert refused(world, head, "submit_self_assessment", CARD).code == "already_submitted"


def test_a_self_score_without_evidence_needs_an_explanation_to_submit(world: World) -> None:
    world.send(
        world.keys["staff"],
        "record_self_score",
        {**CARD, "criterion": "1.1", "inputs": {"points": "1"}},
    )
    error = refused(world, world.keys["head"], "submit_self_assessment", CARD)
    assert error.code == "unsupported_self_score"
    assert "1.1" in error.message


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"criterion": "1.1", "inputs": {"points": "1.5"}}, "above_maximum"),
        ({"criterion": "1.1", "inputs": {"points": "0.125"}}, "invalid_input"),
        ({"criterion": "2.1", "inputs": {"points": "1"}}, "not_self_assessed"),
        ({"criterion": "1", "inputs": {"points": "1"}}, "not_a_leaf"),
        ({"criterion": "7.7", "inputs": {"points": "1"}}, "unknown_criterion"),
        ({"criterion": "1.1", "inputs": {"points": "-1"}}, "invalid_input"),
        ({"criterion": "1.1", "inputs": {"points": 1}}, "invalid_input"),
    ],
)
def test_self_score_refusals(world: World, args: dict[str, object], code: str) -> None:
    error = refused(world, world.keys["staff"], "record_self_score", {**CARD, **args})
    assert error.code == code


def test_a_leaf_that_does_not_apply_to_the_unit_kind_is_refused(world: World) -> None:
    s1 = world.enrol("s1-staff", [{"role": "unit_staff", "scope": ["S1"]}])
    error = refused(
        world,
        s1,
        "record_self_score",
        {"campaign": "C2023", "unit": "S1", "criterion": "1.2", "inputs": {"points": "1"}},
    )
    assert error.code == "not_applicable"


def test_staff_act_only_for_their_own_unit(world: World) -> None:
    error = refused(
        world,
        world.keys["staff2"],
        "record_self_score",
        {**CARD, "criterion": "1.1", "inputs": {"points": "1"}},
    )
    assert error.code == "out_of_scope"
    assert (
        refused(world, world.keys["staff"], "submit_self_assessment", CARD).code == "out_of_scope"
    )


def test_evidence_must_be_uploaded_with_the_stated_size(world: World) -> None:
    staff = world.keys["staff"]
    missing = refused(
        world,
        staff,
        "attach_evidence",
        {
            **CARD,
            "criterion": "1.1",
            "sha256": "ab" * 32,
            "size": 3,
            "file_name": "x.pdf",
            "media_type": "application/pdf",
        },
    )
    assert missing.code == "evidence_missing"
    stored = world.ledger.evidence.put_bytes(b"%PDF-1.4 abc")
    wrong = refused(
        world,
        staff,
        "attach_evidence",
        {
            **CARD,
            "criterion": "1.1",
            "sha256": stored.sha256,
            "size": 4000,
            "file_name": "x.pdf",
            "media_type": "application/pdf",
        },
    )
    assert wrong.code == "evidence_size_mismatch"
    attach = {
        **CARD,
        "criterion": "1.1",
        "sha256": stored.sha256,
        "size": stored.size,
        "file_name": "x.pdf",
        "media_type": "application/pdf",
    }
    world.send(staff, "attach_evidence", attach)
    assert refused(world, staff, "attach_evidence", attach).code == "evidence_exists"
    world.send(
        staff,
        "remove_evidence",
        {**CARD, "criterion": "1.1", "sha256": stored.sha256, "reason": "nhầm tệp"},
    )
    assert (
        refused(
            world, staff, "remove_evidence", {**CARD, "criterion": "1.1", "sha256": stored.sha256}
        ).code
        == "evidence_not_attached"
    )


def test_the_survey_body_records_survey_scores(world: World) -> None:
    survey = world.keys["survey"]
    args = {
        **CARD,
        "criterion": "2.1",
        "points": "1.6",
        "source": "survey",
        "source_document": "Báo cáo điều tra XHH 2023",
    }
    world.send(survey, "record_external_score", args)
    card = world.ledger.scorecard("C2023", "D1")
    assert card is not None
    assert str(card.entries["2.1"].external_points) == "1.6"
    assert (
        refused(world, survey, "record_external_score", {**args, "source": "sipas"}).code
        == "source_mismatch"
    )
    assert refused(world, world.keys["staff"], "record_external_score", args).code == "out_of_scope"


def test_a_unit_outside_the_campaign_has_no_scorecard(world: World) -> None:
    world.send(world.admin, "register_unit", {"code": "D9", "name": "D9", "kind": "district"})
    d9 = world.enrol("d9", [{"role": "unit_staff", "scope": ["D9"]}])
    error = refused(
        world,
        d9,
        "record_self_score",
        {"campaign": "C2023", "unit": "D9", "criterion": "1.1", "inputs": {"points": "1"}},
    )
    assert error.code == "unknown_scorecard"


# -- signed commands: replay, nonce, clock, ledger ---------------------------------------


def test_a_command_sent_twice_records_once_and_answers_the_same(world: World) -> None:
    command = world.command(
        world.keys["staff"],
        "record_self_score",
        {**CARD, "criterion": "1.1", "inputs": {"points": "1"}, "explanation": "x"},
    )
    first = world.ledger.execute(command.envelope())
    events = count_events(world)
    world.clock.advance(timedelta(hours=2))
    second = world.ledger.execute(command.envelope())
    assert second == first
    assert count_events(world) == events


def test_a_replayed_command_answers_the_same_even_after_later_acts(world: World) -> None:
    staff, head = world.keys["staff"], world.keys["head"]
    command = world.command(
        staff,
        "record_self_score",
        {**CARD, "criterion": "1.1", "inputs": {"points": "1"}, "explanation": "x"},
    )
    first = world.ledger.execute(command)
    world.send(head, "submit_self_assessment", CARD)
    assert world.ledger.execute(command) == first


def test_a_nonce_is_used_once(world: World) -> None:
    staff = world.keys["staff"]
    nonce = "n" * 32
    world.ledger.execute(
        world.command(
            staff,
            "record_self_score",
            {**CARD, "criterion": "1.1", "inputs": {"points": "1"}, "explanation": "x"},
            nonce=nonce,
        )
    )
    with pytest.raises(LedgerError) as caught:
        world.ledger.execute(
            world.command(
                staff,
                "record_self_score",
                {**CARD, "criterion": "1.1", "inputs": {"points": "0.5"}, "explanation": "x"},
                nonce=nonce,
            )
        )
    assert caught.value.code == "nonce_reused"


def test_a_command_from_a_skewed_clock_is_refused(world: World) -> None:
    command = world.command(
        world.keys["staff"],
        "record_self_score",
        {**CARD, "criterion": "1.1", "inputs": {"points": "1"}},
    )
    world.clock.advance(timedelta(minutes=30))
    with pytest.raises(LedgerError) as caught:
        world.ledger.execute(command)
    assert caught.value.code == "clock_skew"


def test_a_forged_signature_is_refused(world: World) -> None:
    real = world.command(
        world.keys["staff"],
        "record_self_score",
        {**CARD, "criterion": "1.1", "inputs": {"points": "1"}},
    )
    forged = SignedCommand(
        {**real.payload, "args": {**real.args, "inputs": {"points": "0.5"}}}, real.signature
    )
    with pytest.raises(LedgerError) as caught:
        world.ledger.execute(forged)
    assert caught.value.code == "bad_signature"


def test_a_command_for_another_ledger_is_refused(world: World) -> None:
    staff = world.keys["staff"]
    from ledger.core.envelope import sign_command

    other = sign_command(
        staff,
        ledger="another-province",
        type="record_self_score",
        args={**CARD, "criterion": "1.1", "inputs": {"points": "1"}},
        issued_at=world.clock.now(),
    )
    with pytest.raises(LedgerError) as caught:
        world.ledger.execute(other)
    assert caught.value.code == "wrong_ledger"


def test_people_cannot_send_the_ledgers_own_commands(world: World) -> None:
    error = refused(
        world,
        world.admin,
        "open_scorecard",
        {
            "campaign": "C2023",
            "unit": "D1",
            "unit_kind": "district",
            "indicator_set": "T-SET",
            "indicator_set_version": 1,
        },
    )
    assert error.code == "system_command"


def test_the_ledger_is_initialised_once(world: World) -> None:
    error = refused(
        world,
        world.admin,
        "init_ledger",
        {
            "administrator": {"public_key": world.admin.public_key, "name": "again"},
            "server": {"public_key": world.server.public_key, "name": "again"},
        },
    )
    assert error.code == "already_initialised"


def test_everything_recorded_verifies(world: World) -> None:
    world.send(
        world.keys["staff"],
        "record_self_score",
        {**CARD, "criterion": "1.1", "inputs": {"points": "1"}, "explanation": "x"},
    )
    report = verify_events(stored_events(world.ledger))
    assert report.ok, report.problems
    assert report.events == count_events(world)


def test_evidence_goes_only_on_self_assessed_leaves(world: World) -> None:
    stored = world.ledger.evidence.put_bytes(b"%PDF-1.4 survey")
    error = refused(
        world,
        world.keys["staff"],
        "attach_evidence",
        {
            **CARD,
            "criterion": "2.1",
            "sha256": stored.sha256,
            "size": stored.size,
            "file_name": "x.pdf",
            "media_type": "application/pdf",
        },
    )
    assert error.code == "not_self_assessed"


def test_evidence_is_checked_by_content_not_by_name(world: World) -> None:
    staff = world.keys["staff"]
    text = world.ledger.evidence.put_bytes(b"plain text pretending to be a PDF")
    base = {**CARD, "criterion": "1.1", "size": 0, "file_name": "bc.pdf"}
    error = refused(
        world,
        staff,
        "attach_evidence",
        {**base, "sha256": text.sha256, "size": text.size, "media_type": "application/pdf"},
    )
    assert error.code == "unsupported_media_type"
    png = world.ledger.evidence.put_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 32)
    error = refused(
        world,
        staff,
        "attach_evidence",
        {**base, "sha256": png.sha256, "size": png.size, "media_type": "application/pdf"},
    )
    assert error.code == "evidence_media_type_mismatch"
