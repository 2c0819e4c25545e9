"""Refusals over HTTP: every one is an RFC 9457 problem with a stable code (and the field
at fault where there is one), none leaks a Python traceback, and none changes the log."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest

from ledger.core.canonical import canonical_bytes
from ledger.core.clock import ManualClock
from ledger.core.crypto import SigningKey
from tests.e2e.http_support import (
    CAMPAIGN,
    PDF,
    Api,
    build_small_world,
    is_problem,
    make_home,
    make_settings,
    running,
)
from tests.world import START

MAX_BYTES = 1000
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"This program cannot be run"
D1 = {"campaign": CAMPAIGN, "unit": "D1"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    folder = tmp_path_factory.mktemp("errors")
    home = folder / "home"
    admin, server = make_home(home)
    clock = ManualClock(START + timedelta(days=1))
    settings = make_settings(
        f"sqlite:///{folder}/ledger.sqlite3", home, max_evidence_bytes=MAX_BYTES
    )
    # unexpected exceptions must come back as 500 problems, not be raised in the test
    with running(settings, clock, admin, server, raise_server_exceptions=False) as api:
        build_small_world(api)
        yield api


def problem_of(
    response: httpx.Response, status: int, code: str, field: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert is_problem(response), response.text
    assert "Traceback" not in response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    if field is not None:
        assert body.get("field") == field, body
    return body


@pytest.fixture
def unchanged(api: Api) -> Iterator[None]:
    """The log position is the same after the test as before it."""
    before = api.position()
    yield
    assert api.position() == before


def self_score(criterion: str = "1.1", **inputs: Any) -> dict[str, Any]:
    return {**D1, "criterion": criterion, "inputs": inputs or {"points": "1"}, "note": "x"}


# -- malformed bodies and wrong types ------------------------------------------------------


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    "path", ["/v1/commands", "/v1/auth/challenge", "/v1/auth/token"], ids=lambda p: p
)
@pytest.mark.parametrize("body", [b'{"command": ', b"not json", b"{'a': 1}", b"\xff\xfe"])
def test_malformed_json_is_a_400(api: Api, path: str, body: bytes) -> None:
    response = api.client.post(path, content=body, headers={"content-type": "application/json"})
    problem_of(response, 400, "malformed_json", "body")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"command": "record_self_score", "signature": "x"}, "command"),
        ({"command": {}, "signature": 12}, "signature"),
        ({"signature": "x"}, "command"),
        ({"command": {}, "signature": "x", "extra": 1}, "extra"),
        ([], None),
    ],
)
def test_an_envelope_of_the_wrong_shape_is_a_422(api: Api, body: Any, field: str | None) -> None:
    response = api.client.post("/v1/commands", json=body)
    problem = problem_of(response, 422, "invalid_request")
    if field is not None:
        assert problem["field"] == field


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("command_type", "args", "field"),
    [
        ("record_self_score", {**self_score(), "inputs": ["1"]}, "command.args.inputs"),
        ("record_self_score", {**self_score(), "criterion": 11}, "command.args.criterion"),
        ("record_self_score", {**D1, "criterion": "1.1"}, "command.args.inputs"),
        ("record_targets", {**D1, "year": "2024", "targets": {"1.1": "1"}}, "command.args.year"),
        (
            "register_unit",
            {"code": "Z1", "name": "x", "kind": "district", "parent": 7},
            "command.args.parent",
        ),
        ("finalise_campaign", {"campaign": CAMPAIGN, "now": True}, "command.args.now"),
        ("enrol_key", {"public_key": "short", "name": "x", "roles": []}, "command.args.public_key"),
    ],
)
def test_arguments_of_the_wrong_type_are_a_422_naming_the_field(
    api: Api, command_type: str, args: dict[str, Any], field: str
) -> None:
    key = api.keys["staff"] if command_type == "record_self_score" else api.admin
    response = api.send(key, command_type, args)
    problem = problem_of(response, 422, "invalid_input")
    assert problem["field"].startswith(field), problem


@pytest.mark.usefixtures("unchanged")
def test_a_query_of_the_wrong_type_is_a_422_naming_the_parameter(api: Api) -> None:
    staff = api.keys["staff"]
    problem_of(api.get("/v1/units", staff, limit="many"), 422, "invalid_request", "limit")
    problem_of(api.get("/v1/units", staff, offset=-1), 422, "invalid_request", "offset")
    problem_of(
        api.get(f"/v1/campaigns/{CAMPAIGN}/trace", staff, format="xml"),
        422,
        "invalid_request",
        "format",
    )
    problem_of(api.get("/v1/indicator-sets/T-SET/zero", staff), 422, "invalid_request", "version")
    problem = problem_of(
        api.get(f"/v1/campaigns/{CAMPAIGN}/scorecards/D1", staff, as_of_time="yesterday"),
        422,
        "invalid_input",
    )
    assert "as_of" in problem["detail"]


@pytest.mark.usefixtures("unchanged")
def test_a_number_with_a_fraction_anywhere_in_a_command_is_refused(api: Api) -> None:
    envelope = api.envelope(api.keys["staff"], "record_self_score", self_score())
    envelope["command"]["args"]["inputs"] = {"points": 0.5}
    problem = problem_of(api.post(envelope), 422, "invalid_input")
    assert "fraction" in problem["detail"]


# -- unknown criteria and targets ------------------------------------------------------------


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("key_name", "command_type", "args"),
    [
        ("staff", "record_self_score", self_score("9.9")),
        ("staff", "record_self_score", self_score("1.1.7")),
        ("head", "record_targets", {**D1, "year": 2024, "targets": {"9.9": "1"}}),
        (
            "survey",
            "record_external_score",
            {**D1, "criterion": "9.9", "points": "1", "source": "survey", "source_document": "x"},
        ),
    ],
)
def test_an_unknown_criterion_is_refused_by_name(
    api: Api, key_name: str, command_type: str, args: dict[str, Any]
) -> None:
    response = api.send(api.keys[key_name], command_type, args)
    assert response.status_code in (404, 422), response.text
    problem = problem_of(response, response.status_code, "unknown_criterion")
    unknown = args.get("criterion") or next(iter(args["targets"]))
    assert unknown in problem["detail"]


@pytest.mark.usefixtures("unchanged")
def test_unknown_campaigns_and_units_are_404s(api: Api) -> None:
    staff = api.keys["staff"]
    problem = problem_of(
        api.get("/v1/campaigns/NOPE/scorecards/D1", staff), 404, "not_found", "campaign"
    )
    assert "NOPE" in problem["detail"]
    problem = problem_of(
        api.get(f"/v1/campaigns/{CAMPAIGN}/scorecards/ZZ", staff), 404, "not_found", "unit"
    )
    assert "ZZ" in problem["detail"]
    response = api.send(staff, "record_self_score", {**self_score(), "campaign": "NOPE"})
    assert (
        "campaign NOPE does not exist"
        in problem_of(response, 404, "unknown_campaign", "command.args.campaign")["detail"]
    )
    response = api.send(staff, "record_self_score", {**self_score(), "unit": "D2"})
    problem_of(response, 403, "out_of_scope", "command.key_id")
    problem_of(api.client.get("/v1/nothing-here"), 404, "not_found")
    problem_of(api.client.delete("/v1/commands"), 405, "method_not_allowed")


# -- signatures, keys and tokens -------------------------------------------------------------


@pytest.mark.usefixtures("unchanged")
def test_bad_signatures_are_401(api: Api) -> None:
    staff = api.keys["staff"]
    tampered = api.envelope(staff, "record_self_score", self_score())
    tampered["command"]["args"]["inputs"] = {"points": "0.5"}
    problem_of(api.post(tampered), 401, "bad_signature", "signature")

    someone_else = api.envelope(staff, "record_self_score", self_score())
    payload = someone_else["command"]
    someone_else["signature"] = SigningKey.generate().sign(canonical_bytes(payload))
    problem_of(api.post(someone_else), 401, "bad_signature", "signature")

    for garbage in ("", "not base64!", base64.b64encode(b"\0" * 64).decode(), "A" * 5000):
        envelope = api.envelope(staff, "record_self_score", self_score())
        envelope["signature"] = garbage
        problem_of(api.post(envelope), 401, "bad_signature", "signature")

    # a genesis signed by someone other than the administrator it names
    intruder = SigningKey.generate()
    genesis = api.envelope(
        intruder,
        "init_ledger",
        {
            "administrator": {"public_key": SigningKey.generate().public_key, "name": "x"},
            "server": {"public_key": SigningKey.generate().public_key, "name": "x"},
        },
    )
    problem_of(api.post(genesis), 401, "bad_signature", "signature")


@pytest.mark.usefixtures("unchanged")
def test_an_unknown_key_is_401(api: Api) -> None:
    stranger = SigningKey.generate()
    response = api.send(stranger, "record_self_score", self_score())
    problem = problem_of(response, 401, "unknown_key", "command.key_id")
    assert stranger.key_id in problem["detail"]
    assert response.headers.get("www-authenticate") == "Bearer"
    # a stranger gets a challenge, but no token for it
    challenge = api.client.post("/v1/auth/challenge", json={"key_id": stranger.key_id}).json()
    response = api.client.post(
        "/v1/auth/token",
        json={
            "key_id": stranger.key_id,
            "challenge": challenge["challenge"],
            "signature": stranger.sign(b"parledger-auth-v1:" + challenge["challenge"].encode()),
        },
    )
    problem_of(response, 401, "unknown_key", "key_id")


@pytest.mark.usefixtures("unchanged")
def test_a_challenge_signed_wrongly_or_for_another_key_gives_no_token(api: Api) -> None:
    staff, head = api.keys["staff"], api.keys["head"]
    text = api.client.post("/v1/auth/challenge", json={"key_id": staff.key_id}).json()["challenge"]
    wrong_prefix = staff.sign(text.encode())
    response = api.client.post(
        "/v1/auth/token",
        json={"key_id": staff.key_id, "challenge": text, "signature": wrong_prefix},
    )
    problem_of(response, 401, "bad_signature", "signature")
    response = api.client.post(
        "/v1/auth/token",
        json={
            "key_id": head.key_id,
            "challenge": text,
            "signature": head.sign(b"parledger-auth-v1:" + text.encode()),
        },
    )
    assert response.status_code in (401, 403), response.text
    problem_of(response, response.status_code, "challenge_invalid")


@pytest.mark.usefixtures("unchanged")
def test_an_expired_token_is_401(api: Api) -> None:
    staff = api.keys["staff"]
    token = api.token(staff)
    headers = {"authorization": f"Bearer {token}"}
    assert api.client.get("/v1/units", headers=headers).status_code == 200
    ttl = api.client.app.state.service.settings.token_ttl_seconds
    start = api.clock.now()
    try:
        api.clock.advance(timedelta(seconds=ttl + 1))
        response = api.client.get("/v1/units", headers=headers)
        problem_of(response, 401, "token_expired")
        assert response.headers.get("www-authenticate") == "Bearer"
        # and an expired challenge gives no token
        text = api.client.post("/v1/auth/challenge", json={"key_id": staff.key_id})
        challenge = text.json()["challenge"]
        api.clock.advance(timedelta(minutes=3))
        response = api.client.post(
            "/v1/auth/token",
            json={
                "key_id": staff.key_id,
                "challenge": challenge,
                "signature": staff.sign(b"parledger-auth-v1:" + challenge.encode()),
            },
        )
        assert response.status_code in (401, 403), response.text
        problem_of(response, response.status_code, "challenge_expired", "challenge")
    finally:
        api.clock.set(start)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.mark.usefixtures("unchanged")
def test_forged_and_malformed_tokens_are_401(api: Api) -> None:
    staff = api.keys["staff"]
    genuine = api.token(staff)
    data_text, signature_text = genuine.split(".")
    payload = orjson.loads(base64.urlsafe_b64decode(data_text + "=" * (-len(data_text) % 4)))

    def forged(claims: dict[str, Any], signer: SigningKey | None = None) -> str:
        data = canonical_bytes(claims)
        if signer is None:
            return f"{_b64(data)}.{signature_text}"
        return f"{_b64(data)}.{_b64(base64.b64decode(signer.sign(data)))}"

    later = {**payload, "expires_at": "2099-01-01T00:00:00.000000Z"}
    tokens = {
        "resigned by another key": forged(later, SigningKey.generate()),
        "claims changed": forged(later),
        "another key's id": forged({**payload, "key_id": api.keys["head"].key_id}),
        "garbage": "abc",
        "three parts": genuine + ".x",
        "not base64": "!!!.???",
        "empty signature": f"{data_text}.",
    }
    for name, token in tokens.items():
        response = api.client.get("/v1/units", headers={"authorization": f"Bearer {token}"})
        problem = problem_of(response, 401, "token_invalid")
        assert problem["detail"], name
    # a challenge is no read token, though the server signed it
    challenge = api.client.post("/v1/auth/challenge", json={"key_id": staff.key_id}).json()
    response = api.client.get(
        "/v1/units", headers={"authorization": f"Bearer {challenge['challenge']}"}
    )
    problem_of(response, 401, "token_invalid")
    for header in ("", "Bearer", "Basic abc", genuine):
        response = api.client.get("/v1/units", headers={"authorization": header})
        problem_of(response, 401, "token_missing")
    # a read token does not make a command
    response = api.client.post(
        "/v1/commands", headers={"authorization": f"Bearer {genuine}"}, json={}
    )
    assert response.status_code == 422


@pytest.mark.usefixtures("unchanged")
def test_commands_for_another_ledger_or_time_or_type_are_refused(api: Api) -> None:
    staff = api.keys["staff"]
    problem_of(
        api.send(staff, "record_self_score", self_score(), ledger="other-ledger"),
        403,
        "wrong_ledger",
        "command.ledger",
    )
    problem_of(
        api.send(
            staff,
            "record_self_score",
            self_score(),
            issued_at=api.clock.now() - timedelta(hours=1),
        ),
        422,
        "clock_skew",
        "command.issued_at",
    )
    problem_of(api.send(staff, "do_anything", {}), 422, "unknown_command", "command.type")
    problem_of(
        api.send(
            api.admin,
            "lock_scorecard",
            {**D1, "deadline": "2023-02-09T02:00:00.000000Z"},
        ),
        403,
        "system_command",
        "command.type",
    )


def test_a_reused_nonce_with_other_content_is_refused(api: Api) -> None:
    staff = api.keys["staff"]
    first = api.send(staff, "record_self_score", self_score(points="0.5"), nonce="n" * 32)
    assert first.status_code == 201, first.text
    before = api.position()
    again = api.send(staff, "record_self_score", self_score(points="1"), nonce="n" * 32)
    problem_of(again, 409, "nonce_reused")
    assert api.position() == before


# -- evidence ------------------------------------------------------------------------------


def upload(api: Api, data: bytes, **headers: str) -> httpx.Response:
    return api.client.post(
        "/v1/evidence", content=data, headers={**api.auth(api.keys["staff"]), **headers}
    )


def stored_files(api: Api) -> list[str]:
    root = api.client.app.state.service.settings.evidence_dir
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.usefixtures("unchanged")
def test_an_oversized_upload_is_413_and_stores_nothing(api: Api) -> None:
    before = stored_files(api)
    big = PDF + b"%" * (MAX_BYTES - len(PDF) + 1)
    problem = problem_of(upload(api, big), 413, "file_too_large", "file")
    assert str(MAX_BYTES) in problem["detail"]
    assert stored_files(api) == before
    # streamed in chunks, the limit holds as well
    chunks = (PDF + b"%" * 400 for _ in range(4))
    problem_of(
        api.client.post("/v1/evidence", content=chunks, headers=api.auth(api.keys["staff"])),
        413,
        "file_too_large",
    )
    assert stored_files(api) == before
    exactly = PDF + b"%" * (MAX_BYTES - len(PDF))
    assert upload(api, exactly).status_code == 201


@pytest.mark.usefixtures("unchanged")
def test_uploads_need_a_token_and_a_body(api: Api) -> None:
    response = api.client.post("/v1/evidence", content=PDF)
    problem_of(response, 401, "token_missing")
    problem_of(upload(api, b""), 422, "invalid_input", "file")


@pytest.mark.usefixtures("unchanged")
def test_a_disguised_file_is_415(api: Api) -> None:
    response = upload(
        api,
        EXE,
        **{
            "content-type": "application/pdf",
            "content-disposition": 'attachment; filename="bao-cao.pdf"',
        },
    )
    problem = problem_of(response, 415, "unsupported_media_type", "file")
    assert "content" in problem["detail"]
    # nor can such a file be attached, whatever the command says it is
    digest = hashlib.sha256(EXE).hexdigest()
    response = api.send(
        api.keys["staff"],
        "attach_evidence",
        {
            **D1,
            "criterion": "1.1",
            "sha256": digest,
            "size": len(EXE),
            "file_name": "bao-cao.pdf",
            "media_type": "application/pdf",
        },
    )
    assert 400 <= response.status_code < 500, response.text
    assert is_problem(response)


def test_a_refused_upload_is_not_kept_nor_served(api: Api) -> None:
    body = EXE + b" and something else"
    before = stored_files(api)
    assert upload(api, body).status_code == 415
    digest = hashlib.sha256(body).hexdigest()
    served = api.get(f"/v1/evidence/{digest}", api.keys["staff"])
    assert served.status_code == 404, (served.status_code, served.headers.get("content-type"))
    assert stored_files(api) == before


@pytest.mark.usefixtures("unchanged")
def test_corrupted_evidence_is_a_500_problem_and_is_not_released(api: Api) -> None:
    staff = api.keys["staff"]
    original = PDF + b"% corrupted later\n"
    stored = upload(api, original).json()
    path = api.client.app.state.service.ledger.evidence.path_of(stored["sha256"])
    assert api.get(f"/v1/evidence/{stored['sha256']}", staff).content == original
    os.chmod(path, 0o644)
    forged = b"%PDF-1.4 SECRET-REPLACEMENT " + b"x" * 40
    path.write_bytes(forged)
    response = api.get(f"/v1/evidence/{stored['sha256']}", staff)
    problem = problem_of(response, 500, "evidence_corrupted")
    assert stored["sha256"] in problem["detail"]
    assert b"SECRET-REPLACEMENT" not in response.content
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.usefixtures("unchanged")
def test_evidence_that_is_not_there_is_404_and_a_bad_hash_is_422(api: Api) -> None:
    staff = api.keys["staff"]
    problem_of(api.get(f"/v1/evidence/{'0' * 64}", staff), 404, "evidence_missing")
    problem_of(api.get("/v1/evidence/../../keys/server.key", staff), 404, "not_found")
    problem_of(api.get("/v1/evidence/ABC", staff), 422, "invalid_request", "sha256")


# -- times out of range ---------------------------------------------------------------------


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
def test_a_time_out_of_range_is_a_422(api: Api, moment: str) -> None:
    staff = api.keys["staff"]
    for path, params in (
        (f"/v1/campaigns/{CAMPAIGN}/scorecards/D1", {"as_of_time": moment}),
        (f"/v1/campaigns/{CAMPAIGN}/ranking", {"as_of_time": moment}),
        (f"/v1/campaigns/{CAMPAIGN}/progress", {"at": moment}),
    ):
        response = api.get(path, staff, **params)
        assert response.status_code == 422, (path, response.status_code, response.text)
        assert is_problem(response)
