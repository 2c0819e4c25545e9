"""A bundle of format 2 carries its own campaign in full and every other leaf as its hash:
no content of another campaign is in it, it verifies offline, and every way of hiding or
forging the new lines is found and named (a full event replaced by a made-up hash, an event
of the campaign withheld as a hash, a key revocation withheld, a head that does not match
its chain, a hashed leaf changed). A bundle of format 1 (every leaf in full) still
verifies."""

from __future__ import annotations

import copy
import gzip
from collections.abc import Callable
from datetime import timedelta

import orjson
import pytest

from ledger.audit.bundle_format import (
    FORMAT_1,
    Bundle,
    encode_bundle,
    hashed_line,
    is_hashed,
    merkle_leaf,
)
from ledger.audit.bundle_verifier import BundleReport, verify_bundle
from ledger.audit.replay import key_history, replay_log
from ledger.core.canonical import canonical_bytes
from ledger.transparency.checkpoint import Checkpoint, sign_checkpoint
from ledger.transparency.merkle import MemoryTree
from projections.publication.bundling import build_bundle, leaves_from_store, plan_bundle
from tests.world import START, World, run_and_publish, schedule

CAMPAIGN = "C2023"
OTHER = "X2024"
SECRET = "Giải trình BIMAT-X2024 chưa công bố"


class TwoCampaigns:
    """C2023 published; X2024 in progress, with a unit of its own (Q9) and a self-score
    whose explanation is confidential; a key revoked before the publication."""

    def __init__(self, world: World) -> None:
        self.world = world
        admin = world.admin
        world.send(admin, "register_unit", {"code": "Q9", "name": "Đơn vị Q9", "kind": "district"})
        world.send(
            admin,
            "create_campaign",
            {
                "code": OTHER,
                "year": 2024,
                "title": "Kỳ đánh giá 2024",
                "indicator_set": "T-SET",
                "indicator_set_version": 1,
                "units": ["D1", "Q9"],
                "schedule": schedule(),
            },
        )
        world.clock.set(START + timedelta(days=1))
        world.send(
            world.keys["staff"],
            "record_self_score",
            {
                "campaign": OTHER,
                "unit": "D1",
                "criterion": "1.1",
                "inputs": {"points": "0.5"},
                "explanation": SECRET,
            },
        )
        revoked = world.keys["staff2"].key_id
        world.send(admin, "revoke_key", {"key_id": revoked, "reason": "chuyển công tác"})
        run_and_publish(world)
        self.publishing = world.publishing
        self.bundle = build_bundle(self.publishing, CAMPAIGN)
        self.signer = self.publishing.checkpoints.signer
        self.log_key = self.signer.verifier().to_string()

    def check(self, bundle: Bundle | bytes) -> BundleReport:
        return verify_bundle(bundle, self.log_key, workers=1)

    def tampered(self, change: Callable[[Bundle], object], *, resign: bool = False) -> BundleReport:
        bundle = copy.deepcopy(self.bundle)
        change(bundle)
        if resign:  # what the log key's holder could do: sign the changed leaves' root
            note = bundle.header["checkpoint"]
            checkpoint = Checkpoint.from_text(note.split("\n\n")[0] + "\n")
            root = MemoryTree.of([merkle_leaf(x) for x in bundle.leaves]).root(len(bundle.leaves))
            forged = Checkpoint(checkpoint.origin, checkpoint.size, root)
            bundle.header["checkpoint"] = sign_checkpoint(forged, self.signer)
        return self.check(bundle)

    def full(self, event_type: str, aggregate_type: str | None = None) -> int:
        for index, line in enumerate(self.bundle.leaves):
            if is_hashed(line):
                continue
            event = orjson.loads(line)
            if event["type"] == event_type and aggregate_type in (None, event["aggregate_type"]):
                return index
        raise AssertionError(f"no {event_type} in full")


@pytest.fixture
def two(world: World) -> TwoCampaigns:
    return TwoCampaigns(world)


def failed(report: BundleReport, *phrases: str) -> str:
    assert not report.ok, "the tampering was not found"
    text = "\n".join(report.problems)
    for phrase in phrases:
        assert phrase in text, text
    return text


