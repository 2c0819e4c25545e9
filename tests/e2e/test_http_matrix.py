"""Every role × every command type over HTTP: a command is accepted exactly where the
rules allow it, and refused with 403 ``out_of_scope`` everywhere else.

Each (role, command type) pair gets its own target — its own unit in a campaign of its
own, its own key, unit code or set code — prepared so that the domain would accept the
command; only the signer's role and scope decide. Campaigns are scheduled so that at the
one moment the matrix runs, each is in the phase its command type needs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from api.bootstrap import open_runtime
from ledger.application.service import stored_events
from ledger.application.survey_import import check_answer_bytes
from ledger.audit.event_checks import verify_events
from ledger.core.clock import ManualClock
from ledger.core.crypto import SigningKey
from ledger.domain.campaign import MILESTONES
from ledger.domain.commands import COMMANDS
from ledger.domain.keyring import ROLES, SCOPED_ROLES, SYSTEM_ROLE
from ledger.domain.survey_definition import SurveyDefinition
from tests.e2e.http_support import (
    PDF,
    Api,
    init_ledger,
    is_problem,
    make_home,
    make_settings,
    running,
)
from tests.world import SMALL_SET, START

NO_SCOPE = "no_matching_scope"
ACTORS = (*ROLES, NO_SCOPE)
UNITS = [f"U{i}" for i in range(len(ACTORS))]
NOW = START + timedelta(days=20)  # when the matrix runs; the world is prepared at START

# who may sign what, as docs/FORMATS.md §5 tells it
DOCUMENTED: dict[str, set[str]] = {
    "enrol_key": {"administrator"},
    "appoint_key": {"administrator"},
    "end_appointment": {"administrator"},
    "revoke_key": {"administrator"},
    "rotate_key": {"administrator"},
    "register_unit": {"administrator"},
    "update_unit": {"administrator"},
    "define_indicator_set": {"administrator", "secretariat"},
    "create_campaign": {"administrator", "secretariat"},
    "finalise_campaign": {"secretariat"},
    "record_self_score": {"unit_staff"},
    "attach_evidence": {"unit_staff"},
    "remove_evidence": {"unit_staff"},
    "submit_self_assessment": {"unit_head"},
    "record_external_score": {"survey_body", "secretariat"},
    "record_appraisal": {"appraiser"},
    "request_explanation": {"appraiser"},
    "submit_explanation": {"unit_staff"},
    "record_final_appraisal": {"appraiser"},
    "accept_self_scores": {"secretariat"},
    "record_adjustment": {"secretariat"},
    "correct_score": {"secretariat"},
    "record_targets": {"unit_head", "secretariat"},
    "publish_results": {"publisher"},
    "define_survey": {"survey_body", "secretariat"},
    "import_survey_batch": {"survey_body"},
}
TYPES = sorted(
    t for t, spec in COMMANDS.items() if t != "init_ledger" and SYSTEM_ROLE not in spec.roles
)

# schedules, in days from START, that put each campaign in a phase at NOW (START + 20)
PHASE_DAYS = {
    "self_assessment": (0, 30, 45, 52, 60),
    "preliminary_appraisal": (0, 10, 30, 40, 50),
    "explanation": (0, 5, 15, 30, 40),
    "final_appraisal": (0, 5, 10, 15, 30),
    "closing": (0, 3, 6, 9, 12),
}
PHASE_OF = {
    "define_survey": "self_assessment",
    "import_survey_batch": "self_assessment",
    "record_self_score": "self_assessment",
    "attach_evidence": "self_assessment",
    "remove_evidence": "self_assessment",
    "submit_self_assessment": "self_assessment",
    "record_external_score": "self_assessment",
    "record_adjustment": "self_assessment",
    "record_targets": "self_assessment",
    "record_appraisal": "preliminary_appraisal",
    "request_explanation": "preliminary_appraisal",
    "submit_explanation": "explanation",
    "record_final_appraisal": "final_appraisal",
    "accept_self_scores": "closing",
    "correct_score": "closing",
}


def schedule_for(phase: str) -> dict[str, str]:
    days = PHASE_DAYS[phase]
    return {
        name: (START + timedelta(days=d)).isoformat()
        for name, d in zip(MILESTONES, days, strict=True)
    }


def may(actor: str, command_type: str) -> bool:
    """The rule under test: the role is in the command's row (scoped actors hold the
    matching scope; the no-scope actor holds scoped roles elsewhere only)."""
    return actor in COMMANDS[command_type].roles


def grants_of(actor: str) -> list[dict[str, Any]]:
    if actor == NO_SCOPE:
        # scoped roles, none of which covers the targets: another unit; appraisal fields
        # that look like 1.1 but do not cover it
        return [
            {"role": "unit_staff", "scope": ["X1"]},
            {"role": "unit_head", "scope": ["X1"]},
            {"role": "appraiser", "scope": ["11", "1.1.1"]},
        ]
    kind = SCOPED_ROLES.get(actor)
    if kind == "unit":
        return [{"role": actor, "scope": UNITS}]
    if kind == "criterion":
        return [{"role": actor, "scope": ["1", "2"]}]
    return [{"role": actor, "scope": []}]


def survey_of(code: str, command_type: str, index: int) -> dict[str, Any]:
    """A survey of actor ``index``'s unit in the campaign of ``command_type``."""
    return {
        "code": code,
        "campaign": campaign_of(command_type),
        "kind": "par_survey",
        "method": "par-survey-default-1",
        "title": "Điều tra xã hội học",
        "units": [UNITS[index]],
        "respondent_groups": [{"code": "ND", "title": "Người dân"}],
        "questions": [{"code": "Q1", "text": "Câu 1", "criterion": "2.1"}],
    }


