"""Publication of results over HTTP, end to end: the publisher reviews the table and
publishes exactly what they reviewed, anyone reads the published table (JSON, CSV, earlier
sequences), checks its checkpoint and the log's consistency between publications, takes a
bundle that verifies offline, and witnesses cosign the log's checkpoints."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.audit.bundle_format import decode_bundle, encode_bundle
from ledger.audit.bundle_verifier import verify_bundle
from ledger.core.clock import ManualClock
from ledger.core.crypto import SigningKey, b64decode, b64encode
from ledger.transparency.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.transparency.cosignature import Cosigner, add_cosignature
from ledger.transparency.merkle import verify_consistency
from ledger.transparency.note import open_note
from ledger.transparency.note_keys import NoteSigner, NoteVerifier, parse_signature_line
from tests.e2e.http_support import (
    CAMPAIGN,
    Api,
    build_small_world,
    is_problem,
    make_home,
    make_settings,
    running,
)
from tests.world import START, publication_steps

ORIGIN = "par.example.vn/test"
CODE = "P2022"
UNITS = ("D1", "S1")


# -- the service and its world ---------------------------------------------------------------


@contextmanager
def service(tmp_path: Path, database_url: str | None = None, **overrides: Any) -> Iterator[Api]:
    """The service on a fresh store (SQLite unless told) with the small world built through
    the API and a publisher enrolled; no checkpoint is signed in the background while a test
    runs."""
    home = tmp_path / "home"
    admin, server = make_home(home)
    settings = make_settings(
        database_url or f"sqlite:///{tmp_path}/db.sqlite3",
        home,
        log_origin=ORIGIN,
        checkpoint_interval_seconds=3600,
        **overrides,
    )
    with running(settings, ManualClock(START), admin, server) as api:
        build_small_world(api)
        api.enrol("publisher", [{"role": "publisher", "scope": []}])
        yield api


def keys_of(api: Api) -> dict[str, SigningKey]:
    return {**api.keys, "admin": api.admin}


def finalise(api: Api, code: str = CODE) -> None:
    """Every step of tests.world.publication_steps but the publication itself."""
    keys = keys_of(api)
    steps = publication_steps(code, api.clock.now(), UNITS)
    assert steps[-1][1] == "publish_results"
    for role, command_type, args in steps[:-1]:
        api.ok(keys[role], command_type, args)


def preview(api: Api, code: str = CODE) -> dict[str, Any]:
    body: dict[str, Any] = api.read(f"/v1/campaigns/{code}/results/preview", api.keys["publisher"])
    return body


def publish(api: Api, code: str = CODE) -> dict[str, Any]:
    """Review the table, publish exactly it; the new publication as listed."""
    reviewed = preview(api, code)["table_sha256"]
    api.ok(api.keys["publisher"], "publish_results", {"campaign": code, "table_sha256": reviewed})
    items = publications(api, code)
    assert items[-1]["table_sha256"] == reviewed
    return items[-1]


def publications(api: Api, code: str = CODE) -> list[dict[str, Any]]:
    response = api.get(f"/v1/campaigns/{code}/publications")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["campaign"] == code
    items: list[dict[str, Any]] = body["items"]
    return items


def correct_d1(api: Api, code: str = CODE) -> None:
    api.ok(
        api.keys["secretariat"],
        "correct_score",
        {
            "campaign": code,
            "unit": "D1",
            "criterion": "1.1",
            "points": "1",
            "reason": "Kết quả phúc tra",
        },
    )


def log_key(api: Api) -> str:
    response = api.get("/v1/log/key")
    assert response.status_code == 200, response.text
    return response.text.strip()


def latest_checkpoint(api: Api) -> str:
    response = api.get("/v1/log/checkpoint")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def problem_code(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert is_problem(response), response.text
    return str(response.json()["code"])


def text_of(note: str) -> str:
    """The checkpoint text of a signed note (what a witness cosigns)."""
    return note.split("\n\n")[0] + "\n"


def post_note(api: Api, note: str) -> httpx.Response:
    return api.client.post(
        "/v1/log/cosignatures",
        content=note.encode("utf-8"),
        headers={"content-type": "text/plain; charset=utf-8"},
    )


def timestamp(api: Api) -> int:
    return int(api.clock.now().timestamp())


def bundle_of(api: Api, code: str = CODE) -> bytes:
    response = api.get(f"/v1/campaigns/{code}/bundle")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/gzip")
    assert response.content[:2] == b"\x1f\x8b"
    return response.content


# -- before a publication --------------------------------------------------------------------


def test_nothing_is_served_before_a_publication(tmp_path: Path) -> None:
    with service(tmp_path) as api:
        finalise(api)
        for code in (CODE, CAMPAIGN):
            for path in (f"/v1/campaigns/{code}/results", f"/v1/campaigns/{code}/bundle"):
                assert problem_code(api.get(path), 404) == "not_published", path
            csv_answer = api.get(f"/v1/campaigns/{code}/results", format="csv")
            assert problem_code(csv_answer, 404) == "not_published"
            assert publications(api, code) == []
        # a campaign that does not exist is not "unpublished"
        missing = api.get("/v1/campaigns/NONE/results")
        assert problem_code(missing, 404) == "not_found"


def test_a_campaign_not_finalised_cannot_be_published(tmp_path: Path) -> None:
    with service(tmp_path) as api:
        publisher = api.keys["publisher"]
        reviewed = api.read(f"/v1/campaigns/{CAMPAIGN}/results/preview", publisher)
        body = api.refused(
            publisher,
            "publish_results",
            {"campaign": CAMPAIGN, "table_sha256": reviewed["table_sha256"]},
            409,
            "not_finalised",
        )
        assert CAMPAIGN in body["detail"]
        assert publications(api, CAMPAIGN) == []
        assert problem_code(api.get(f"/v1/campaigns/{CAMPAIGN}/results"), 404) == "not_published"


def test_the_preview_needs_a_token(tmp_path: Path) -> None:
    with service(tmp_path) as api:
        finalise(api)
        answer = api.get(f"/v1/campaigns/{CODE}/results/preview")
        assert problem_code(answer, 401) == "token_missing"


# -- a publication -----------------------------------------------------------------------------


def test_the_published_table_is_the_reviewed_one_and_its_checkpoint_verifies(
    tmp_path: Path,
) -> None:
    with service(tmp_path) as api:
        finalise(api)
        reviewed = preview(api)
        digest = reviewed["table_sha256"]
        before = api.position()
        receipt = api.ok(
            api.keys["publisher"], "publish_results", {"campaign": CODE, "table_sha256": digest}
        )
        assert receipt["event_type"] == "ResultsPublished"
        assert api.position() == before + 1

        # the table, public, exactly the bytes whose hash was reviewed and recorded
        response = api.get(f"/v1/campaigns/{CODE}/results")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert hashlib.sha256(response.content).hexdigest() == digest
        assert response.headers["x-content-sha256"] == digest
        assert response.headers["x-publication-sequence"] == "1"
        table = response.json()
        assert table == reviewed["table"]
        assert table["format"] == "parledger-results/1"
        assert table["campaign"]["code"] == CODE
        assert sorted(row["unit"] for row in table["units"]) == sorted(UNITS)

        # the CSV rendering: a header row, one row per unit
        spreadsheet = api.get(f"/v1/campaigns/{CODE}/results", format="csv")
        assert spreadsheet.status_code == 200, spreadsheet.text
        assert spreadsheet.headers["content-type"].startswith("text/csv")
        assert spreadsheet.headers["x-content-sha256"] == digest
        assert spreadsheet.content.startswith(b"\xef\xbb\xbf")  # UTF-8 for Excel
        rows = list(csv.reader(io.StringIO(spreadsheet.text.removeprefix("\ufeff"))))
        assert ",".join(rows[0]).startswith("ranking_group,rank,of,unit,name")
        assert [leaf["code"] for leaf in table["leaves"]] == rows[0][-len(table["leaves"]) :]
        assert len(rows) == 1 + len(UNITS)
        assert [row[3] for row in rows[1:]] == [row["unit"] for row in table["units"]]

        # the publication as listed
        (publication,) = publications(api)
        assert publication["sequence"] == 1
        assert publication["campaign"] == CODE
        assert publication["table_sha256"] == digest
        assert publication["units"] == len(UNITS)
        size = publication["tree_size"]
        assert isinstance(size, int)
        assert size > 0

        # its checkpoint verifies under the log's key and covers tree_size leaves
        key = log_key(api)
        assert key.startswith(ORIGIN + "+")
        verifier = NoteVerifier.from_string(key)
        checkpoint = open_checkpoint(publication["checkpoint"], verifier)
        assert checkpoint.origin == ORIGIN
        assert checkpoint.size == size
        assert checkpoint.root_hash == base64.b64decode(publication["root_hash"])

        # the latest checkpoint covers the publication event itself
        latest = open_checkpoint(latest_checkpoint(api), verifier)
        assert latest.size > size
        assert latest.size == api.position()
        proof = api.get("/v1/log/proof/consistency", **{"from": size, "to": latest.size}).json()
        assert verify_consistency(
            size,
            latest.size,
            checkpoint.root_hash,
            latest.root_hash,
            [base64.b64decode(h) for h in proof["hashes"]],
        )


def test_a_publication_without_the_reviewed_hash_is_refused_and_records_nothing(
    tmp_path: Path,
) -> None:
    with service(tmp_path) as api:
        finalise(api)
        before = api.position()
        body = api.refused(
            api.keys["publisher"], "publish_results", {"campaign": CODE}, 422, "invalid_input"
        )
        assert body["field"] == "command.args.table_sha256"
        assert api.position() == before
        assert publications(api) == []
        # the publisher signs the hash of the table they reviewed: that one is published
        digest = preview(api)["table_sha256"]
        api.ok(api.keys["publisher"], "publish_results", {"campaign": CODE, "table_sha256": digest})
        (publication,) = publications(api)
        assert publication["table_sha256"] == digest


def test_a_changed_table_or_an_unchanged_one_is_refused(tmp_path: Path) -> None:
    with service(tmp_path) as api:
        finalise(api)
        publisher = api.keys["publisher"]
        body = api.refused(
            publisher,
            "publish_results",
            {"campaign": CODE, "table_sha256": "0" * 64},
            409,
            "table_changed",
        )
        assert "0" * 64 in body["detail"]
        assert publications(api) == []

        first = publish(api)
        reviewed = preview(api)["table_sha256"]
        assert reviewed == first["table_sha256"]
        api.refused(
            publisher,
            "publish_results",
            {"campaign": CODE, "table_sha256": reviewed},
            409,
            "already_published",
        )
        assert len(publications(api)) == 1


def test_a_correction_calls_for_a_second_publication_consistent_with_the_first(
    tmp_path: Path,
) -> None:
    with service(tmp_path) as api:
        finalise(api)
        first = publish(api)
        first_table = api.get(f"/v1/campaigns/{CODE}/results").content

        correct_d1(api)
        changed = preview(api)
        assert changed["table_sha256"] != first["table_sha256"]
        (d1,) = [row for row in changed["table"]["units"] if row["unit"] == "D1"]
        assert d1["scores"]["1.1"] == "1"
        # the reviewed hash of the first table no longer matches
        api.refused(
            api.keys["publisher"],
            "publish_results",
            {"campaign": CODE, "table_sha256": first["table_sha256"]},
            409,
            "table_changed",
        )

        second = publish(api)
        assert second["sequence"] == 2
        assert second["table_sha256"] == changed["table_sha256"]
        assert second["tree_size"] > first["tree_size"]
        assert [p["sequence"] for p in publications(api)] == [1, 2]

        # the log between the two publications only grew
        proof = api.get(
            "/v1/log/proof/consistency",
            **{"from": first["tree_size"], "to": second["tree_size"]},
        )
        assert proof.status_code == 200, proof.text
        assert verify_consistency(
            first["tree_size"],
            second["tree_size"],
            base64.b64decode(first["root_hash"]),
            base64.b64decode(second["root_hash"]),
            [base64.b64decode(h) for h in proof.json()["hashes"]],
        )
        verifier = NoteVerifier.from_string(log_key(api))
        for publication in (first, second):
            checkpoint = open_checkpoint(publication["checkpoint"], verifier)
            assert checkpoint.size == publication["tree_size"]
            assert checkpoint.root_hash == base64.b64decode(publication["root_hash"])

        # the latest table is the second; ?sequence=1 still serves the first
        latest = api.get(f"/v1/campaigns/{CODE}/results")
        assert hashlib.sha256(latest.content).hexdigest() == second["table_sha256"]
        assert latest.headers["x-publication-sequence"] == "2"
        earlier = api.get(f"/v1/campaigns/{CODE}/results", sequence=1)
        assert earlier.status_code == 200, earlier.text
        assert earlier.content == first_table
        assert hashlib.sha256(earlier.content).hexdigest() == first["table_sha256"]
        assert earlier.headers["x-content-sha256"] == first["table_sha256"]
        assert earlier.headers["x-publication-sequence"] == "1"
        earlier_csv = api.get(f"/v1/campaigns/{CODE}/results", sequence=1, format="csv")
        assert earlier_csv.headers["x-content-sha256"] == first["table_sha256"]
        absent = api.get(f"/v1/campaigns/{CODE}/results", sequence=3)
        assert problem_code(absent, 404) == "not_found"


# -- the bundle --------------------------------------------------------------------------------


def test_the_bundle_verifies_offline_and_a_tampered_score_is_named(tmp_path: Path) -> None:
    with service(tmp_path) as api:
        finalise(api)
        publication = publish(api)
        key = log_key(api)
        data = bundle_of(api)

        report = verify_bundle(data, key)
        assert report.ok, report.problems
        assert any(
            line.startswith(f"publication 1 of {CODE} at leaf ") for line in report.checked
        ), report.checked
        assert any(line.startswith(f"results: {len(UNITS)} units") for line in report.checked), (
            report.checked
        )
        bundle = decode_bundle(data)
        assert bundle.header["campaign"] == CODE
        assert bundle.header["publication"]["sequence"] == 1
        assert bundle.header["publication"]["table_sha256"] == publication["table_sha256"]
        assert bundle.header["publication"]["tree_size"] == publication["tree_size"]
        assert bundle.header["results"] == api.get(f"/v1/campaigns/{CODE}/results").json()
        assert open_checkpoint(bundle.header["checkpoint"], NoteVerifier.from_string(key)).size == (
            len(bundle.leaves)
        )

        (row,) = [r for r in bundle.header["results"]["units"] if r["unit"] == "D1"]
        assert row["scores"]["2.1"] == "1.5"
        row["scores"]["2.1"] = "2"
        tampered = verify_bundle(encode_bundle(bundle), key)
        assert not tampered.ok
        assert any("unit D1, criterion 2.1" in p for p in tampered.problems), tampered.problems

        # and another log's key does not accept the genuine bundle
        other = NoteSigner(ORIGIN, SigningKey.generate()).verifier().to_string()
        assert not verify_bundle(data, other).ok


def test_the_bundle_follows_the_latest_publication(tmp_path: Path) -> None:
    with service(tmp_path) as api:
        finalise(api)
        publish(api)
        correct_d1(api)
        second = publish(api)
        key = log_key(api)
        data = bundle_of(api)
        report = verify_bundle(data, key)
        assert report.ok, report.problems
        header = decode_bundle(data).header
        assert header["publication"]["sequence"] == 2
        assert header["publication"]["table_sha256"] == second["table_sha256"]
        for sequence in (1, 2):
            assert any(
                line.startswith(f"publication {sequence} of {CODE} at leaf ")
                for line in report.checked
            ), report.checked


# -- witnesses ---------------------------------------------------------------------------------


@pytest.fixture
def witness() -> Cosigner:
    return Cosigner("thanhtra.example.vn", SigningKey.generate())


def test_a_witness_cosigns_the_checkpoint_and_the_bundle_carries_it(
    tmp_path: Path, witness: Cosigner
) -> None:
    vkey = witness.verifier_string()
    with service(tmp_path, witnesses=[vkey]) as api:
        listed = api.get("/v1/log/witnesses")
        assert listed.status_code == 200, listed.text
        assert listed.json() == {"witnesses": [vkey]}

        finalise(api)
        publish(api)
        key = log_key(api)
        verifier = NoteVerifier.from_string(key)
        note = latest_checkpoint(api)
        assert open_checkpoint(note, verifier).size == api.position()

        line = witness.cosign(text_of(note), timestamp(api))
        answer = post_note(api, add_cosignature(note, line))
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/plain")
        assert answer.text == add_cosignature(note, line)

        served = latest_checkpoint(api)
        assert served.endswith(line)
        assert served == note + line
        assert open_checkpoint(served, verifier) == open_checkpoint(note, verifier)
        text, verified = open_note(served, [witness.verifier()])
        assert text == text_of(note)
        assert verified == [line]

        # sending it again changes nothing
        again = post_note(api, add_cosignature(note, line))
        assert again.status_code == 200, again.text
        assert latest_checkpoint(api) == served

        data = bundle_of(api)
        bundle = decode_bundle(data)
        assert bundle.header["checkpoint"] == served
        report = verify_bundle(data, key, witnesses=[vkey])
        assert report.ok, report.problems
        assert any(witness.name in line for line in report.checked), report.checked

        stranger = Cosigner("kiemtoan.example.vn", SigningKey.generate())
        other = verify_bundle(data, key, witnesses=[stranger.verifier_string()])
        assert not other.ok
        assert any(stranger.verifier_string() in p for p in other.problems), other.problems


def test_the_bundle_without_a_cosignature_fails_a_witness_check(
    tmp_path: Path, witness: Cosigner
) -> None:
    vkey = witness.verifier_string()
    with service(tmp_path, witnesses=[vkey]) as api:
        finalise(api)
        publish(api)
        data = bundle_of(api)
        key = log_key(api)
        assert verify_bundle(data, key).ok
        report = verify_bundle(data, key, witnesses=[vkey])
        assert not report.ok
        assert any(vkey in p for p in report.problems), report.problems


def test_cosignatures_that_the_log_must_refuse(tmp_path: Path, witness: Cosigner) -> None:
    vkey = witness.verifier_string()
    with service(tmp_path, witnesses=[vkey]) as api:
        finalise(api)
        publish(api)
        note = latest_checkpoint(api)
        text = text_of(note)
        checkpoint = Checkpoint.from_text(text)

        # a witness this log does not know
        stranger = Cosigner("kiemtoan.example.vn", SigningKey.generate())
        answer = post_note(api, add_cosignature(note, stranger.cosign(text, timestamp(api))))
        assert problem_code(answer, 422) == "unknown_witness"

        # the known witness's line with one byte of its signature flipped
        line = witness.cosign(text, timestamp(api))
        signature = parse_signature_line(line)
        payload = bytearray(signature.key_id.to_bytes(4, "big") + signature.signature)
        payload[-1] ^= 0x01
        flipped = f"\u2014 {signature.name} {b64encode(bytes(payload))}\n"
        assert b64decode(b64encode(bytes(payload)), "x") == bytes(payload)
        answer = post_note(api, add_cosignature(note, flipped))
        assert problem_code(answer, 422) == "invalid_signature"

        # the witness's line over a checkpoint text it was not made for
        moved = Checkpoint(ORIGIN, checkpoint.size, bytes(32)).to_text()
        answer = post_note(api, add_cosignature(note, witness.cosign(moved, timestamp(api))))
        assert problem_code(answer, 422) == "invalid_signature"

        # a checkpoint the log never signed: another size, signed by another key
        forger = NoteSigner(ORIGIN, SigningKey.generate())
        forged = sign_checkpoint(Checkpoint(ORIGIN, checkpoint.size + 5, bytes(32)), forger)
        forged_text = text_of(forged)
        answer = post_note(api, add_cosignature(forged, witness.cosign(forged_text, 1)))
        assert 400 <= answer.status_code < 500, answer.text
        assert is_problem(answer), answer.text
        assert answer.json()["code"] in {"unverified_note", "unknown_checkpoint"}, answer.text

        # the log's own checkpoint with its root changed (the log's line no longer verifies)
        altered_text = Checkpoint(ORIGIN, checkpoint.size, bytes(32)).to_text()
        altered = altered_text + note[len(text) :]
        answer = post_note(api, add_cosignature(altered, witness.cosign(altered_text, 1)))
        assert problem_code(answer, 422) == "invalid_signature"

        # a note that is no note
        assert problem_code(post_note(api, "not a checkpoint\n"), 422)

        # none of these left a cosignature behind
        assert latest_checkpoint(api) == note
        assert verify_bundle(bundle_of(api), log_key(api), witnesses=[vkey]).problems


def test_a_checkpoint_of_a_size_the_log_never_signed_is_unknown(
    tmp_path: Path, witness: Cosigner
) -> None:
    """Even signed by the log's own key, a checkpoint the log did not make is refused."""
    vkey = witness.verifier_string()
    with service(tmp_path, witnesses=[vkey]) as api:
        finalise(api)
        publish(api)
        note = latest_checkpoint(api)
        size = Checkpoint.from_text(text_of(note)).size
        signer = NoteSigner(ORIGIN, SigningKey.load(tmp_path / "home" / "keys" / "log.key"))
        assert signer.verifier().to_string() == log_key(api)
        never = sign_checkpoint(Checkpoint(ORIGIN, size + 1, bytes(32)), signer)
        line = witness.cosign(text_of(never), timestamp(api))
        answer = post_note(api, add_cosignature(never, line))
        assert problem_code(answer, 404) == "unknown_checkpoint"
        assert latest_checkpoint(api) == note