def test_the_bundle_holds_no_content_of_another_campaign_and_verifies(two: TwoCampaigns) -> None:
    data = encode_bundle(two.bundle)
    text = gzip.decompress(data).decode("utf-8")
    assert text.startswith('{"campaign":"C2023"')
    assert '"format":"parledger-bundle/2"' in text.splitlines()[0]
    # (the unit code is searched as a JSON string: two letters can occur in a signature)
    for other in (OTHER, "BIMAT", '"Q9"', "Kỳ đánh giá 2024"):
        assert other not in text, other
    assert "Kế hoạch" in text  # the published campaign's own explanation is carried
    hashed = [line for line in two.bundle.leaves if is_hashed(line)]
    assert hashed
    assert len(hashed) < len(two.bundle.leaves)
    report = two.check(data)
    assert report.ok, report.problems
    checked = "\n".join(report.checked)
    assert "are complete, from version 1 to the head it records" in checked
    assert f"{len(hashed)} as their leaf hash only" in checked
    assert "exactly the published table" in checked


def test_the_publication_records_the_heads_of_its_inputs(two: TwoCampaigns) -> None:
    body = orjson.loads(two.bundle.leaves[two.bundle.header["publication"]["leaf_index"]])["body"]
    kinds = sorted({h["aggregate_type"] for h in body["heads"]})
    assert kinds == ["Campaign", "IndicatorSet", "KeyRegistry", "Scorecard", "Unit"]
    assert len([h for h in body["heads"] if h["aggregate_type"] == "Scorecard"]) == 3


def test_a_full_event_replaced_by_a_made_up_hash_is_named(two: TwoCampaigns) -> None:
    index = two.full("SelfScoreRecorded")

    def made_up(bundle: Bundle) -> None:
        bundle.leaves[index] = b"ab" * 32

    failed(
        two.tampered(made_up),
        "do not rebuild the checkpoint's root hash",
        "is not complete: version 2 is not in full",
    )


def test_an_event_of_the_campaign_withheld_as_a_hash_is_named(two: TwoCampaigns) -> None:
    index = two.full("SelfScoreRecorded")
    card = orjson.loads(two.bundle.leaves[index])["aggregate_id"]

    def withhold(bundle: Bundle) -> None:
        bundle.leaves[index] = hashed_line(bundle.leaves[index])

    text = failed(two.tampered(withhold), f"Scorecard {card}: its chain up to its head")
    assert "root hash" not in text  # the log itself is intact: only the chain tells


def test_a_withheld_key_revocation_is_named(two: TwoCampaigns) -> None:
    index = two.full("KeyRevoked")

    def withhold(bundle: Bundle) -> None:
        bundle.leaves[index] = hashed_line(bundle.leaves[index])

    failed(two.tampered(withhold), "KeyRegistry", "is not in full (withheld as a hash")


def test_a_head_that_does_not_match_its_chain_is_named(two: TwoCampaigns) -> None:
    at = two.bundle.header["publication"]["leaf_index"]

    def wrong_head(bundle: Bundle) -> None:
        event = orjson.loads(bundle.leaves[at])
        head = next(h for h in event["body"]["heads"] if h["aggregate_type"] == "Campaign")
        head["event_hash"] = "0" * 64
        bundle.leaves[at] = canonical_bytes(event)

    failed(two.tampered(wrong_head, resign=True), "the head does not match its chain")


def test_a_changed_hashed_leaf_is_named(two: TwoCampaigns) -> None:
    index = next(i for i, line in enumerate(two.bundle.leaves) if is_hashed(line))

    def change(bundle: Bundle) -> None:
        line = bundle.leaves[index]
        bundle.leaves[index] = (b"0" if line[:1] != b"0" else b"1") + line[1:]

    failed(two.tampered(change), "do not rebuild the checkpoint's root hash")


def test_content_of_another_campaign_in_full_is_named(two: TwoCampaigns) -> None:
    leaves = list(leaves_from_store(two.publishing, len(two.bundle.leaves)))
    secret = next(i for i, line in enumerate(leaves) if b"BIMAT" in line)

    def reveal(bundle: Bundle) -> None:
        bundle.leaves[secret] = leaves[secret]

    failed(two.tampered(reveal), f"leaf {secret} is in full, but it is not an event")


def test_a_bundle_of_format_1_still_verifies(two: TwoCampaigns) -> None:
    plan = plan_bundle(two.publishing, CAMPAIGN)
    leaves = list(leaves_from_store(two.publishing, int(plan.checkpoint["size"])))
    registries, _, _ = replay_log(leaves)
    header = {**two.bundle.header, "format": FORMAT_1, "keys": key_history(registries.keys)}
    report = two.check(Bundle(header, leaves))
    assert report.ok, report.problems
    hashed = Bundle(header, list(two.bundle.leaves))
    failed(two.check(hashed), "holds every leaf in full")
