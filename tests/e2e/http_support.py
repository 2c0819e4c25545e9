"""Helpers for the HTTP tests: a service home with its server key, a client that signs
commands and holds bearer tokens, and the small test world built through the API only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.tokens import sign_challenge
from ledger.application.settings import Settings
from ledger.core.clock import ManualClock
from ledger.core.crypto import SigningKey
from ledger.core.envelope import sign_command
from tests.world import SMALL_SET, START, schedule

LEDGER = "test-ledger"
CAMPAIGN = "C2023"
SELF_CLOSES = START + timedelta(days=30)
PRELIMINARY_CLOSES = START + timedelta(days=45)
EXPLANATION_CLOSES = START + timedelta(days=52)
FINAL_CLOSES = START + timedelta(days=60)

# a tiny but well-formed PDF: the service tells the type by content
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def make_home(home: Path) -> tuple[SigningKey, SigningKey]:
    """A fresh administrator key, and the server key written where the service reads it."""
    admin, server = SigningKey.generate(), SigningKey.generate()
    server.save(home / "keys" / "server.key")
    return admin, server


def make_settings(database_url: str, home: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "home": home,
        "ledger_name": LEDGER,
        "log_json": True,
        # deadlines are noticed when a test says so, not by the background tick
        "tick_interval_seconds": 3600,
        **overrides,
    }
    return Settings(**values)


def is_problem(response: httpx.Response) -> bool:
    """An RFC 9457 problem with the fields every error of the service carries."""
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return False
    body = response.json()
    return (
        isinstance(body, dict)
        and body.get("status") == response.status_code
        and isinstance(body.get("code"), str)
        and bool(body["code"])
        and isinstance(body.get("detail"), str)
        and bool(body["detail"])
        and body.get("type") == "urn:parledger:problem:" + body["code"]
        and isinstance(body.get("title"), str)
    )


@dataclass
class Api:
    """A TestClient with the keys of the people who act through it."""

    client: TestClient
    clock: ManualClock
    admin: SigningKey
    server: SigningKey
    keys: dict[str, SigningKey] = field(default_factory=dict)
    _tokens: dict[str, tuple[str, datetime]] = field(default_factory=dict)

    # -- writes --------------------------------------------------------------------------

    def envelope(
        self,
        key: SigningKey,
        command_type: str,
        args: dict[str, Any],
        *,
        nonce: str | None = None,
        issued_at: datetime | None = None,
        ledger: str = LEDGER,
    ) -> dict[str, Any]:
        return sign_command(
            key,
            ledger=ledger,
            type=command_type,
            args=args,
            issued_at=issued_at or self.clock.now(),
            nonce=nonce,
        ).envelope()

    def post(self, envelope: dict[str, Any]) -> httpx.Response:
        return self.client.post("/v1/commands", json=envelope)

    def send(
        self, key: SigningKey, command_type: str, args: dict[str, Any], **kwargs: Any
    ) -> httpx.Response:
        return self.post(self.envelope(key, command_type, args, **kwargs))

    def ok(self, key: SigningKey, command_type: str, args: dict[str, Any]) -> dict[str, Any]:
        response = self.send(key, command_type, args)
        assert response.status_code == 201, (command_type, response.text)
        receipt: dict[str, Any] = response.json()
        return receipt

    def refused(
        self,
        key: SigningKey,
        command_type: str,
        args: dict[str, Any],
        status: int,
        code: str,
    ) -> dict[str, Any]:
        """Send a command that must be refused; it records nothing (ADR 10)."""
        before = self.position()
        response = self.send(key, command_type, args)
        assert response.status_code == status, (command_type, response.text)
        assert is_problem(response), response.text
        body: dict[str, Any] = response.json()
        assert body["code"] == code, body
        assert self.position() == before
        return body

    def enrol(self, name: str, roles: list[dict[str, Any]]) -> SigningKey:
        key = SigningKey.generate()
        self.ok(
            self.admin,
            "enrol_key",
            {
                "public_key": key.public_key,
                "name": name,
                "title": "Chuyên viên",
                "unit": "Sở",
                "roles": roles,
            },
        )
        self.keys[name] = key
        return key

    def upload(self, key: SigningKey, data: bytes) -> dict[str, Any]:
        response = self.client.post(
            "/v1/evidence",
            content=data,
            headers={**self.auth(key), "content-type": "application/octet-stream"},
        )
        assert response.status_code == 201, response.text
        stored: dict[str, Any] = response.json()
        return stored

    # -- reads ---------------------------------------------------------------------------

    def token(self, key: SigningKey) -> str:
        """A bearer token for ``key``, fetched again once the clock passed its expiry."""
        cached = self._tokens.get(key.key_id)
        now = self.clock.now()
        if cached is not None and now + timedelta(seconds=30) < cached[1]:
            return cached[0]
        challenge = self.client.post("/v1/auth/challenge", json={"key_id": key.key_id})
        assert challenge.status_code == 200, challenge.text
        text = challenge.json()["challenge"]
        response = self.client.post(
            "/v1/auth/token",
            json={"key_id": key.key_id, "challenge": text, "signature": sign_challenge(key, text)},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"] == "Bearer"
        expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
        self._tokens[key.key_id] = (body["access_token"], expires)
        return str(body["access_token"])

    def auth(self, key: SigningKey) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token(key)}"}

    def get(self, path: str, key: SigningKey | None = None, **params: Any) -> httpx.Response:
        headers = self.auth(key) if key is not None else {}
        return self.client.get(path, headers=headers, params=params)

    def read(self, path: str, key: SigningKey, **params: Any) -> Any:
        response = self.get(path, key, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def position(self) -> int:
        response = self.client.get("/v1/ledger")
        assert response.status_code == 200, response.text
        return int(response.json()["position"])


@contextmanager
def running(
    settings: Settings,
    clock: ManualClock,
    admin: SigningKey,
    server: SigningKey,
    **client_options: Any,
) -> Iterator[Api]:
    """The service on ``settings`` (its lifespan runs), with a client for it."""
    with TestClient(create_app(settings, clock=clock), **client_options) as client:
        yield Api(client, clock, admin, server)


# -- the world, through the API ------------------------------------------------------------


def init_ledger(api: Api) -> dict[str, Any]:
    return api.ok(
        api.admin,
        "init_ledger",
        {
            "administrator": {"public_key": api.admin.public_key, "name": "Quản trị"},
            "server": {"public_key": api.server.public_key, "name": LEDGER},
        },
    )


def campaign_args(
    code: str = CAMPAIGN, units: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "code": code,
        "year": 2023,
        "title": f"Kỳ đánh giá {code}",
        "indicator_set": "T-SET",
        "indicator_set_version": 1,
        "units": units or ["D1", "D2", "S1"],
        "schedule": schedule(),
        **extra,
    }


def build_small_world(api: Api, *, with_campaign: bool = True) -> None:
    """What tests/world.py builds, sent over HTTP: three units, a key per role, the
    small indicator set and (optionally) the campaign C2023."""
    init_ledger(api)
    for code, kind in (("D1", "district"), ("D2", "district"), ("S1", "department")):
        api.ok(api.admin, "register_unit", {"code": code, "name": f"Đơn vị {code}", "kind": kind})
    api.enrol("staff", [{"role": "unit_staff", "scope": ["D1"]}])
    api.enrol("head", [{"role": "unit_head", "scope": ["D1"]}])
    api.enrol("staff2", [{"role": "unit_staff", "scope": ["D2"]}])
    api.enrol("survey", [{"role": "survey_body", "scope": []}])
    api.enrol("appraiser", [{"role": "appraiser", "scope": ["1"]}])
    api.enrol("secretariat", [{"role": "secretariat", "scope": []}])
    api.ok(api.admin, "define_indicator_set", SMALL_SET)
    if with_campaign:
        api.ok(api.admin, "create_campaign", campaign_args())
