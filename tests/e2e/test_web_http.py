"""The web application over HTTP: pages and their session, enrolment requests (kept beside
the read models, never on the log, and kept by a rebuild), the demo's "sign in as" only on a
demo store outside production, and the API documentation served offline with its bearer
scheme described."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.http.tokens import sign_challenge
from api.web.enrolment_requests import signed_bytes
from api.web.security import CONTENT_SECURITY_POLICY
from ledger.core.clock import ManualClock
from ledger.core.crypto import SigningKey
from tests.e2e.http_support import (
    LEDGER,
    Api,
    build_small_world,
    is_problem,
    make_home,
    make_settings,
    running,
)
from tests.world import START


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    home = tmp_path / "home"
    admin, server = make_home(home)
    settings = make_settings(database_url, home)
    with running(settings, ManualClock(START), admin, server) as client:
        build_small_world(client)
        yield client


def session(api: Api, key: SigningKey) -> None:
    """Sign in as a browser does: a challenge signed by the key, its token kept as the
    page session."""
    challenge = api.client.post("/v1/auth/challenge", json={"key_id": key.key_id}).json()
    token = api.client.post(
        "/v1/auth/token",
        json={
            "key_id": key.key_id,
            "challenge": challenge["challenge"],
            "signature": sign_challenge(key, challenge["challenge"]),
        },
    ).json()["access_token"]
    response = api.client.post("/phien", json={"access_token": token})
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie


def request_args(key: SigningKey, **extra: Any) -> dict[str, Any]:
    return {
        "public_key": key.public_key,
        "name": "Đỗ Thị Hoa",
        "title": "Chuyên viên",
        "unit": "UBND huyện",
        "roles": [{"role": "unit_staff", "scope": ["D1"]}],
        **extra,
    }


def ask(api: Api, key: SigningKey, args: dict[str, Any], signer: SigningKey | None = None) -> Any:
    signature = (signer or key).sign(signed_bytes(LEDGER, args))
    return api.client.post("/khoa/yeu-cau", json={"request": args, "signature": signature})


def test_pages_need_a_session_and_carry_the_policy(api: Api) -> None:
    landing = api.client.get("/")
    assert landing.status_code == 200
    assert landing.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "Đăng ký khóa ký" in landing.text
    away = api.client.get("/ky/C2023/don-vi/D1", follow_redirects=False)
    assert away.status_code == 303
    assert away.headers["location"] == "/dang-nhap?tiep=%2Fky%2FC2023%2Fdon-vi%2FD1"
    partial = api.client.get(
        "/ky/C2023/don-vi/D1/bang",
        headers={"hx-request": "true", "hx-current-url": "http://testserver/ky/C2023/don-vi/D1"},
    )
    assert partial.status_code == 401
    assert partial.headers["hx-redirect"] == "/dang-nhap?tiep=%2Fky%2FC2023%2Fdon-vi%2FD1"
    forged = api.client.post("/phien", json={"access_token": "x.y"})
    assert forged.status_code == 401
    assert is_problem(forged)
    session(api, api.keys["staff"])
    sheet = api.client.get("/ky/C2023/don-vi/D1")
    assert sheet.status_code == 200
    assert "Bảng tự chấm điểm" in sheet.text
    assert "Đơn vị D1" in sheet.text
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", sheet.text) is None, "no inline script"
    assert " style=" not in sheet.text, "no inline style"
    out = api.client.post("/dang-xuat", follow_redirects=False)
    assert out.status_code == 303
    assert 'parledger_phien=""' in out.headers["set-cookie"]


def test_ledger_text_is_escaped(api: Api) -> None:
    api.ok(
        api.keys["staff"],
        "record_self_score",
        {
            "campaign": "C2023",
            "unit": "D1",
            "criterion": "1.1",
            "inputs": {"points": "0.5"},
            "note": "<script>alert('x')</script>",
        },
    )
    session(api, api.keys["staff"])
    panel = api.client.get("/ky/C2023/don-vi/D1/tieu-chi/1.1", headers={"hx-request": "true"})
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in panel.text
    assert "<script>alert" not in panel.text


def test_an_enrolment_request_from_asking_to_enrolment(api: Api) -> None:
    key = SigningKey.generate()
    args = request_args(key)
    assert ask(api, key, args, signer=SigningKey.generate()).json()["code"] == "bad_signature"
    refused_role = ask(api, key, request_args(key, roles=[{"role": "administrator", "scope": []}]))
    assert refused_role.status_code == 422
    assert is_problem(refused_role)
    bad = ask(api, key, request_args(key, roles=[{"role": "unit_staff", "scope": []}]))
    assert bad.status_code == 422
    assert bad.json()["field"].startswith("command.args.roles")
    asked = ask(api, key, args)
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "pending"
    assert ask(api, key, args).json()["code"] == "request_exists"
    assert api.client.get(f"/khoa/trang-thai/{key.key_id}").json()["status"] == "pending"
    # a rebuild of the read models keeps the requests: they are not projections of the log
    before = api.position()
    api.client.app.state.service.projector.rebuild()  # type: ignore[attr-defined]
    assert api.client.get(f"/khoa/trang-thai/{key.key_id}").json()["status"] == "pending"
    assert api.position() == before
    session(api, api.keys["staff"])
    page = api.client.get("/quan-tri/yeu-cau")
    assert page.status_code == 403
    refused = api.client.post(f"/quan-tri/yeu-cau/{key.key_id}/tu-choi", json={"reason": "x"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "out_of_scope"
    session(api, api.admin)
    page = api.client.get("/quan-tri/yeu-cau")
    assert "Đỗ Thị Hoa" in page.text
    assert "Đang chờ duyệt" in page.text
    api.ok(api.admin, "enrol_key", args)
    state = api.client.get(f"/khoa/trang-thai/{key.key_id}").json()
    assert state["status"] == "enrolled"
    assert "Cán bộ đầu mối D1" in state["roles"]


def test_a_refused_request_says_why(api: Api) -> None:
    key = SigningKey.generate()
    assert ask(api, key, request_args(key)).status_code == 201
    session(api, api.admin)
    empty = api.client.post(f"/quan-tri/yeu-cau/{key.key_id}/tu-choi", json={"reason": " "})
    assert empty.status_code == 422
    assert empty.json()["field"] == "reason"
    refused = api.client.post(
        f"/quan-tri/yeu-cau/{key.key_id}/tu-choi", json={"reason": "Sai đơn vị công tác"}
    )
    assert refused.status_code == 200
    assert refused.json()["status"] == "refused"
    state = api.client.get(f"/khoa/trang-thai/{key.key_id}").json()
    assert state == {
        "key_id": key.key_id,
        "status": "refused",
        "name": "Đỗ Thị Hoa",
        "reason": "Sai đơn vị công tác",
    }
    again = api.client.post(f"/quan-tri/yeu-cau/{key.key_id}/tu-choi", json={"reason": "x"})
    assert again.json()["code"] == "request_not_pending"
    assert ask(api, key, request_args(key)).status_code == 201, "a refused key may ask again"


def test_sign_in_as_only_on_a_demo_store_outside_production(
    tmp_path: Path, database_url: str
) -> None:
    home = tmp_path / "home"
    admin, server = make_home(home)
    for environment, offered in (("development", True), ("production", False)):
        settings = make_settings(database_url, home, environment=environment)
        with running(settings, ManualClock(START), admin, server) as api:
            if environment == "development":
                build_small_world(api)
                assert api.client.get("/thu").status_code == 404, "not a demo store"
                api.ok(
                    admin,
                    "create_campaign",
                    {
                        "code": "HN-SH-2023",
                        "year": 2023,
                        "title": "Demo",
                        "indicator_set": "T-SET",
                        "indicator_set_version": 1,
                        "units": ["D1"],
                        "schedule": {
                            "self_assessment_opens": "2023-02-01T00:00:00Z",
                            "self_assessment_closes": "2023-03-01T00:00:00Z",
                            "preliminary_appraisal_closes": "2023-04-01T00:00:00Z",
                            "explanation_closes": "2023-05-01T00:00:00Z",
                            "final_appraisal_closes": "2023-06-01T00:00:00Z",
                        },
                    },
                )
                api.keys["staff"].save(home / "keys" / "d1-staff.key")
            page = api.client.get("/thu")
            assert (page.status_code == 200) is offered
            found = api.client.get(
                f"/thu/khoa/{api.keys['staff'].key_id}" if api.keys else "/thu/khoa/0"
            )
            assert (found.status_code == 200) is offered
            if offered:
                assert "Chuyên viên" in page.text
                assert "server" not in page.text.lower()
                body = found.json()
                assert body["public_key"] == api.keys["staff"].public_key
                assert body["pkcs8"].startswith("MC4CAQAwBQYDK2Vw")  # PKCS#8 Ed25519


def test_the_api_documentation_works_offline(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources
    assert all(s.startswith("/static/") for s in sources), sources
    for source in sources:
        assert api.client.get(source).status_code == 200, source
    for licence in ("swagger-ui/LICENSE", "swagger-ui/NOTICE", "htmx/LICENSE"):
        assert api.client.get(f"/static/vendor/{licence}").status_code == 200
    assert api.client.get("/redoc").status_code == 404
    assert api.client.get("/docs/oauth2-redirect").status_code == 404
    schema = api.client.get("/openapi.json").json()
    scheme = schema["components"]["securitySchemes"]["bearerToken"]
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    operations = {op["operationId"]: op for ops in schema["paths"].values() for op in ops.values()}
    assert operations["get_scorecard"]["security"] == [{"bearerToken": []}]
    assert operations["upload_evidence"]["security"] == [{"bearerToken": []}]
    assert operations["get_ranking"]["security"] == [{}, {"bearerToken": []}]
    assert "security" not in operations["execute_command"]
    assert "security" not in operations["auth_token"]
    pages = ("/ky", "/khoa", "/quan-tri", "/thu", "/dang", "/phien", "/giao-dien", "/tai-lieu")
    assert not any(path == "/" or path.startswith(pages) for path in schema["paths"])


def test_a_unit_downloads_its_forms_from_its_sheet(api: Api) -> None:
    api.ok(
        api.keys["staff"],
        "record_self_score",
        {"campaign": "C2023", "unit": "D1", "criterion": "1.1", "inputs": {"points": "0.5"}},
    )
    away = api.client.get("/ky/C2023/tai-lieu/scoring-sheet?unit=D1", follow_redirects=False)
    assert away.status_code == 303
    session(api, api.keys["staff"])
    sheet = api.client.get("/ky/C2023/don-vi/D1").text
    links = re.findall(r'href="(/ky/C2023/tai-lieu/[^"]+)"', sheet)
    assert "/ky/C2023/tai-lieu/scoring-sheet?format=xlsx&amp;unit=D1" in links
    assert len(links) == 6
    pdf = api.client.get("/ky/C2023/tai-lieu/scoring-sheet?format=pdf&unit=D1")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["x-log-position"] == str(api.position())
    xlsx = api.client.get("/ky/C2023/tai-lieu/self-assessment-report?format=xlsx&unit=D1")
    assert xlsx.content.startswith(b"PK")
    same = api.client.get(
        "/v1/campaigns/C2023/documents/self-assessment-report",
        params={"format": "xlsx", "unit": "D1"},
        headers={"authorization": f"Bearer {api.token(api.keys['staff'])}"},
    )
    assert same.headers["content-disposition"] == xlsx.headers["content-disposition"]
    missing = api.client.get("/ky/C2023/tai-lieu/scoring-sheet?format=pdf")
    assert missing.status_code == 404
    assert "hãy chọn một đơn vị" in missing.text
