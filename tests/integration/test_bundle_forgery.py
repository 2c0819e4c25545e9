"""Forgeries that an operator holding the log key and the server key could make: events
inserted, relabelled or dropped, with the hash chains, the publication's facts and the
checkpoints all made consistent again and signed with the real log key. The verifier must
still find each one and name it, and never raise on what a bundle holds."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from ledger.audit.bundle_format import FORMAT_1, Bundle
from ledger.audit.bundle_verifier import BundleReport, verify_bundle
from ledger.audit.replay import evidence_order, snapshot_at, table_at
from ledger.core.canonical import canonical_bytes, sha256_hex
from ledger.core.crypto import b64encode
from ledger.transparency.checkpoint import Checkpoint, sign_checkpoint
from ledger.transparency.merkle import MemoryTree, leaf_hash
from ledger.transparency.note_keys import NoteSigner
from projections.publication.bundling import build_bundle, leaves_from_store
from tests.world import World, run_and_publish

CAMPAIGN = "C2023"


def event(leaf: bytes) -> dict[str, Any]:
    found: dict[str, Any] = orjson.loads(leaf)
    return found


class Forger:
    """Holds the log key: re-chains, re-publishes and re-signs a changed bundle."""

    def __init__(
        self,
        world: World,
        campaign: str = CAMPAIGN,
        prepare: Callable[[World], object] = run_and_publish,
    ) -> None:
        self.world = world
        self.campaign = campaign
        publishing = world.publishing
        prepare(world)
        bundle = build_bundle(publishing, campaign)
        # the forgeries are of events: made on the whole log, as a bundle of format 1 holds it
        leaves = list(leaves_from_store(publishing, len(bundle.leaves)))
        self.bundle = Bundle({**bundle.header, "format": FORMAT_1}, leaves)
        self.signer: NoteSigner = publishing.checkpoints.signer
        self.log_key = self.signer.verifier().to_string()

    def copy(self) -> Bundle:
        return copy.deepcopy(self.bundle)

    def index_of(self, bundle: Bundle, event_type: str, **body: Any) -> int:
        return next(
            i
            for i, leaf in enumerate(bundle.leaves)
            if event(leaf)["type"] == event_type
            and all(event(leaf)["body"].get(k) == v for k, v in body.items())
        )

    def _rechain(self, bundle: Bundle) -> MemoryTree:
        heads: dict[str, tuple[int, str]] = {}
        for i, leaf in enumerate(bundle.leaves):
            found = event(leaf)
            head = heads.get(found["aggregate_id"])
            found["version"] = 1 if head is None else head[0] + 1
            found["prev_hash"] = "0" * 64 if head is None else head[1]
            bundle.leaves[i] = canonical_bytes(found)
            heads[found["aggregate_id"]] = (found["version"], sha256_hex(bundle.leaves[i]))
        return MemoryTree.of([leaf_hash(leaf) for leaf in bundle.leaves])

    def seal(self, bundle: Bundle) -> Bundle:
        """Make everything consistent again around the change: chains, the publication (at
        the leaves before it, with the table those leaves give), the header, the checkpoint."""
        index = self.index_of(bundle, "ResultsPublished", campaign=self.campaign)
        tree = self._rechain(bundle)
        registries, snapshot = snapshot_at(bundle.leaves, self.campaign, index)
        table = table_at(registries, self.campaign, index, snapshot.scores)
        published = event(bundle.leaves[index])
        # the publisher signed the hash of the table: the forger cannot change it
        published["body"].update(
            tree_size=index,
            root_hash=b64encode(tree.root(index)),
            units=len(table["units"]),
            checkpoint=sign_checkpoint(
                Checkpoint(self.signer.name, index, tree.root(index)), self.signer
            ),
        )
        bundle.leaves[index] = canonical_bytes(published)
        tree = self._rechain(bundle)
        published = event(bundle.leaves[index])
        bundle.header["results"] = table
        bundle.header["publication"] = {
            "leaf_index": index,
            "event_id": f"{published['aggregate_id']}/{published['version']}",
            "sequence": published["body"]["sequence"],
            "table_sha256": published["body"]["table_sha256"],
            "tree_size": index,
        }
        bundle.header["evidence"] = sorted(snapshot.evidence, key=evidence_order)
        bundle.header["checkpoint"] = sign_checkpoint(
            Checkpoint(self.signer.name, len(bundle.leaves), tree.root()), self.signer
        )
        return bundle

    def check(self, bundle: Bundle, **options: Any) -> BundleReport:
        return verify_bundle(bundle, self.log_key, workers=2, **options)


@pytest.fixture
def forger(world: World) -> Forger:
    return Forger(world)


def named(report: BundleReport, *phrases: str) -> None:
    assert not report.ok, "the forgery passed"
    text = "\n".join(report.problems)
    for phrase in phrases:
        assert phrase in text, text


def test_a_resealed_bundle_without_a_change_verifies(forger: Forger) -> None:
    """The forger's tools leave a genuine bundle genuine."""
    report = forger.check(forger.seal(forger.copy()))
    assert report.ok, report.problems


