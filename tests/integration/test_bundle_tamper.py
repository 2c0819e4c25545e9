"""A publication bundle, made from a real ledger on SQLite and on PostgreSQL, verifies
offline from the log key alone; and every way of tampering with it is found and named:
a changed, deleted, reordered or added event, a log cut short, a replaced key, a forged
checkpoint, another log's key, a number changed in the published table, a changed key
history or evidence list, and a swapped evidence file."""

from __future__ import annotations

import copy
import gzip
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from ledger.audit.bundle_format import Bundle, encode_bundle, is_hashed
from ledger.audit.bundle_verifier import BundleReport, verify_bundle
from ledger.core.canonical import canonical_bytes
from ledger.core.crypto import SigningKey
from ledger.transparency.checkpoint import Checkpoint, sign_checkpoint
from ledger.transparency.cosignature import Cosigner, add_cosignature
from ledger.transparency.note_keys import NoteSigner
from projections.publication.bundling import build_bundle
from tests.world import PDF, World, run_and_publish

CAMPAIGN = "C2023"


class Published:
    def __init__(self, world: World, tmp_path: Path) -> None:
        self.world = world
        self.publishing = world.publishing
        self.evidence = run_and_publish(world)
        self.bundle = build_bundle(self.publishing, CAMPAIGN)
        self.log_key = self.publishing.checkpoints.signer.verifier().to_string()
        self.folder = tmp_path / "evidence"
        self.folder.mkdir()
        (self.folder / self.evidence).write_bytes(PDF)

    def check(self, bundle: Bundle | bytes, **options: object) -> BundleReport:
        return verify_bundle(bundle, self.log_key, workers=2, **options)  # type: ignore[arg-type]

    def tampered(self, change: Callable[[Bundle], object]) -> BundleReport:
        bundle = copy.deepcopy(self.bundle)
        change(bundle)
        return self.check(bundle)

    def index_of(self, event_type: str, nth: int = 0) -> int:
        found = [
            i
            for i, leaf in enumerate(self.bundle.leaves)
            if not is_hashed(leaf) and orjson.loads(leaf)["type"] == event_type
        ]
        return found[nth]


@pytest.fixture
def published(world: World, tmp_path: Path) -> Published:
    return Published(world, tmp_path)


def failed(report: BundleReport, *phrases: str) -> str:
    assert not report.ok, "the tampering was not found"
    text = "\n".join(report.problems)
    for phrase in phrases:
        assert phrase in text, text
    return text


def edit_leaf(bundle: Bundle, index: int, change: Callable[[dict[str, object]], None]) -> None:
    event = orjson.loads(bundle.leaves[index])
    change(event)
    bundle.leaves[index] = canonical_bytes(event)


def test_the_bundle_verifies_from_the_log_key_and_the_evidence(published: Published) -> None:
    report = published.check(encode_bundle(published.bundle), evidence_dir=published.folder)
    assert report.ok, report.problems
    checked = "\n".join(report.checked)
    for phrase in (
        "signed by the log key",
        "rebuild the checkpoint's root hash",
        "signatures, signers enrolled, unrevoked and in scope",
        "publication 1 of C2023",
        "exactly the published table",
        "keys: the history of",
        "evidence files: the 1 files",
    ):
        assert phrase in checked, checked
    # uncompressed, too
    assert published.check(gzip.decompress(encode_bundle(published.bundle))).ok


def test_a_changed_event_is_named(published: Published) -> None:
    index = published.index_of("SelfScoreRecorded")

    def change(event: dict[str, object]) -> None:
        body = event["body"]
        assert isinstance(body, dict)
        body["points"] = "1"  # the signed inputs say 0.75

    report = published.tampered(lambda b: edit_leaf(b, index, change))
    failed(
        report,
        f"leaf {index} (Scorecard",
        "SelfScoreRecorded",
        "its rule gives 0.75",
        "do not rebuild the checkpoint's root hash",
    )


def test_a_deleted_event_is_named(published: Published) -> None:
    index = published.index_of("SelfScoreRecorded")
    report = published.tampered(lambda b: b.leaves.pop(index))
    failed(report, "events were removed", "events are missing or out of order")


def test_a_log_cut_short_is_found(published: Published) -> None:
    report = published.tampered(lambda b: b.leaves.__delitem__(slice(-3, None)))
    failed(report, f"covers {len(published.bundle.leaves)}: events were removed")


def test_reordered_events_are_named(published: Published) -> None:
    first = published.index_of("SelfScoreRecorded")

    def swap(bundle: Bundle) -> None:
        bundle.leaves[first], bundle.leaves[first + 1] = (
            bundle.leaves[first + 1],
            bundle.leaves[first],
        )

    report = published.tampered(swap)
    failed(report, "out of order", "do not rebuild the checkpoint's root hash")


