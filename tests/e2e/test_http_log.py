"""The public transparency log over HTTP: signed checkpoints that standard formats can
check, leaves, and inclusion and consistency proofs that verify against them."""

from __future__ import annotations

import base64
from pathlib import Path

from fastapi.testclient import TestClient

from api.bootstrap import open_runtime
from api.http.app import create_app
from ledger.application.service import stored_events
from ledger.application.settings import Settings
from ledger.demo.province import demo_clock, run_demo
from ledger.transparency.checkpoint import open_checkpoint
from ledger.transparency.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger.transparency.note_keys import NoteVerifier


def b64(items: list[str]) -> list[bytes]:
    return [base64.b64decode(item) for item in items]


def test_checkpoints_proofs_and_leaves_verify_offline(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/db.sqlite3",
        home=tmp_path / "home",
        log_origin="par.example.vn/hanoi-test",
        checkpoint_interval_seconds=3600,
    )
    seeding = open_runtime(settings, clock=demo_clock(), project=False).ledger
    run_demo(seeding)
    events = sum(1 for _ in stored_events(seeding))
    seeding.close()
    with TestClient(create_app(settings)) as client:
        key = client.get("/v1/log/key").text
        verifier = NoteVerifier.from_string(key)
        assert key.startswith("par.example.vn/hanoi-test+")
        note = client.get("/v1/log/checkpoint").text
        checkpoint = open_checkpoint(note, verifier)
        assert checkpoint.origin == "par.example.vn/hanoi-test"
        # the demo's last checkpoint: the one its publications signed (the service signs the
        # next one after checkpoint_interval_seconds)
        assert 0 < checkpoint.size <= events
        assert note.startswith(f"par.example.vn/hanoi-test\n{checkpoint.size}\n")
        events = checkpoint.size

        for index in (0, 1, events // 2, events - 1):
            leaf = client.get(f"/v1/log/leaves/{index}").content
            proof = client.get(
                "/v1/log/proof/inclusion", params={"index": index, "size": checkpoint.size}
            ).json()
            assert verify_inclusion(
                index, checkpoint.size, leaf_hash(leaf), b64(proof["hashes"]), checkpoint.root_hash
            )
            tampered = leaf.replace(b'"version":', b'"version": ', 1)
            assert not verify_inclusion(
                index,
                checkpoint.size,
                leaf_hash(tampered),
                b64(proof["hashes"]),
                checkpoint.root_hash,
            )

        earlier = client.get("/v1/log/proof/inclusion", params={"index": 0, "size": 100}).json()
        consistency = client.get(
            "/v1/log/proof/consistency", params={"from": 100, "to": checkpoint.size}
        ).json()
        assert verify_consistency(
            100,
            checkpoint.size,
            base64.b64decode(earlier["root"]),
            checkpoint.root_hash,
            b64(consistency["hashes"]),
        )

        first_event = client.get("/v1/log/leaves/0").json()
        by_id = client.get(
            f"/v1/log/events/{first_event['aggregate_id']}/{first_event['version']}"
        ).json()
        assert by_id["index"] == 0
        assert verify_inclusion(
            0,
            by_id["size"],
            leaf_hash(client.get("/v1/log/leaves/0").content),
            b64(by_id["hashes"]),
            open_checkpoint(by_id["checkpoint"], verifier).root_hash,
        )

        for path, params in (
            ("/v1/log/leaves/99999", {}),
            ("/v1/log/proof/inclusion", {"index": 5, "size": 5}),
            ("/v1/log/proof/consistency", {"from": 9, "to": 99999}),
        ):
            response = client.get(path, params=params)
            assert 400 <= response.status_code < 500
            assert response.json()["code"]