def test_a_witness_may_cosign_an_earlier_checkpoint(tmp_path: Path, witness: Cosigner) -> None:
    """The publication's own checkpoint (of tree_size leaves) can be cosigned too; the
    bundle still uses a checkpoint that covers the publication."""
    vkey = witness.verifier_string()
    with service(tmp_path, witnesses=[vkey]) as api:
        finalise(api)
        publication = publish(api)
        earlier = publication["checkpoint"]
        line = witness.cosign(text_of(earlier), timestamp(api))
        answer = post_note(api, add_cosignature(earlier, line))
        assert answer.status_code == 200, answer.text
        assert answer.text == earlier + line
        # the latest checkpoint is not the one cosigned
        assert not latest_checkpoint(api).endswith(line)
        data = bundle_of(api)
        report = verify_bundle(data, log_key(api))
        assert report.ok, report.problems
        header = decode_bundle(data).header
        assert header["publication"]["leaf_index"] < len(decode_bundle(data).leaves)


def test_the_bundle_keeps_to_the_cosigned_checkpoint_while_the_log_grows(
    tmp_path: Path, witness: Cosigner
) -> None:
    vkey = witness.verifier_string()
    with service(tmp_path, witnesses=[vkey]) as api:
        finalise(api)
        publish(api)
        note = latest_checkpoint(api)
        line = witness.cosign(text_of(note), timestamp(api))
        assert post_note(api, add_cosignature(note, line)).status_code == 200
        size = Checkpoint.from_text(text_of(note)).size
        api.enrol("reader", [{"role": "publisher", "scope": []}])
        assert api.position() > size
        data = bundle_of(api)
        bundle = decode_bundle(data)
        assert bundle.header["checkpoint"] == note + line
        assert len(bundle.leaves) == size
        report = verify_bundle(data, log_key(api), witnesses=[vkey])
        assert report.ok, report.problems


