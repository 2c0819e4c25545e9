"""Surveys over HTTP: an answer file uploaded by the survey body is checked row by row
(every bad row answered, nothing kept), a good one answers the arguments to sign and the
preview; the signed batch scores the cards; the survey's document shows results and
progress and no respondent id; others may not upload."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ledger.core.clock import ManualClock
from tests.e2e.http_support import build_small_world, make_home, make_settings, running
from tests.integration.test_survey_ledger import DEFINITION, RESPONDENT
from tests.world import START

GOOD = (
    "respondent,unit,question,answer,group\n"
    + "".join(
        f"{RESPONDENT}-{u}-1,{u},Q1,A,DB\n{RESPONDENT}-{u}-2,{u},Q1,C,DN\n"
        f"{RESPONDENT}-{u}-2,{u},Q2,B,DN\n"
        for u in ("D1", "D2", "S1")
    )
).encode()
BAD = b"respondent,unit,question,answer,group\nr1,D1,Q1,Z,DB\nr1,XX,Q1,A,DB\n"


def test_upload_preview_sign_and_read(tmp_path: Path) -> None:
    home = tmp_path / "home"
    admin, server = make_home(home)
    clock = ManualClock(START + timedelta(days=1))
    settings = make_settings(f"sqlite:///{tmp_path}/ledger.sqlite3", home)
    with running(settings, clock, admin, server) as api:
        build_small_world(api)
        survey = api.keys["survey"]
        api.ok(survey, "define_survey", DEFINITION)
        url = f"/v1/surveys/{DEFINITION['code']}/files"
        headers = {**api.auth(survey), "content-type": "application/octet-stream"}

        bad = api.client.post(url, content=BAD, headers=headers).json()
        assert [(e["row"], e["column"], e["code"], e["value"]) for e in bad["errors"]] == [
            (2, "answer", "unknown_option", "Z"),
            (3, "unit", "unknown_unit", "XX"),
        ]
        assert not [p for p in (home / "survey-files").rglob("*") if p.is_file()]

        staff = api.client.post(
            url, content=GOOD, headers={**api.auth(api.keys["staff"]), "content-type": "text/csv"}
        )
        assert staff.status_code == 403, staff.text

        good = api.client.post(url, content=GOOD, headers=headers).json()
        assert good["errors"] == []
        assert good["rows"] == 9
        assert good["preview"]["units"]["D1"]["points"] == {"2.1": "1.20"}
        api.ok(survey, "import_survey_batch", good["args"])
        again = api.client.post(url, content=GOOD, headers=headers).json()
        assert again["already_recorded"] is True

        document = api.read(f"/v1/surveys/{DEFINITION['code']}", api.keys["staff"])
        assert document["results"]["units"]["D2"]["criteria"] == {"2.1": "60.00"}
        assert document["progress"]["D1"]["DB"] == {
            "respondents": 1,
            "target": 2,
            "answers": {"Q1": 1},
        }
        assert RESPONDENT not in str(document)
        card = api.read("/v1/campaigns/C2023/scorecards/D1", api.keys["staff"])
        assert "'2': {'points': '1.2', 'max_points': '2', 'index': '60.00'}" in str(card)
