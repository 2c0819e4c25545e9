"""A published campaign served over real HTTP for the public pages' browser tests: the small
world built over the API, the campaign P2022 finalised and published, and the checkpoint
that covers the publication cosigned by a witness the log lists."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from api.http.app import create_app
from ledger.application.settings import Settings
from ledger.core.clock import ManualClock
from ledger.core.crypto import SigningKey
from ledger.transparency.cosignature import Cosigner
from tests.e2e.http_support import Api, build_small_world, make_home, make_settings
from tests.e2e.live_server import serving
from tests.e2e.web_support import LiveServer
from tests.world import START, publication_steps

CODE = "P2022"
UNITS = ("D1", "S1")


@dataclass
class PublishedWorld:
    url: str
    api: Api
    witness: Cosigner
    settings: Settings

    def live(self) -> LiveServer:
        """The same service as the browser tests of the first web issue know it."""
        api = self.api
        return LiveServer(self.url, self.settings, api.clock, api.admin, api.server, api)  # type: ignore[arg-type]


def publish(api: Api, code: str = CODE) -> None:
    api.enrol("publisher", [{"role": "publisher", "scope": []}])
    keys = {**api.keys, "admin": api.admin}
    steps = publication_steps(code, api.clock.now(), UNITS)
    for role, command_type, args in steps[:-1]:
        api.ok(keys[role], command_type, args)
    reviewed = api.read(f"/v1/campaigns/{code}/results/preview", keys["publisher"])
    api.ok(
        keys["publisher"],
        "publish_results",
        {"campaign": code, "table_sha256": reviewed["table_sha256"]},
    )


def cosign_latest(api: Api, witness: Cosigner) -> None:
    note = api.client.get("/v1/log/checkpoint").text
    text = note.split("\n\n")[0] + "\n"
    line = witness.cosign(text, int(api.clock.now().timestamp()))
    answer = api.client.post(
        "/v1/log/cosignatures",
        content=(note + line).encode("utf-8"),
        headers={"content-type": "text/plain; charset=utf-8"},
    )
    assert answer.status_code == 200, answer.text


@contextmanager
def published_world(home: Path) -> Iterator[PublishedWorld]:
    admin, server_key = make_home(home)
    witness = Cosigner("thanhtra.example.vn", SigningKey.generate())
    settings = make_settings(
        f"sqlite:///{home}/db.sqlite3",
        home,
        log_origin="par.example.vn/thu",
        checkpoint_interval_seconds=3600,
        witnesses=[witness.verifier_string()],
    )
    clock = ManualClock(START)
    with serving(create_app(settings, clock=clock)) as (host, port):
        url = f"http://{host}:{port}"
        with httpx.Client(base_url=url, timeout=30) as client:
            api = Api(client, clock, admin, server_key)  # type: ignore[arg-type]
            build_small_world(api)
            publish(api)
            cosign_latest(api, witness)
            yield PublishedWorld(url, api, witness, settings)