def batch_of(index: int) -> dict[str, Any]:
    """An answer file for survey SB-``index``, as import_survey_batch signs it."""
    survey = survey_of(f"SB-{index}", "import_survey_batch", index)
    answers = f"respondent,unit,question,answer,group\nR1,{UNITS[index]},Q1,A,ND\n".encode()
    checked = check_answer_bytes(answers, "xhh.csv", SurveyDefinition.model_validate(survey))
    assert checked.ok, checked.tally.errors
    return {
        "survey": survey["code"],
        "version": 1,
        "file_sha256": checked.sha256,
        "rows": checked.tally.rows,
        "tallies": checked.tally.tallies,
        "respondents": checked.tally.respondents,
    }


def campaign_of(command_type: str) -> str:
    return "M-" + command_type


def card(command_type: str, index: int) -> dict[str, str]:
    return {"campaign": campaign_of(command_type), "unit": UNITS[index]}


@dataclass
class Matrix:
    api: Api
    actors: dict[str, SigningKey]
    victims: dict[str, list[SigningKey]]
    evidence: dict[str, Any]


def prepare(api: Api) -> Matrix:
    """The world, prepared at START; the clock is left at NOW."""
    admin = api.admin
    init_ledger(api)
    for code in [*UNITS, "X1"]:
        api.ok(admin, "register_unit", {"code": code, "name": f"Đơn vị {code}", "kind": "district"})
    for i in range(len(ACTORS)):
        api.ok(admin, "register_unit", {"code": f"P{i}", "name": "Sẽ đổi tên", "kind": "district"})
    actors = {actor: api.enrol(f"actor {actor}", grants_of(actor)) for actor in ACTORS}
    staff, head = actors["unit_staff"], actors["unit_head"]
    appraiser, secretariat, survey = (
        actors["appraiser"],
        actors["secretariat"],
        actors["survey_body"],
    )
    victims = {
        purpose: [
            api.enrol(f"{purpose} {i}", [{"role": "inspector", "scope": []}])
            for i in range(len(ACTORS))
        ]
        for purpose in ("revoke_key", "rotate_key", "appoint_key", "end_appointment")
    }
    api.ok(admin, "define_indicator_set", SMALL_SET)

    def campaign(code: str, phase: str, units: list[str], **extra: Any) -> None:
        api.ok(
            admin,
            "create_campaign",
            {
                "code": code,
                "year": 2023,
                "title": code,
                "indicator_set": "T-SET",
                "indicator_set_version": 1,
                "units": units,
                "schedule": schedule_for(phase),
                **extra,
            },
        )

    bonus = [{"code": "T1", "title": "Sáng kiến", "kind": "bonus", "cap": "1"}]
    for command_type, phase in PHASE_OF.items():
        campaign(campaign_of(command_type), phase, UNITS, adjustments=bonus)
    for i in range(len(ACTORS)):
        campaign(f"F-{i}", "closing", [UNITS[i]])
        campaign(f"PUB-{i}", "closing", [UNITS[i]])

    for i in range(len(ACTORS)):
        api.ok(survey, "define_survey", survey_of(f"SB-{i}", "import_survey_batch", i))

    # at START, every campaign is in self-assessment
    evidence = api.upload(staff, PDF)
    attach = {
        "criterion": "1.1",
        "sha256": evidence["sha256"],
        "size": evidence["size"],
        "file_name": "minh-chung.pdf",
        "media_type": evidence["media_type"],
    }
    for i in range(len(ACTORS)):
        api.ok(staff, "attach_evidence", {**card("remove_evidence", i), **attach})
        for command_type in ("record_appraisal", "request_explanation", "accept_self_scores"):
            api.ok(head, "submit_self_assessment", card(command_type, i))
        for command_type in ("submit_explanation", "record_final_appraisal"):
            api.ok(
                staff,
                "record_self_score",
                {
                    **card(command_type, i),
                    "criterion": "1.1",
                    "inputs": {"points": "1"},
                    "explanation": "Đã ban hành",
                },
            )
            api.ok(head, "submit_self_assessment", card(command_type, i))
            api.ok(
                appraiser,
                "record_appraisal",
                {
                    **card(command_type, i),
                    "criterion": "1.1",
                    "inputs": {"points": "0.5"},
                    "reason": "Ban hành muộn",
                },
            )
        for target in (
            card("correct_score", i),
            {"campaign": f"F-{i}", "unit": UNITS[i]},
            {"campaign": f"PUB-{i}", "unit": UNITS[i]},
        ):
            api.ok(head, "submit_self_assessment", target)

    # at NOW: settle and finalise the campaign whose scores get corrected; settle the
    # campaigns the matrix finalises
    api.clock.set(NOW)
    settle = [card("correct_score", i) for i in range(len(ACTORS))]
    settle += [
        {"campaign": f"{prefix}-{i}", "unit": UNITS[i]}
        for i in range(len(ACTORS))
        for prefix in ("F", "PUB")
    ]
    for target in settle:
        api.ok(
            survey,
            "record_external_score",
            {
                **target,
                "criterion": "2.1",
                "points": "1",
                "source": "survey",
                "source_document": "Điều tra XHH",
            },
        )
        api.ok(secretariat, "accept_self_scores", target)
    api.ok(secretariat, "finalise_campaign", {"campaign": campaign_of("correct_score")})
    for i in range(len(ACTORS)):
        api.ok(secretariat, "finalise_campaign", {"campaign": f"PUB-{i}"})
    return Matrix(api, actors, victims, evidence)