def test_a_refused_note_leaves_no_cosignature_behind(tmp_path: Path) -> None:
    """A note whose lines are one good cosignature and one that does not verify is refused
    (422); the refusal must not keep the good line either."""
    good = Cosigner("a.example.vn", SigningKey.generate())
    bad = Cosigner("b.example.vn", SigningKey.generate())
    witnesses = [good.verifier_string(), bad.verifier_string()]
    with service(tmp_path, witnesses=witnesses) as api:
        finalise(api)
        publish(api)
        note = latest_checkpoint(api)
        text = text_of(note)
        signature = parse_signature_line(bad.cosign(text, timestamp(api)))
        payload = bytearray(signature.key_id.to_bytes(4, "big") + signature.signature)
        payload[-1] ^= 0x01
        flipped = f"\u2014 {signature.name} {b64encode(bytes(payload))}\n"
        answer = post_note(api, note + good.cosign(text, timestamp(api)) + flipped)
        assert problem_code(answer, 422) == "invalid_signature"
        assert latest_checkpoint(api) == note


def test_publication_bundle_and_witness_on_postgresql(
    tmp_path: Path, pg_url: str, witness: Cosigner
) -> None:
    vkey = witness.verifier_string()
    with service(tmp_path, pg_url, witnesses=[vkey]) as api:
        finalise(api)
        first = publish(api)
        correct_d1(api)
        second = publish(api)
        assert (first["sequence"], second["sequence"]) == (1, 2)
        assert first["table_sha256"] != second["table_sha256"]
        for publication in (first, second):
            table = api.get(f"/v1/campaigns/{CODE}/results", sequence=publication["sequence"])
            assert hashlib.sha256(table.content).hexdigest() == publication["table_sha256"]
        proof = api.get(
            "/v1/log/proof/consistency",
            **{"from": first["tree_size"], "to": second["tree_size"]},
        ).json()
        assert verify_consistency(
            first["tree_size"],
            second["tree_size"],
            base64.b64decode(first["root_hash"]),
            base64.b64decode(second["root_hash"]),
            [base64.b64decode(h) for h in proof["hashes"]],
        )
        key = log_key(api)
        note = latest_checkpoint(api)
        assert open_checkpoint(note, NoteVerifier.from_string(key)).size > second["tree_size"]
        line = witness.cosign(text_of(note), timestamp(api))
        assert post_note(api, add_cosignature(note, line)).status_code == 200
        assert latest_checkpoint(api) == note + line
        report = verify_bundle(bundle_of(api), key, witnesses=[vkey])
        assert report.ok, report.problems
