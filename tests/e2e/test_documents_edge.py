"""Documents as a user asks for them: ``parledger export`` on the demo store, and
``GET /v1/campaigns/{code}/documents/{kind}`` with the read-token rule (the annex of a
published campaign is public)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.tokens import sign_challenge
from ledger.application.media import sniff
from ledger.application.settings import Settings
from ledger.core.crypto import SigningKey
from ledger.demo.province import demo_clock
from tests.documents_support import PUBLIC_URL, demo_store, pdf_text, rows_by_code, workbook
from tests.e2e.test_cli_demo import ok, parledger

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    ok(parledger(folder, "demo"))
    return folder


def test_export_writes_each_document_the_user_names(demo: Path) -> None:
    sheet = demo / "bieu.xlsx"
    result = ok(
        parledger(
            demo,
            "export",
            "scoring-sheet",
            "--campaign",
            "HN-2022",
            "--unit",
            "HN",
            "-o",
            str(sheet),
        )
    )
    assert "wrote" in result.stdout
    assert sniff(sheet) == XLSX
    rows = rows_by_code(workbook(sheet.read_bytes()).worksheets[0], 2)
    assert str(rows["1"][5]) == "8.424"
    annex = demo / "phu-luc.pdf"
    ok(
        parledger(
            demo,
            "export",
            "results-annex",
            "--campaign",
            "HN-SH-2023",
            "--format",
            "pdf",
            "-o",
            str(annex),
            extra_env={"PARLEDGER_PUBLIC_URL": PUBLIC_URL},
        )
    )
    assert sniff(annex) == "application/pdf"
    text = pdf_text(annex.read_bytes())
    assert f"{PUBLIC_URL}/cong-bo/HN-SH-2023/kiem-tra" in text.replace("\n", "")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("scoring-sheet", "--campaign", "HN-2022", "-o", "x.pdf"), "name the unit"),
        (("results-annex", "--campaign", "HN-2022", "-o", "x.pdf"), "not been published"),
        (("scoring-sheet", "--campaign", "HN-2022", "--unit", "HN", "-o", "x.txt"), "--format"),
        (("nothing", "--campaign", "HN-2022", "-o", "x.pdf"), "unknown document"),
    ],
)
def test_export_refuses_in_one_line(demo: Path, args: tuple[str, ...], says: str) -> None:
    result = parledger(demo, "export", *args)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert says in lines[0], result.stderr
    assert not (demo / "x.pdf").exists()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path]]:
    folder = tmp_path_factory.mktemp("http-documents")
    url = f"sqlite:///{folder}/ledger.sqlite3"
    with demo_store(url, folder / "home"):
        pass
    settings = Settings(database_url=url, home=folder / "home", public_url=PUBLIC_URL)
    with TestClient(create_app(settings, clock=demo_clock())) as test_client:
        yield test_client, folder / "home" / "keys"


def token(http: TestClient, key: SigningKey) -> dict[str, str]:
    challenge = http.post("/v1/auth/challenge", json={"key_id": key.key_id}).json()["challenge"]
    answer = http.post(
        "/v1/auth/token",
        json={
            "key_id": key.key_id,
            "challenge": challenge,
            "signature": sign_challenge(key, challenge),
        },
    )
    assert answer.status_code == 200, answer.text
    return {"authorization": f"Bearer {answer.json()['access_token']}"}


def test_the_annex_of_a_published_campaign_is_public(client: tuple[TestClient, Path]) -> None:
    http, _ = client
    answer = http.get("/v1/campaigns/HN-SH-2023/documents/results-annex", params={"format": "xlsx"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    assert "HN-SH-2023-phu-luc-ket-qua.xlsx" in answer.headers["content-disposition"]
    publications = http.get("/v1/campaigns/HN-SH-2023/publications").json()["items"]
    assert answer.headers["x-table-sha256"] == publications[-1]["table_sha256"]


def test_a_units_documents_need_a_token(client: tuple[TestClient, Path]) -> None:
    http, keys = client
    path = "/v1/campaigns/HN-SH-2023/documents/scoring-sheet"
    refused = http.get(path, params={"unit": "HK"})
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_missing"
    auth = token(http, SigningKey.load(keys / "hk-staff.key"))
    answer = http.get(path, params={"unit": "HK", "format": "pdf"}, headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.content.startswith(b"%PDF-")
    assert int(answer.headers["x-log-position"]) > 0
    assert "UBND quận Hoàn Kiếm" in pdf_text(answer.content)


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("HN-SH-2023/documents/scoring-sheet", {}, 422, "invalid_input"),
        ("HN-SH-2023/documents/nothing", {"unit": "HK"}, 422, "invalid_request"),
        ("HN-SH-2023/documents/scoring-sheet", {"unit": "HK", "format": "doc"}, 422, None),
        ("NOPE/documents/scoring-sheet", {"unit": "HK"}, 404, "not_found"),
        ("HN-2022/documents/results-annex", {}, 404, "not_published"),
    ],
)
def test_a_wrong_request_is_a_problem(
    client: tuple[TestClient, Path],
    path: str,
    params: dict[str, str],
    status: int,
    code: str | None,
) -> None:
    http, keys = client
    auth = token(http, SigningKey.load(keys / "admin.key"))
    answer = http.get(f"/v1/campaigns/{path}", params=params, headers=auth)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    if code:
        assert answer.json()["code"] == code