def args_for(matrix: Matrix, command_type: str, index: int) -> dict[str, Any]:
    """Arguments the domain accepts, with a target of their own for actor ``index``."""
    target = card(command_type, index)
    builders: dict[str, Callable[[], dict[str, Any]]] = {
        "enrol_key": lambda: {
            "public_key": SigningKey.generate().public_key,
            "name": f"Người mới {index}",
            "roles": [{"role": "inspector", "scope": []}],
        },
        "revoke_key": lambda: {
            "key_id": matrix.victims["revoke_key"][index].key_id,
            "reason": "Nghỉ việc",
        },
        "rotate_key": lambda: {
            "key_id": matrix.victims["rotate_key"][index].key_id,
            "new_public_key": SigningKey.generate().public_key,
            "reason": "Đổi khoá",
        },
        "appoint_key": lambda: {
            "key_id": matrix.victims["appoint_key"][index].key_id,
            "roles": [{"role": "inspector", "scope": []}],
        },
        "end_appointment": lambda: {
            "key_id": matrix.victims["end_appointment"][index].key_id,
            "appointment": 0,
            "reason": "Hết nhiệm kỳ",
        },
        "define_survey": lambda: survey_of(f"SV-{index}", "define_survey", index),
        "import_survey_batch": lambda: batch_of(index),
        "register_unit": lambda: {"code": f"N{index}", "name": "Đơn vị mới", "kind": "district"},
        "update_unit": lambda: {"code": f"P{index}", "name": "Tên mới", "kind": "district"},
        "define_indicator_set": lambda: {**SMALL_SET, "code": f"SET-{index}"},
        "create_campaign": lambda: {
            "code": f"NEW-{index}",
            "year": 2024,
            "title": "Kỳ mới",
            "indicator_set": "T-SET",
            "indicator_set_version": 1,
            "units": [UNITS[index]],
            "schedule": schedule_for("self_assessment"),
        },
        "finalise_campaign": lambda: {"campaign": f"F-{index}"},
        "record_self_score": lambda: {
            **target,
            "criterion": "1.1",
            "inputs": {"points": "1"},
            "explanation": "Có kế hoạch",
        },
        "attach_evidence": lambda: {
            **target,
            "criterion": "1.1",
            "sha256": matrix.evidence["sha256"],
            "size": matrix.evidence["size"],
            "file_name": "minh-chung.pdf",
            "media_type": matrix.evidence["media_type"],
        },
        "remove_evidence": lambda: {
            **target,
            "criterion": "1.1",
            "sha256": matrix.evidence["sha256"],
            "reason": "Nhầm tệp",
        },
        "submit_self_assessment": lambda: dict(target),
        "record_external_score": lambda: {
            **target,
            "criterion": "2.1",
            "points": "1.5",
            "source": "survey",
            "source_document": "Điều tra XHH",
        },
        "record_appraisal": lambda: {**target, "criterion": "1.1", "inputs": {"points": "0"}},
        "request_explanation": lambda: {**target, "criterion": "1.1", "note": "Làm rõ"},
        "submit_explanation": lambda: {**target, "criterion": "1.1", "explanation": "QĐ 12"},
        "record_final_appraisal": lambda: {**target, "criterion": "1.1", "decision": "confirm"},
        "accept_self_scores": lambda: dict(target),
        "record_adjustment": lambda: {**target, "code": "T1", "points": "0.5", "reason": "QĐ"},
        "correct_score": lambda: {
            **target,
            "criterion": "1.1",
            "points": "1",
            "reason": "Sai sót khi tổng hợp",
        },
        "record_targets": lambda: {**target, "year": 2024, "targets": {"1.1": "1"}},
        "publish_results": lambda: {
            "campaign": f"PUB-{index}",
            "table_sha256": matrix.api.read(
                f"/v1/campaigns/PUB-{index}/results/preview", matrix.api.admin
            )["table_sha256"],
        },
    }
    return builders[command_type]()


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    folder = tmp_path_factory.mktemp("matrix")
    home = folder / "home"
    admin, server = make_home(home)
    clock = ManualClock(START)
    settings = make_settings(f"sqlite:///{folder}/ledger.sqlite3", home)
    with running(settings, clock, admin, server) as api:
        yield prepare(api)


