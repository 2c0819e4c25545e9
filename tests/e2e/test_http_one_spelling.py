"""Over HTTP, Base64 spelled otherwise than canonically is refused wherever it is read: an
envelope's signature, an enrolled public key, the signature over a challenge, a read token
and a witness's cosignature. Each refusal is a problem that says so, and records nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from api.http.tokens import sign_challenge
from ledger.core.crypto import SigningKey
from ledger.core.envelope import sign_command
from ledger.transparency.cosignature import Cosigner
from tests.e2e.http_support import (
    LEDGER,
    Api,
    build_small_world,
    is_problem,
    make_home,
    make_settings,
    running,
)
from tests.unit.test_b64 import ALPHABET, with_stray_bits
from tests.world import START

WITNESS = Cosigner("thanhtra.example.vn", SigningKey.generate())
SCORE = {"campaign": "C2023", "unit": "D1", "criterion": "1.1", "inputs": {"points": "1"}}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    from ledger.core.clock import ManualClock

    folder = tmp_path_factory.mktemp("spelling")
    admin, server = make_home(folder / "home")
    settings = make_settings(
        f"sqlite:///{folder}/ledger.sqlite3",
        folder / "home",
        witnesses=[WITNESS.verifier_string()],
        checkpoint_interval_seconds=3600,
    )
    with running(settings, ManualClock(START + timedelta(days=1)), admin, server) as api:
        build_small_world(api)
        yield api


def refused(api: Api, response: object, status: int, code: str, field: str | None) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert is_problem(response), response.text  # type: ignore[arg-type,attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["code"] == code, body
    assert body.get("field") == field, body


def test_an_envelope_signed_with_stray_bits_is_refused(api: Api) -> None:
    before = api.position()
    envelope = api.envelope(api.keys["staff"], "record_self_score", SCORE)
    canonical = envelope["signature"]
    envelope["signature"] = with_stray_bits(canonical)
    response = api.post(envelope)
    refused(api, response, 422, "non_canonical_base64", "signature")
    assert "not canonical base64" in response.json()["detail"]
    assert api.position() == before
    envelope["signature"] = canonical
    assert api.post(envelope).status_code == 201


def test_a_public_key_with_stray_bits_is_not_enrolled(api: Api) -> None:
    before = api.position()
    key = SigningKey.generate()
    response = api.send(
        api.admin,
        "enrol_key",
        {
            "public_key": with_stray_bits(key.public_key),
            "name": "Người mới",
            "roles": [{"role": "inspector", "scope": []}],
        },
    )
    refused(api, response, 422, "non_canonical_base64", "command.args.public_key")
    assert api.position() == before


def test_a_challenge_signed_with_stray_bits_gives_no_token(api: Api) -> None:
    staff = api.keys["staff"]
    challenge = api.client.post("/v1/auth/challenge", json={"key_id": staff.key_id}).json()
    signature = sign_challenge(staff, challenge["challenge"])
    body = {"key_id": staff.key_id, "challenge": challenge["challenge"]}
    response = api.client.post(
        "/v1/auth/token", json={**body, "signature": with_stray_bits(signature)}
    )
    refused(api, response, 422, "non_canonical_base64", "signature")
    assert api.client.post("/v1/auth/token", json={**body, "signature": signature}).is_success


def test_a_token_with_stray_bits_is_refused(api: Api) -> None:
    token = api.token(api.keys["staff"])
    data, signature = token.split(".")
    url = ALPHABET[:-2] + "-_"
    stray = signature[:-1] + url[url.index(signature[-1]) | 0b1111]
    assert api.client.get("/v1/units", headers={"authorization": f"Bearer {token}"}).is_success
    for forged in (f"{data}.{stray}", f"{data}.{signature}=="):
        response = api.client.get("/v1/units", headers={"authorization": f"Bearer {forged}"})
        refused(api, response, 401, "token_invalid", None)


def test_a_cosignature_with_stray_bits_is_refused(api: Api) -> None:
    note = api.client.get("/v1/log/checkpoint").text
    text = note.split("\n\n")[0] + "\n"
    line = WITNESS.cosign(text, int(api.clock.now().timestamp()))
    prefix, _, b64 = line.rstrip("\n").rpartition(" ")
    response = api.client.post(
        "/v1/log/cosignatures",
        content=(note + f"{prefix} {with_stray_bits(b64)}\n").encode(),
        headers={"content-type": "text/plain"},
    )
    refused(api, response, 422, "non_canonical_base64", "note")


def test_a_genesis_whose_administrator_key_has_stray_bits_is_refused(api: Api) -> None:
    admin = SigningKey.generate()
    envelope = sign_command(
        admin,
        ledger=LEDGER,
        type="init_ledger",
        args={
            "administrator": {"public_key": with_stray_bits(admin.public_key), "name": "x"},
            "server": {"public_key": SigningKey.generate().public_key, "name": "x"},
        },
        issued_at=api.clock.now(),
    ).envelope()
    response = api.post(envelope)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "non_canonical_base64"
