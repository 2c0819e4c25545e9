"""A survey end to end on both stores: defined, an answer file imported as one signed batch
of tallies whose points reach the scorecards, the same file refused a second time, a
corrected file superseding it, the published bundle verifying with the results recomputed,
tampering found, and no respondent id anywhere public."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from ledger.application.survey_import import batch_args, check_answer_file, recorded_batch
from ledger.application.world import LedgerWorld
from ledger.audit.bundle_format import encode_bundle
from ledger.audit.bundle_verifier import verify_bundle
from ledger.core.canonical import canonical_bytes
from ledger.core.errors import AuthorizationError, DomainError, ValidationError
from ledger.core.ids import survey_id
from ledger.domain.survey import Survey
from ledger.domain.survey_acts import flow_points
from projections.publication.bundling import build_bundle
from projections.read_models.survey_view import survey_document
from tests.world import START, World, reviewed

RESPONDENT = "RESP-7F3A"
DEFINITION: dict[str, Any] = {
    "code": "C2023-DTXH",
    "campaign": "C2023",
    "kind": "par_survey",
    "method": "par-survey-default-1",
    "title": "Điều tra xã hội học 2023",
    "units": ["D1", "D2", "S1"],
    "respondent_groups": [
        {"code": "DB", "title": "Đại biểu HĐND", "sample_size": 2},
        {"code": "DN", "title": "Doanh nghiệp"},
    ],
    "questions": [
        {"code": "Q1", "text": "Câu 1", "criterion": "2.1"},
        {"code": "Q2", "text": "Câu 2", "criterion": "2.1", "groups": ["DN"]},
    ],
}


def answers(path: Path, q1: str = "A") -> Path:
    lines = ["respondent,unit,question,answer,group"]
    for unit in ("D1", "D2", "S1"):
        lines += [
            f"{RESPONDENT}-{unit}-1,{unit},Q1,{q1},DB",
            f"{RESPONDENT}-{unit}-2,{unit},Q1,C,DN",
            f"{RESPONDENT}-{unit}-2,{unit},Q2,B,DN",
            f"{RESPONDENT}-{unit}-3,{unit},Q2,E,DN",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def survey(world: World) -> Survey:
    found = world.ledger.aggregate(survey_id(DEFINITION["code"]))
    assert isinstance(found, Survey)
    return found


def import_file(world: World, path: Path, **options: str) -> None:
    checked = check_answer_file(path, survey(world).definition)
    assert checked.ok, checked.tally.errors
    world.send(
        world.keys["survey"], "import_survey_batch", batch_args(survey(world), checked, **options)
    )


def points(world: World, unit: str) -> str:
    card = world.ledger.scorecard("C2023", unit)
    assert card is not None
    return str(card.entries["2.1"].external_points)


def test_a_survey_batch_scores_the_cards_once_and_a_correction_supersedes_it(
    world: World, tmp_path: Path
) -> None:
    world.send(world.keys["survey"], "define_survey", DEFINITION)
    first = answers(tmp_path / "a.csv")
    import_file(world, first)
    # Q1: A, C → 60; Q2: B (E not counted) → 60; 2.1 = 60 % of 2 points
    assert points(world, "D1") == "1.20"
    found = survey(world).results["units"]["D1"]
    assert found["questions"] == {"Q1": "60.00", "Q2": "60.00"}
    assert found["groups"]["DB"]["questions"] == {"Q1": "100.00"}

    position = world.ledger.recorder.max_notification_id()
    with pytest.raises(DomainError, match="already imported"):
        import_file(world, first)
    assert world.ledger.recorder.max_notification_id() == position

    with pytest.raises(DomainError, match="frozen"):
        world.send(world.keys["survey"], "define_survey", {**DEFINITION, "version": 2})

    corrected = answers(tmp_path / "b.csv", q1="B")
    digest = survey(world).order[0]
    with pytest.raises(DomainError, match="says why"):
        import_file(world, corrected, supersedes=digest)
    import_file(world, corrected, supersedes=digest, reason="phiếu nhập sai")
    assert points(world, "D1") == "1.00"
    assert survey(world).batches[digest].superseded_by is not None

    checked = check_answer_file(first, survey(world).definition)
    assert recorded_batch(survey(world), checked).superseded_by is not None
    tampered = answers(tmp_path / "c.csv", q1="D")
    with pytest.raises(ValidationError, match="no recorded batch"):
        recorded_batch(survey(world), check_answer_file(tampered, survey(world).definition))


def _publish(world: World) -> None:
    keys = dict(world.keys)
    for role in ("secretariat", "publisher"):
        keys[role] = keys.get(role) or world.enrol(role, [{"role": role, "scope": []}])
    world.clock.set(START + timedelta(days=61))
    for unit in ("D1", "D2", "S1"):
        world.send(keys["secretariat"], "accept_self_scores", {"campaign": "C2023", "unit": unit})
    world.send(keys["secretariat"], "finalise_campaign", {"campaign": "C2023"})
    world.clock.set(START + timedelta(days=62))
    world.send(
        keys["publisher"],
        "publish_results",
        {"campaign": "C2023", "table_sha256": reviewed(world, "C2023")},
    )


def test_the_bundle_recomputes_the_results_and_holds_no_respondent(
    world: World, tmp_path: Path
) -> None:
    world.send(world.keys["survey"], "define_survey", DEFINITION)
    import_file(world, answers(tmp_path / "a.csv"))
    _publish(world)
    bundle = build_bundle(world.publishing, "C2023")
    log_key = world.publishing.checkpoints.signer.verifier().to_string()
    report = verify_bundle(bundle, log_key, workers=1)
    assert report.ok, report.problems
    data = encode_bundle(bundle)
    assert RESPONDENT.encode() not in data
    assert RESPONDENT not in str(survey_document(survey(world)))
    table = world.ledger.result_table("C2023")
    assert {row["scores"]["2.1"] for row in table["units"]} == {"1.2"}


def test_results_forged_by_a_compromised_writer_are_found(world: World, tmp_path: Path) -> None:
    world.send(world.keys["survey"], "define_survey", DEFINITION)
    first = answers(tmp_path / "a.csv")
    import_file(world, first)
    checked = check_answer_file(answers(tmp_path / "b.csv", q1="B"), survey(world).definition)
    digest = survey(world).order[0]
    args = batch_args(survey(world), checked, supersedes=digest, reason="sửa")
    key = world.keys["survey"]
    command = world.command(key, "import_survey_batch", args)
    stored = world.ledger.repository.get(survey_id(DEFINITION["code"]))
    forged = {
        "method": "par-survey-default-1",
        "units": {unit: {"points": {"2.1": "2.00"}} for unit in ("D1", "D2", "S1")},
    }
    body = {**args, "campaign": "C2023", "imported_by": key.key_id, "results": forged}
    stored.record(stored.SurveyBatchImported, body=body, command=command, at=world.clock.now())
    # the forged results flow to the cards as the ledger's own act, naming the batch
    cards = flow_points(LedgerWorld(world.ledger), stored, checked.sha256)
    world.ledger.save(stored, *cards)
    _publish(world)
    bundle = build_bundle(world.publishing, "C2023")
    log_key = world.publishing.checkpoints.signer.verifier().to_string()
    report = verify_bundle(bundle, log_key, workers=1)
    assert not report.ok
    assert "its 'results' is" in "\n".join(report.problems)


def test_a_survey_body_of_another_authority_may_not_import(world: World, tmp_path: Path) -> None:
    world.send(world.keys["survey"], "define_survey", DEFINITION)
    elsewhere = world.enrol("survey-S1", [{"role": "survey_body", "scope": [], "authority": "S1"}])
    checked = check_answer_file(answers(tmp_path / "a.csv"), survey(world).definition)
    position = world.ledger.recorder.max_notification_id()
    with pytest.raises(AuthorizationError, match="import_survey_batch needs the role survey_body"):
        world.send(elsewhere, "import_survey_batch", batch_args(survey(world), checked))
    assert world.ledger.recorder.max_notification_id() == position
    moved = {**batch_args(survey(world), checked), "campaign": "P2022"}
    with pytest.raises(DomainError, match="belongs to campaign C2023"):
        world.send(world.keys["survey"], "import_survey_batch", moved)


def test_a_tally_changed_in_the_bundle_is_found(world: World, tmp_path: Path) -> None:
    world.send(world.keys["survey"], "define_survey", DEFINITION)
    import_file(world, answers(tmp_path / "a.csv"))
    _publish(world)
    bundle = build_bundle(world.publishing, "C2023")
    log_key = world.publishing.checkpoints.signer.verifier().to_string()
    index = next(i for i, leaf in enumerate(bundle.leaves) if b'"SurveyBatchImported"' in leaf)
    event = orjson.loads(bundle.leaves[index])
    event["body"]["tallies"]["D1"]["DB"]["Q1"]["A"] = 5
    bundle.leaves[index] = canonical_bytes(event)
    report = verify_bundle(bundle, log_key, workers=1)
    assert not report.ok
    assert any("SurveyBatchImported" in problem for problem in report.problems), report.problems


def test_an_xlsx_answer_file_is_read_like_its_csv(world: World, tmp_path: Path) -> None:
    from openpyxl import Workbook

    world.send(world.keys["survey"], "define_survey", DEFINITION)
    text = answers(tmp_path / "a.csv").read_text(encoding="utf-8")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in text.splitlines():
        sheet.append(line.split(","))
    book.save(tmp_path / "a.xlsx")
    from_csv = check_answer_file(tmp_path / "a.csv", survey(world).definition)
    from_xlsx = check_answer_file(tmp_path / "a.xlsx", survey(world).definition)
    assert from_xlsx.ok
    assert from_xlsx.tally.tallies == from_csv.tally.tallies
    assert from_xlsx.tally.rows == from_csv.tally.rows == 12