def outcome(response: Any) -> str:
    if response.status_code == 201:
        return "accepted"
    assert is_problem(response), response.text
    return f"{response.status_code} {response.json()['code']}"


def test_the_rules_are_the_documented_ones() -> None:
    assert set(TYPES) == set(DOCUMENTED)
    for command_type, roles in DOCUMENTED.items():
        assert set(COMMANDS[command_type].roles) == roles, command_type


@pytest.mark.parametrize("command_type", TYPES)
def test_every_role_is_accepted_exactly_where_allowed(matrix: Matrix, command_type: str) -> None:
    api = matrix.api
    assert api.clock.now() == NOW
    got, expected = {}, {}
    for index, actor in enumerate(ACTORS):
        before = api.position()
        response = api.send(
            matrix.actors[actor], command_type, args_for(matrix, command_type, index)
        )
        got[actor] = outcome(response)
        expected[actor] = "accepted" if may(actor, command_type) else "403 out_of_scope"
        if response.status_code == 201:
            assert response.json()["position"] > before
        else:
            assert api.position() == before
    assert got == expected
    # only the role decided: each refused command, sent by an allowed role, is accepted
    allowed = matrix.actors[min(COMMANDS[command_type].roles)]
    for index, actor in enumerate(ACTORS):
        if not may(actor, command_type):
            response = api.send(allowed, command_type, args_for(matrix, command_type, index))
            assert response.status_code == 201, (actor, response.text)


def test_a_key_holder_may_rotate_their_own_key(matrix: Matrix) -> None:
    """rotate_key is allowed to the administrator, and to the key being rotated."""
    api = matrix.api
    for actor in ACTORS:
        holder = api.enrol(f"holder {actor}", grants_of(actor))
        successor = SigningKey.generate()
        response = api.send(
            holder,
            "rotate_key",
            {"key_id": holder.key_id, "new_public_key": successor.public_key},
        )
        assert response.status_code == 201, (actor, response.text)
        # the rotated key is spent: it can no longer sign, its successor can
        again = api.send(
            holder,
            "rotate_key",
            {"key_id": holder.key_id, "new_public_key": SigningKey.generate().public_key},
        )
        assert again.status_code == 403, again.text
        assert again.json()["code"] == "key_revoked"
        token = api.token(successor)
        assert token


def test_only_the_genesis_key_itself_may_sign_genesis(matrix: Matrix) -> None:
    api = matrix.api
    for actor in ACTORS:
        key = matrix.actors[actor]
        response = api.send(
            key,
            "init_ledger",
            {
                "administrator": {"public_key": key.public_key, "name": "Kẻ lạ"},
                "server": {"public_key": SigningKey.generate().public_key, "name": "x"},
            },
        )
        assert outcome(response) == "409 already_initialised", actor


def test_the_matrix_ledger_verifies(matrix: Matrix) -> None:
    ledger = open_runtime(
        matrix.api.client.app.state.service.settings, clock=matrix.api.clock, project=False
    ).ledger
    try:
        report = verify_events(stored_events(ledger))
    finally:
        ledger.close()
    assert report.ok, report.problems
    assert report.events == matrix.api.position()
