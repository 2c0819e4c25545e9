"""Every level runs its own cycle: the province's campaign and a district's commune campaign
side by side on one ledger, on both stores. For every command type acting in a campaign, a
key of the right role but of a sibling district, of the wrong year, appointed to another
campaign, or of a unit below (upward) or a parent unit (where the rule is the unit itself)
is refused with a problem naming the scope it holds and the scope needed, and nothing is
recorded; the right key is accepted (docs/FORMATS.md §6)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
import pytest

from ledger.application.service import stored_events
from ledger.application.survey_import import batch_args, check_answer_bytes
from ledger.audit.bundle_verifier import verify_bundle
from ledger.audit.event_checks import verify_events
from ledger.core.canonical import canonical_bytes
from ledger.core.errors import AuthorizationError, LedgerError
from ledger.core.ids import survey_id
from ledger.domain.commands import COMMANDS
from ledger.domain.keyring import SYSTEM_ROLE
from projections.publication.bundling import build_bundle
from tests.integration.test_bundle_forgery import Forger
from tests.two_levels import CAMPAIGNS, build_units_and_keys, campaign_args
from tests.world import PDF, START, World, forge_self_score, reviewed

# what a refused key holds, as the refusal names it
HELD = {
    "sec_D1": "secretariat of authority D1",
    "sec_D2": "secretariat of authority D2",
    "sec_D1_2024": "secretariat of authority D1 in 2024",
    "survey_D1": "survey_body of authority D1",
    "survey_D2": "survey_body of authority D2",
    "survey_D1_2024": "survey_body of authority D1 in 2024",
    "pub_D1": "publisher of authority D1",
    "pub_D2": "publisher of authority D2",
    "pub_D1_2024": "publisher of authority D1 in 2024",
    "council_a": "appraiser for criteria 1 of authority D1 in 2023",
    "council_D2": "appraiser for criteria 1 of authority D2 in 2023",
    "council_D1_2024": "appraiser for criteria 1 of authority D1 in 2024",
    "council_D1_camp2024": "appraiser for criteria 1 in campaign(s) D1-2024",
    "staff_X1": "unit_staff for unit X1",
    "staff_X2": "unit_staff for unit X2",
    "staff_D1": "unit_staff for unit D1",
    "head_X2": "unit_head for unit X2",
    "head_D1": "unit_head for unit D1",
}
# the commands about the whole ledger: the role alone decides (tests/e2e/test_http_matrix.py)
LEDGER_WIDE = {
    "init_ledger",
    "enrol_key",
    "appoint_key",
    "end_appointment",
    "revoke_key",
    "rotate_key",
    "register_unit",
    "update_unit",
    "define_indicator_set",
}


@dataclass
class Step:
    day: int
    command: str
    # the arguments, or what makes them from the ledger as it stands when the step runs
    args: dict[str, Any] | Callable[[World], dict[str, Any]]
    right: str | None
    wrong: dict[str, str] = field(default_factory=dict)


def card(campaign: str, unit: str, **more: Any) -> dict[str, Any]:
    return {"campaign": campaign, "unit": unit, **more}


D1 = "D1-2023"
SIBLING, YEAR, CAMPAIGN, UPWARD, PARENT = (
    "sibling district",
    "wrong year",
    "wrong campaign",
    "unit below the owner (upward)",
    "parent unit",
)
SECRETARIAT_WRONG = {SIBLING: "sec_D2", YEAR: "sec_D1_2024"}
COUNCIL_WRONG = {SIBLING: "council_D2", YEAR: "council_D1_2024", CAMPAIGN: "council_D1_camp2024"}
EXTERNAL = {"criterion": "2.1", "points": "1.5", "source": "survey", "source_document": "XHH"}
SURVEY_WRONG = {SIBLING: "survey_D2", YEAR: "survey_D1_2024"}
# the district's sociological survey of its communes, scoring criterion 2.1 of D1-2023
SURVEY: dict[str, Any] = {
    "code": "D1-2023-XHH",
    "campaign": D1,
    "kind": "par_survey",
    "method": "par-survey-default-1",
    "title": "Điều tra xã hội học cấp xã 2023",
    "units": ["X1", "X2"],
    "respondent_groups": [{"code": "ND", "title": "Người dân"}],
    "questions": [{"code": "Q1", "text": "Câu 1", "criterion": "2.1"}],
}
ANSWERS = b"respondent,unit,question,answer,group\nR1,X1,Q1,A,ND\nR2,X2,Q1,B,ND\n"


def survey_batch(world: World) -> dict[str, Any]:
    survey = world.ledger.aggregate(survey_id(SURVEY["code"]))
    checked = check_answer_bytes(ANSWERS, "xhh.csv", survey.definition)
    assert checked.ok, checked.tally.errors
    return batch_args(survey, checked)


def steps(evidence: dict[str, Any]) -> list[Step]:
    attach = {
        "criterion": "1.1",
        "sha256": evidence["sha256"],
        "size": evidence["size"],
        "file_name": "ke-hoach.pdf",
        "media_type": "application/pdf",
    }
    score = {"criterion": "1.1", "inputs": {"points": "0.75"}, "explanation": "Kế hoạch"}
    x1_staff = {SIBLING: "staff_X2", PARENT: "staff_D1"}
    return [
        # day 0: the campaigns are created by their own authority's secretariat
        Step(0, "create_campaign", CAMPAIGNS["P-2023"], "sec_P", {UPWARD: "sec_D1"}),
        Step(0, "create_campaign", CAMPAIGNS[D1], "sec_D1", SECRETARIAT_WRONG),
        Step(0, "create_campaign", CAMPAIGNS["D2-2023"], "sec_D2", {SIBLING: "sec_D1"}),
        Step(0, "create_campaign", CAMPAIGNS["D1-2024"], "sec_D1_2024", {SIBLING: "sec_D2"}),
        # self-assessment
        Step(1, "record_self_score", card(D1, "X1", **score), "staff_X1", x1_staff),
        Step(1, "attach_evidence", card(D1, "X1", **attach), "staff_X1", x1_staff),
        Step(
            1,
            "remove_evidence",
            card(D1, "X1", criterion="1.1", sha256=evidence["sha256"], reason="Nhầm"),
            "staff_X1",
            x1_staff,
        ),
        Step(1, "attach_evidence", card(D1, "X1", **attach), "staff_X1"),
        Step(1, "submit_self_assessment", card(D1, "X1"), "head_X1", {SIBLING: "head_X2"}),
        Step(1, "record_self_score", card(D1, "X2", **score), "staff_X2"),
        Step(1, "submit_self_assessment", card(D1, "X2"), "head_X2", {PARENT: "head_D1"}),
        Step(1, "record_self_score", card("P-2023", "D1", **score), "staff_D1"),
        Step(1, "submit_self_assessment", card("P-2023", "D1"), "head_D1"),
        Step(
            1,
            "record_external_score",
            card(D1, "X1", **EXTERNAL),
            "survey_D1",
            {SIBLING: "survey_D2", YEAR: "survey_D1_2024"},
        ),
        Step(
            1,
            "record_external_score",
            card("P-2023", "D1", **EXTERNAL),
            "survey_P",
            {UPWARD: "survey_D1"},
        ),
        Step(
            1,
            "record_adjustment",
            card(D1, "X1", code="T1", points="0.5", reason="Sáng kiến"),
            "sec_D1",
            SECRETARIAT_WRONG,
        ),
        Step(
            1,
            "record_adjustment",
            card("P-2023", "D1", code="T1", points="0.5", reason="Sáng kiến"),
            "sec_P",
            {UPWARD: "sec_D1"},
        ),
        Step(
            1,
            "record_targets",
            card(D1, "X1", year=2024, targets={"1.1": "1"}),
            "sec_D1",
            {**SECRETARIAT_WRONG, "another unit's head": "head_X2"},
        ),
        Step(1, "record_targets", card(D1, "X1", year=2024, targets={"1.1": "1"}), "head_X1"),
        # the district's survey body defines its survey and imports the answers; the
        # province's reaches it too (downward), a sibling's or another year's does not
        Step(1, "define_survey", SURVEY, "survey_D1", SURVEY_WRONG),
        Step(1, "import_survey_batch", survey_batch, "survey_D1", SURVEY_WRONG),
        # preliminary appraisal
        Step(
            31,
            "record_appraisal",
            card(D1, "X1", criterion="1.1", inputs={"points": "0.5"}, reason="Chậm"),
            "council_a",
            COUNCIL_WRONG,
        ),
        Step(
            31,
            "record_appraisal",
            card("P-2023", "D1", criterion="1.1", inputs={"points": "0.5"}, reason="Chậm"),
            "council_P",
            {UPWARD: "council_a"},
        ),
        Step(
            31,
            "record_appraisal",
            card(D1, "X2", criterion="1.1", inputs={"points": "0.25"}, reason="Thiếu"),
            "council_b",
        ),
        Step(
            31,
            "request_explanation",
            card(D1, "X2", criterion="1.1", note="Làm rõ"),
            "council_b",
            COUNCIL_WRONG,
        ),
        # explanation round
        Step(
            46,
            "submit_explanation",
            card(D1, "X2", criterion="1.1", explanation="QĐ 12"),
            "staff_X2",
            {SIBLING: "staff_X1", PARENT: "staff_D1"},
        ),
        # final appraisal
        Step(
            53,
            "record_final_appraisal",
            card(D1, "X1", criterion="1.1", decision="confirm", reason="Giữ nguyên"),
            "council_a",
            COUNCIL_WRONG,
        ),
        Step(
            53,
            "record_final_appraisal",
            card(D1, "X2", criterion="1.1", decision="confirm", reason="Giữ nguyên"),
            "council_b",
        ),
        # closing: the province's survey body reaches the district's campaign (downward)
        Step(61, "record_external_score", card(D1, "X2", **EXTERNAL), "survey_P"),
        Step(61, "accept_self_scores", card(D1, "X1"), "sec_D1", SECRETARIAT_WRONG),
        Step(61, "accept_self_scores", card(D1, "X2"), "sec_D1"),
        Step(61, "finalise_campaign", {"campaign": D1}, "sec_D1", SECRETARIAT_WRONG),
        Step(61, "finalise_campaign", {"campaign": "P-2023"}, None, {UPWARD: "sec_D1"}),
        Step(
            61,
            "correct_score",
            card(D1, "X1", criterion="1.1", points="1", reason="Sai sót tổng hợp"),
            "sec_D1",
            SECRETARIAT_WRONG,
        ),
    ]


def position(world: World) -> int:
    return int(world.ledger.recorder.max_notification_id() or 0)


def refused(world: World, name: str, command: str, args: dict[str, Any]) -> AuthorizationError:
    before = position(world)
    with pytest.raises(AuthorizationError) as caught:
        world.send(world.keys[name], command, args)
    assert position(world) == before, "a refusal recorded something"
    assert caught.value.code == "out_of_scope", caught.value
    return caught.value


def needed(command: str, args: dict[str, Any]) -> str:
    """The scope a refusal must name as needed."""
    code = args.get("code") if command == "create_campaign" else args.get("campaign", D1)
    owner, year = CAMPAIGNS[code]["owner"], CAMPAIGNS[code]["year"]
    if COMMANDS[command].scope == "unit" and command != "record_targets":
        return f"for unit {args['unit']}"
    return f"campaign {code} (run by {owner}, {year}): a grant of authority {owner}"


@pytest.fixture
def two(world: World) -> World:
    world.keys.update(
        build_units_and_keys(world.send, world.enrol, world.admin, registered=("D1", "D2", "S1"))
    )
    return world


def test_two_levels_run_their_cycles_and_every_out_of_scope_key_is_refused(two: World) -> None:
    world = two
    stored = world.ledger.evidence.put_bytes(PDF)
    evidence = {"sha256": stored.sha256, "size": stored.size}
    matrix = steps(evidence)
    tried: set[str] = set()
    for step in matrix:
        world.clock.set(START + timedelta(days=step.day, hours=1))
        args = step.args(world) if callable(step.args) else step.args
        for dimension, name in step.wrong.items():
            error = refused(world, name, step.command, args)
            context = f"{step.command} by {name} ({dimension})"
            assert needed(step.command, args) in error.message, (context, error.message)
            assert f"holds {HELD[name]}" in error.message, (context, error.message)
            tried.add(step.command)
        if step.right is not None:
            world.send(world.keys[step.right], step.command, args)
    # the publisher of the district publishes the commune results; others may not
    publish = {"campaign": D1, "table_sha256": reviewed(world, D1)}
    for name in ("pub_D2", "pub_D1_2024"):
        assert (
            needed("publish_results", publish)
            in refused(world, name, "publish_results", publish).message
        )
    refused(world, "pub_D1", "publish_results", {"campaign": "P-2023", "table_sha256": "0" * 64})
    world.send(world.keys["pub_D1"], "publish_results", publish)
    tried.add("publish_results")

    acting = {t for t, spec in COMMANDS.items() if SYSTEM_ROLE not in spec.roles}
    assert tried == acting - LEDGER_WIDE
    district = world.ledger.campaign(D1)
    assert district is not None
    assert district.owner == "D1"
    assert district.finalised_at is not None
    assert len(district.publications) == 1
    # the whole log verifies, and so does the district's bundle, offline
    assert verify_events(stored_events(world.ledger)).ok
    bundle = build_bundle(world.publishing, D1)
    log_key = world.publishing.checkpoints.signer.verifier().to_string()
    report = verify_bundle(bundle, log_key, workers=1)
    assert report.ok, report.problems


def test_a_grant_for_the_whole_ledger_keeps_its_meaning(two: World) -> None:
    """The keys of tests.world were enrolled without an authority: they reach every
    campaign, the ones with an owner included; a campaign without an owner is reached by
    no scoped grant."""
    world = two
    for code in ("D2-2023",):
        world.send(world.keys["sec_D2"], "create_campaign", CAMPAIGNS[code])
    world.clock.set(START + timedelta(days=1))
    world.send(world.keys["survey"], "record_external_score", card("D2-2023", "X3", **EXTERNAL))
    error = refused(world, "survey_D1", "record_external_score", card("C2023", "D1", **EXTERNAL))
    assert "which only a grant for the whole ledger reaches" in error.message


def test_a_campaign_scores_only_units_under_its_owner(two: World) -> None:
    world = two
    args = campaign_args("D1-BAD", "D1", 2023, ["X1", "X3"])
    with pytest.raises(LedgerError) as caught:
        world.send(world.keys["sec_D1"], "create_campaign", args)
    assert caught.value.code == "outside_authority"
    assert "X3" in caught.value.message
    own = campaign_args("D1-OWN", "D1", 2023, ["D1"])
    with pytest.raises(LedgerError) as caught:
        world.send(world.keys["sec_D1"], "create_campaign", own)
    assert caught.value.code == "outside_authority"
    scoped_grant = [{"role": "secretariat", "authority": "NOWHERE"}]
    with pytest.raises(LedgerError) as caught:
        world.enrol("nowhere", scoped_grant)
    assert caught.value.code == "unknown_unit"


def test_an_appointment_ended_at_p_signs_nothing_after_p(two: World) -> None:
    world = two
    world.send(world.keys["sec_D1"], "create_campaign", CAMPAIGNS[D1])
    world.clock.set(START + timedelta(days=1))
    score = card(D1, "X1", criterion="1.1", inputs={"points": "0.5"}, explanation="KH")
    staff = world.keys["staff_X1"]
    world.send(staff, "record_self_score", score)
    ended = world.send(
        world.admin,
        "end_appointment",
        {"key_id": staff.key_id, "appointment": 0, "reason": "Chuyển công tác"},
    )
    error = refused(world, "staff_X1", "record_self_score", {**score, "inputs": {"points": "1"}})
    assert "holds unit_staff for unit X1 (ended: Chuyển công tác)" in error.message
    with pytest.raises(LedgerError) as caught:
        world.send(
            world.admin,
            "end_appointment",
            {"key_id": staff.key_id, "appointment": 0, "reason": "again"},
        )
    assert caught.value.code == "appointment_ended"
    # appointed again, to another unit: the key signs for that unit only
    world.send(
        world.admin,
        "appoint_key",
        {"key_id": staff.key_id, "roles": [{"role": "unit_staff", "scope": ["X2"]}]},
    )
    world.send(staff, "record_self_score", {**score, "unit": "X2"})
    # a writer that bypasses the checks records a score signed after the end: the
    # verifier names it, and only it
    forged = world.command(staff, "record_self_score", {**score, "inputs": {"points": "1"}})
    forge_self_score(world, forged)
    report = verify_events(stored_events(world.ledger))
    assert len(report.problems) == 1, report.problems
    problem = report.problems[0]
    assert problem.position > ended.position
    assert "needs the role unit_staff for unit X1" in problem.reason
    assert "(ended: Chuyển công tác)" in problem.reason


def test_a_bundle_with_an_event_signed_out_of_scope_is_rejected_offline(world: World) -> None:
    """The operator holds the log key and re-signs everything around the change: a
    secretariat's act re-signed by a real, enrolled secretariat key whose appointment does
    not reach the campaign. The bundle is consistent in every other way; the verifier
    judges the signer's scope as the log stood and names the event."""
    district = world.enrol("district secretariat", [{"role": "secretariat", "authority": "D2"}])
    forger = Forger(world)
    bundle = forger.copy()
    index = forger.index_of(bundle, "SelfScoresAccepted", unit="D1")
    leaf = orjson.loads(bundle.leaves[index])
    args = leaf["command"]["command"]["args"]
    leaf["command"] = world.command(district, "accept_self_scores", args).envelope()
    bundle.leaves[index] = canonical_bytes(leaf)
    report = forger.check(forger.seal(bundle))
    assert not report.ok
    text = "\n".join(report.problems)
    assert f"leaf {index} " in text
    assert "accept_self_scores needs the role secretariat in campaign C2023" in text, text
    assert "holds secretariat of authority D2" in text, text


def test_a_batch_for_a_survey_not_defined_belongs_to_no_authority(two: World) -> None:
    """A scoped survey body is refused for its scope (the survey is in no campaign it
    reaches); a survey body for the whole ledger reaches the handler, which names the
    unknown survey."""
    batch = {
        "survey": "NOPE",
        "version": 1,
        "file_sha256": "0" * 64,
        "rows": 0,
        "tallies": {},
        "respondents": {},
    }
    error = refused(two, "survey_D1", "import_survey_batch", batch)
    assert "campaign of survey NOPE (not recorded)" in error.message
    with pytest.raises(LedgerError) as caught:
        two.send(two.keys["survey"], "import_survey_batch", batch)
    assert caught.value.code == "unknown_survey"
