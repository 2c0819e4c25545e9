"""Every refusal of the survey commands and files over HTTP, as a survey body meets it: the
problem's code, the words it reads, and the log (and the private file store) unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger.core.clock import ManualClock
from tests.e2e.http_support import (
    Api,
    build_small_world,
    campaign_args,
    is_problem,
    make_home,
    make_settings,
    running,
)
from tests.e2e.test_http_survey import GOOD
from tests.integration.test_survey_ledger import DEFINITION
from tests.world import START

CODE = DEFINITION["code"]
SIGNED_FIRST = "0" * 64


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    home = tmp_path / "home"
    admin, server = make_home(home)
    clock = ManualClock(START + timedelta(days=1))
    settings = make_settings(f"sqlite:///{tmp_path}/ledger.sqlite3", home)
    with running(settings, clock, admin, server) as running_api:
        build_small_world(running_api)
        running_api.ok(running_api.admin, "create_campaign", campaign_args("C2024"))
        running_api.ok(running_api.keys["survey"], "define_survey", DEFINITION)
        yield running_api


def upload(api: Api, data: bytes = GOOD) -> dict[str, Any]:
    """The arguments to sign for ``data``, as the upload answers them."""
    response = api.client.post(
        f"/v1/surveys/{CODE}/files",
        content=data,
        headers={**api.auth(api.keys["survey"]), "content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert answer["errors"] == [], answer
    return dict(answer["args"])


def kept_files(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "home" / "survey-files").rglob("*") if p.is_file()]


def refused(api: Api, command: str, args: dict[str, Any], status: int, code: str) -> str:
    body = api.refused(api.keys["survey"], command, args, status, code)
    return str(body["detail"])


def test_a_definition_is_refused_at_the_wrong_version_or_campaign_and_once_frozen(
    api: Api,
) -> None:
    other = {**DEFINITION, "code": "C2023-KS2", "version": 2}
    assert refused(api, "define_survey", other, 409, "wrong_version") == (
        "survey C2023-KS2 is not defined yet: its first version is 1"
    )
    assert refused(api, "define_survey", {**DEFINITION, "version": 3}, 409, "wrong_version") == (
        f"survey {CODE} is at version 1: a revision is version 2"
    )
    moved = {**DEFINITION, "version": 2, "campaign": "C2024"}
    assert refused(api, "define_survey", moved, 409, "campaign_mismatch") == (
        f"survey {CODE} belongs to campaign C2023"
    )

    api.ok(api.keys["survey"], "import_survey_batch", upload(api))
    assert refused(api, "define_survey", {**DEFINITION, "version": 2}, 409, "survey_frozen") == (
        f"survey {CODE} v1 is frozen: answers are recorded against it; define a new survey"
    )


def test_a_batch_is_refused_for_an_unknown_survey_a_stale_version_or_another_campaign(
    api: Api,
) -> None:
    args = upload(api)
    unknown = {**args, "survey": "C2023-KHONG"}
    assert refused(api, "import_survey_batch", unknown, 404, "unknown_survey") == (
        "survey C2023-KHONG is not defined"
    )
    moved = {**args, "campaign": "C2024"}
    assert refused(api, "import_survey_batch", moved, 409, "campaign_mismatch") == (
        f"survey {CODE} belongs to campaign C2023"
    )
    # the survey is revised after the file was checked against version 1
    api.ok(api.keys["survey"], "define_survey", {**DEFINITION, "version": 2})
    assert refused(api, "import_survey_batch", args, 409, "wrong_version") == (
        f"the file was checked against version 1 of survey {CODE}, which is at version 2"
    )
    missing = api.get("/v1/surveys/C2023-KHONG", api.keys["staff"])
    assert missing.status_code == 404, missing.text
    assert is_problem(missing)
    assert missing.json()["code"] == "unknown_survey"
    assert missing.json()["detail"] == "survey C2023-KHONG is not defined"


def test_a_file_is_imported_once_and_a_correction_names_a_batch_in_force(api: Api) -> None:
    args = upload(api)
    api.ok(api.keys["survey"], "import_survey_batch", args)
    detail = refused(api, "import_survey_batch", args, 409, "already_imported")
    assert detail.startswith(f"this file (SHA-256 {args['file_sha256'][:12]}…) was already ")
    assert detail.endswith("; nothing recorded")

    corrected = upload(api, GOOD.replace(b",C,DN", b",B,DN", 1))
    nowhere = {**corrected, "supersedes": SIGNED_FIRST, "reason": "phiếu nhập sai"}
    assert refused(api, "import_survey_batch", nowhere, 409, "unknown_batch") == (
        f"no batch in force of survey {CODE} has SHA-256 {SIGNED_FIRST}"
    )
    fixed = {**corrected, "supersedes": args["file_sha256"], "reason": "phiếu nhập sai"}
    api.ok(api.keys["survey"], "import_survey_batch", fixed)
    # the first batch is superseded now: a second correction of it names no batch in force
    again = upload(api, GOOD.replace(b",C,DN", b",D,DN", 1))
    stale = {**again, "supersedes": args["file_sha256"], "reason": "lần nữa"}
    refused(api, "import_survey_batch", stale, 409, "unknown_batch")


def test_only_the_survey_body_or_the_secretariat_uploads_answer_files(
    api: Api, tmp_path: Path
) -> None:
    before = api.position()
    response = api.client.post(
        f"/v1/surveys/{CODE}/files",
        content=GOOD,
        headers={**api.auth(api.keys["staff"]), "content-type": "text/csv"},
    )
    assert response.status_code == 403, response.text
    assert is_problem(response)
    assert response.json()["code"] == "forbidden"
    assert response.json()["detail"] == (
        "only the survey body or the secretariat uploads answer files"
    )
    assert kept_files(tmp_path) == []
    assert api.position() == before
    upload(api)
    assert len(kept_files(tmp_path)) == 1


def check(api: Api, data: bytes) -> dict[str, Any]:
    before = api.position()
    response = api.client.post(
        f"/v1/surveys/{CODE}/check", content=data, headers=api.auth(api.keys["staff"])
    )
    assert response.status_code == 422, response.text
    assert is_problem(response)
    assert api.position() == before
    body: dict[str, Any] = response.json()
    return body


def test_a_file_that_is_no_recorded_batch_or_whose_tallies_differ_is_refused(api: Api) -> None:
    args = upload(api)
    found = check(api, GOOD)
    assert found["code"] == "not_recorded"
    assert found["detail"] == (
        f"answers.csv (SHA-256 {args['file_sha256']}) is no recorded batch of survey {CODE}"
    )
    # the survey body signs the file's hash with tallies the file does not give
    tallies = args["tallies"]
    tallies["D1"]["DB"]["Q1"] = {"B": tallies["D1"]["DB"]["Q1"]["A"]}
    api.ok(api.keys["survey"], "import_survey_batch", {**args, "tallies": tallies})
    found = check(api, GOOD)
    assert found["code"] == "tallies_differ"
    assert found["detail"] == "answers.csv: its tallies differ from those recorded"


def test_a_second_answer_to_the_same_question_is_reported_and_nothing_kept(
    api: Api, tmp_path: Path
) -> None:
    twice = GOOD + b"RESP-7F3A-D1-2,D1,Q2,A,DN\n"
    response = api.client.post(
        f"/v1/surveys/{CODE}/files",
        content=twice,
        headers={**api.auth(api.keys["survey"]), "content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["errors"] == [
        {
            "row": 11,
            "column": "question",
            "reason": "this respondent (unit D1, group DN) has answered Q2 in an earlier row",
            "code": "duplicate_answer",
            "value": "Q2",
        }
    ]
    assert kept_files(tmp_path) == []