def test_an_added_event_is_found(published: Published) -> None:
    report = published.tampered(lambda b: b.leaves.append(b.leaves[-1]))
    failed(report, "events were added")


def test_a_replaced_key_is_named(published: Published) -> None:
    intruder = SigningKey.generate()
    staff = published.world.keys["staff"].key_id

    def in_history(bundle: Bundle) -> None:
        for key in bundle.header["keys"]:
            if key["key_id"] == staff:
                key["public_key"] = intruder.public_key

    failed(published.tampered(in_history), f"key {staff}", "public_key")

    enrolment = next(
        i
        for i, leaf in enumerate(published.bundle.leaves)
        if not is_hashed(leaf) and orjson.loads(leaf)["body"].get("key_id") == staff
    )

    def in_the_registry(event: dict[str, object]) -> None:
        body = event["body"]
        assert isinstance(body, dict)
        body["public_key"] = intruder.public_key

    report = published.tampered(lambda b: edit_leaf(b, enrolment, in_the_registry))
    failed(report, f"leaf {enrolment} (KeyRegistry", "differs from what the signer signed")


def test_a_forged_checkpoint_and_another_log_key_are_refused(published: Published) -> None:
    note = published.bundle.header["checkpoint"]
    checkpoint = Checkpoint.from_text(note.split("\n\n")[0] + "\n")
    forger = NoteSigner(checkpoint.origin, SigningKey.generate())

    def forge(bundle: Bundle) -> None:
        bundle.header["checkpoint"] = sign_checkpoint(checkpoint, forger)

    failed(published.tampered(forge), "the checkpoint is not signed by the log key")
    report = verify_bundle(published.bundle, forger.verifier().to_string(), workers=1)
    failed(report, "the checkpoint is not signed by the log key", "its checkpoint is not signed")


def test_a_changed_number_in_the_published_table_is_named(published: Published) -> None:
    def change_score(bundle: Bundle) -> None:
        row = next(r for r in bundle.header["results"]["units"] if r["unit"] == "D1")
        row["scores"]["2.1"] = "2"

    failed(
        published.tampered(change_score),
        "unit D1, criterion 2.1: '2' in the table, the events give '1.5'",
    )

    def change_rank(bundle: Bundle) -> None:
        row = next(r for r in bundle.header["results"]["units"] if r["unit"] == "D2")
        row["rank"] = 1

    failed(published.tampered(change_rank), "unit D2: rank is 1 in the table, the events give 2")


def test_a_publication_whose_hash_the_events_do_not_give_is_found(published: Published) -> None:
    index = published.bundle.header["publication"]["leaf_index"]

    def change(event: dict[str, object]) -> None:
        body = event["body"]
        assert isinstance(body, dict)
        body["table_sha256"] = "0" * 64

    failed(
        published.tampered(lambda b: edit_leaf(b, index, change)),
        f"leaf {index}: the publication recorded the table hash",
    )


def test_a_changed_evidence_list_and_a_swapped_file_are_named(published: Published) -> None:
    def change(bundle: Bundle) -> None:
        bundle.header["evidence"][0]["file_name"] = "khac.pdf"

    failed(published.tampered(change), "evidence of unit D1, criterion 1.1")
    (published.folder / published.evidence).write_bytes(PDF + b"% swapped\n")
    report = published.check(published.bundle, evidence_dir=published.folder)
    failed(report, "evidence 'ke-hoach.pdf' of unit D1, criterion 1.1", "(swapped)")


def test_a_required_witness_must_have_cosigned(published: Published) -> None:
    witness = Cosigner("thanhtra.example.vn", SigningKey.generate())
    vkey = witness.verifier_string()
    failed(published.check(published.bundle, witnesses=[vkey]), "no valid cosignature")
    note = published.bundle.header["checkpoint"]
    line = witness.cosign(note.split("\n\n")[0] + "\n", 1_700_000_000)
    cosigned = copy.deepcopy(published.bundle)
    cosigned.header["checkpoint"] = add_cosignature(note, line)
    report = published.check(cosigned, witnesses=[vkey])
    assert report.ok, report.problems
    assert any("thanhtra.example.vn cosigned" in line for line in report.checked)


def test_what_is_not_a_bundle_is_one_clear_problem(published: Published) -> None:
    for data, phrase in (
        (b"\x1f\x8bnot gzip", "not a readable gzip file"),
        (b"{}\n", "says neither format"),
        (b"{", "cut short"),
    ):
        report = published.check(data)
        assert report.problems == [report.problems[0]]
        assert phrase in report.problems[0]
