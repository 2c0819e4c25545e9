"""``parledger survey`` on the demo ledger, as a survey body runs it: results from the
recorded tallies, a raw file checked against its batch (and a changed one refused), the same
file imported again recording nothing, a preview, and a new survey defined from YAML and
imported, its points reaching Hanoi's card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.demo.surveys import sipas_answers
from tests.e2e.test_cli_reads import SCRIPT, ok, one_line_error, output, parledger

SURVEY_KEY = "var/keys/survey-body.key"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert SCRIPT.exists(), f"the console script is not installed at {SCRIPT}"
    folder = tmp_path_factory.mktemp("survey-demo")
    ok(parledger(folder, "demo"))
    return folder


def test_results_check_and_a_second_import_that_records_nothing(demo: Path) -> None:
    found = json.loads(
        ok(parledger(demo, "survey", "results", "--survey", "HN-SIPAS-2022", "--format", "json"))
    )
    assert found["overall"] == "87.09"
    assert found["elements"]["I"] == "89.28"
    assert found["points"] == {"8.1": "8.709"}

    raw = demo / "sipas.csv"
    raw.write_bytes(sipas_answers("HN"))
    checked = ok(parledger(demo, "survey", "check", str(raw), "--survey", "HN-SIPAS-2022"))
    assert "its hash and tallies match the record" in checked

    imported = ok(
        parledger(
            demo, "survey", "import", str(raw), "--survey", "HN-SIPAS-2022", "--key", SURVEY_KEY
        )
    )
    assert "is already recorded; nothing recorded" in imported

    preview = json.loads(
        ok(
            parledger(
                demo, "survey", "preview", str(raw), "--survey", "HN-SIPAS-2022", "--format", "json"
            )
        )
    )
    assert preview["overall"] == "87.09"

    changed = demo / "sipas-changed.csv"
    original = sipas_answers("HN")
    changed.write_bytes(original.replace(b"R0001,HN,I.1,4", b"R0001,HN,I.1,1", 1))
    assert changed.read_bytes() != original
    line = one_line_error(
        parledger(demo, "survey", "check", str(changed), "--survey", "HN-SIPAS-2022")
    )
    assert "is no recorded batch of survey HN-SIPAS-2022" in line


def test_a_survey_defined_from_yaml_and_a_bad_file_reported_row_by_row(demo: Path) -> None:
    (demo / "khao-sat.yaml").write_text(
        "code: HN-KS-2022\ncampaign: HN-2022\nkind: par_survey\nmethod: par-survey-default-1\n"
        "title: Khảo sát bổ sung\nunits: [HN]\n"
        "respondent_groups: [{code: DN, title: Doanh nghiệp}]\n"
        "questions: [{code: K1, text: Câu 1, criterion: '2.4.1'}]\n",
        encoding="utf-8",
    )
    ok(parledger(demo, "survey", "define", "khao-sat.yaml", "--key", SURVEY_KEY))
    bad = demo / "sai.csv"
    bad.write_text(
        "respondent,unit,question,answer,group\nr1,HN,K1,F,DN\nr2,HN,K9,A,DN\n", encoding="utf-8"
    )
    result = parledger(
        demo, "survey", "import", "sai.csv", "--survey", "HN-KS-2022", "--key", SURVEY_KEY
    )
    assert result.returncode == 1, output(result)
    assert "sai.csv: row 2, column answer: 'F' is not an option" in result.stderr
    assert "sai.csv: row 3, column question: 'K9' is not a question" in result.stderr
    assert (
        result.stderr.strip().splitlines()[-1] == "error: sai.csv: 2 bad row(s); nothing recorded"
    )

    good = demo / "dung.csv"
    good.write_text(
        "respondent,unit,question,answer,group\nr1,HN,K1,A,DN\nr2,HN,K1,C,DN\n", encoding="utf-8"
    )
    receipt = ok(
        parledger(
            demo, "survey", "import", "dung.csv", "--survey", "HN-KS-2022", "--key", SURVEY_KEY
        )
    )
    assert "recorded SurveyBatchImported" in receipt
    found = json.loads(
        ok(parledger(demo, "survey", "results", "--survey", "HN-KS-2022", "--format", "json"))
    )
    assert found["criteria"] == {"2.4.1": "60.00"}
    assert found["points"] == {"2.4.1": "0.600"}