def test_a_revocation_relabelled_as_another_aggregate_is_named(
    world: World, forger: Forger
) -> None:
    bundle = forger.copy()
    survey = world.keys["survey"]
    scores = forger.index_of(bundle, "ExternalScoreRecorded")
    command = world.command(world.admin, "revoke_key", {"key_id": survey.key_id, "reason": "x"})
    hidden = {
        **event(bundle.leaves[scores]),
        "aggregate_type": "Unit",
        "type": "KeyRevoked",
        "body": {"key_id": survey.key_id, "reason": "x"},
        "command": command.envelope(),
    }
    bundle.leaves.insert(scores, canonical_bytes(hidden))
    report = forger.check(forger.seal(bundle))
    named(report, "a KeyRevoked event belongs to a KeyRegistry, not a Unit")


def test_a_score_relabelled_out_of_the_table_is_named(forger: Forger) -> None:
    bundle = forger.copy()
    index = forger.index_of(bundle, "ExternalScoreRecorded", unit="D1")
    relabelled = {**event(bundle.leaves[index]), "aggregate_type": "Unit"}
    bundle.leaves[index] = canonical_bytes(relabelled)
    named(
        forger.check(forger.seal(bundle)),
        "a ExternalScoreRecorded event belongs to a Scorecard, not a Unit",
    )


def test_a_scorecard_opened_again_by_the_server_key_is_named(world: World, forger: Forger) -> None:
    bundle = forger.copy()
    opened = forger.index_of(bundle, "ScorecardOpened", unit="D1")
    accepted = forger.index_of(bundle, "SelfScoresAccepted", unit="D1")
    args = event(bundle.leaves[opened])["command"]["command"]["args"]
    again = {
        **event(bundle.leaves[opened]),
        "recorded_at": event(bundle.leaves[accepted])["recorded_at"],
        "command": world.command(world.server, "open_scorecard", args).envelope(),
    }
    bundle.leaves.insert(accepted + 1, canonical_bytes(again))
    named(
        forger.check(forger.seal(bundle)),
        "a ScorecardOpened event opens its aggregate at version 1",
        "unit D1 already has a scorecard in this campaign",
    )


def test_a_unit_dropped_from_the_ranking_is_named(forger: Forger) -> None:
    bundle = forger.copy()
    bundle.leaves = [
        leaf
        for leaf in bundle.leaves
        if not (
            event(leaf)["aggregate_type"] == "Scorecard" and event(leaf)["body"]["unit"] == "D2"
        )
    ]
    named(forger.check(forger.seal(bundle)), "unit D2 of campaign C2023 has no scorecard")


def test_a_second_genesis_is_named(world: World, forger: Forger) -> None:
    bundle = forger.copy()
    genesis = event(bundle.leaves[0])
    bundle.leaves.insert(5, canonical_bytes(genesis))
    named(forger.check(forger.seal(bundle)), "LedgerInitialised event opens its aggregate")


def test_a_publication_without_its_checkpoint_or_out_of_sequence_is_named(
    forger: Forger,
) -> None:
    for change, phrase in (
        (lambda body: body.pop("checkpoint"), "it names no checkpoint of the leaves before it"),
        (lambda body: body.update(sequence=2), "its 'sequence' is 2; the signed facts give 1"),
        (lambda body: body.update(root_hash=b64encode(bytes(32))), "not the size and root"),
    ):
        bundle = forger.copy()
        index = forger.index_of(bundle, "ResultsPublished")
        changed = event(bundle.leaves[index])
        change(changed["body"])
        bundle.leaves[index] = canonical_bytes(changed)
        tree = MemoryTree.of([leaf_hash(leaf) for leaf in bundle.leaves])
        bundle.header["checkpoint"] = sign_checkpoint(
            Checkpoint(forger.signer.name, len(bundle.leaves), tree.root()), forger.signer
        )
        named(forger.check(bundle), phrase)


def test_the_header_must_say_what_the_events_say(forger: Forger) -> None:
    bundle = forger.copy()
    bundle.header["ledger"] = "another.example.vn"
    named(forger.check(bundle), "the header names ledger 'another.example.vn'")
    bundle = forger.copy()
    bundle.header["publication"]["sequence"] = 7
    named(forger.check(bundle), "the header's publication is not what leaf")


def test_the_genesis_can_be_pinned(forger: Forger) -> None:
    genesis = sha256_hex(forger.bundle.leaves[0])
    assert forger.check(forger.bundle, genesis=genesis).ok
    named(forger.check(forger.bundle, genesis="0" * 64), "this is another ledger")


@pytest.mark.parametrize(
    "change",
    [
        lambda h: h.update(results={"units": [{"unit": ["x"]}]}),
        lambda h: h.update(keys=[{"key_id": ["x"]}, 5]),
        lambda h: h.update(evidence=[{"unit": ["x"]}, 5]),
        lambda h: h.update(publication={"leaf_index": True}),
        lambda h: h.update(results={"units": "x"}),
    ],
)
def test_a_garbled_header_is_reported_not_raised(forger: Forger, change: Any) -> None:
    bundle = forger.copy()
    change(bundle.header)
    assert not forger.check(bundle).ok


def test_an_event_nested_too_deep_is_reported_not_raised(forger: Forger) -> None:
    bundle = forger.copy()
    index = forger.index_of(bundle, "SelfScoreRecorded")
    deep: Any = "x"
    for _ in range(300):
        deep = [deep]
    changed = event(bundle.leaves[index])
    changed["body"]["note"] = deep
    bundle.leaves[index] = canonical_bytes(changed)
    named(forger.check(bundle), f"leaf {index}: cannot be read")
