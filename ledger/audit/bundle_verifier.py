"""Checks a publication bundle offline, from its bytes and the log's public key alone.

:func:`verify_bundle` checks, and reports what it checked and exactly what differs
(docs/FORMATS.md §14):

1. the checkpoint: signed by the log key (C2SP signed note), and cosigned by every witness
   asked for (C2SP tlog-cosignature); with a genesis pin, the log is that ledger's;
2. the log: the bundle's leaves are as many as the checkpoint says, and their RFC 9162
   tree head is the checkpoint's root;
3. every event: canonical (RFC 8785) bytes, an event of its aggregate's kind at the version
   its kind opens or follows, linking to its aggregate's previous hash, caused by a
   well-formed command signed (Ed25519) by a key that was enrolled, unrevoked and in scope
   just before it, and a body that is exactly its signed arguments and the members the
   ledger derives (ledger.domain.derivations), whatever its campaign;
4. the publications: the header's is the campaign's latest, and every publication's
   checkpoint is signed by the log key and is a prefix of this log;
5. the result tables: replaying the events up to each publication's checkpoint gives
   exactly the table whose SHA-256 it recorded, with one row for each of the campaign's
   units; the bundle's own table is in its header;
6. the key registry's history and the evidence list in the header: exactly what the events
   give; with an evidence directory, every file's bytes hash to the recorded hash.

The work on events is spread over forked processes (all cores by default), each taking
whole aggregates (ledger.audit.parallel_checks). Nothing here reads a database or the
network, and no bytes make it raise: whatever is wrong is a problem in the report."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ledger.audit.bundle_checks import (
    BundleReport,
    Verification,
    check_evidence,
    check_keys,
    check_publications,
    check_tables,
)
from ledger.audit.bundle_format import (
    BadLeaf,
    Bundle,
    Leaves,
    encode_bundle,
    read_bundle,
    read_leaf,
)
from ledger.audit.parallel_checks import (
    ONE_AT_A_TIME,
    PARTS_PER_WORKER,
    Job,
    Running,
    is_scorecard_leaf,
    leaf_name,
    merged_snapshots,
    partition,
)
from ledger.audit.replay import CardSnapshot, Registries, evidence_order
from ledger.core.errors import LedgerError
from ledger.transparency.merkle import MemoryTree, leaf_hash

__all__ = ["BundleReport", "verify_bundle"]


def verify_bundle(
    source: bytes | Bundle,
    log_key: str,
    *,
    witnesses: Sequence[str] = (),
    genesis: str | None = None,
    evidence_dir: Path | None = None,
    workers: int | None = None,
) -> BundleReport:
    """Check a bundle against the log's note verifier key (``<name>+<id>+<key>``), the
    cosignatures of ``witnesses`` (their verifier keys) and, if given, the hash of the
    ledger's genesis event."""
    try:
        data = encode_bundle(source, compress=False) if isinstance(source, Bundle) else source
        header, leaves = read_bundle(data)
    except LedgerError as error:
        return BundleReport(problems=[f"not a bundle: {error}"])
    with ONE_AT_A_TIME:
        return _verify(
            header,
            leaves,
            log_key,
            witnesses,
            genesis,
            evidence_dir,
            workers or os.cpu_count() or 1,
        )


def verify_leaves(
    leaves: Sequence[bytes], log_key: str, workers: int | None = None
) -> BundleReport:
    """The checks of a bundle's events and publications on a log's leaves alone (no header):
    what ``parledger verify`` runs on the leaves of its store."""
    blob = b"".join(leaf + b"\n" for leaf in leaves)
    _, parsed = read_bundle(b'{"format":"parledger-bundle/1"}\n' + blob)
    with ONE_AT_A_TIME:
        run = Verification({}, parsed, log_key)
        run.verifier = run.log_verifier()
        _check_log(run, parsed, workers or os.cpu_count() or 1, None)
        return run.report


def _verify(
    header: dict[str, Any],
    leaves: Leaves,
    log_key: str,
    witnesses: Sequence[str],
    genesis: str | None,
    evidence_dir: Path | None,
    workers: int,
) -> BundleReport:
    run = Verification(header, leaves, log_key)
    campaign = run.member("campaign", str)
    size = run.checkpoint(witnesses)
    if size is not None and size != len(leaves):
        run.fail(
            f"the bundle holds {len(leaves)} events but the checkpoint covers {size}: events "
            f"were {'removed' if len(leaves) < size else 'added'}"
        )
    if genesis is not None:
        first = hashlib.sha256(leaves[0]).hexdigest() if len(leaves) else None
        if first == genesis:
            run.ok(f"genesis: leaf 0 is the genesis {genesis} of the ledger asked for")
        else:
            run.fail(f"leaf 0 is not the genesis {genesis} asked for: this is another ledger")
    published = run.publication(campaign) if campaign is not None else None
    registries, tree, snapshots = _check_log(run, leaves, workers, published)
    if size is not None and size == len(leaves):
        if tree.root(size) == run.root:
            run.ok(f"log: the {size} leaves rebuild the checkpoint's root hash")
        else:
            run.fail(
                f"log: the {size} leaves do not rebuild the checkpoint's root hash: an event "
                "was changed, removed, added or moved"
            )
    if registries.ledger is not None and header.get("ledger") != registries.ledger:
        run.fail(f"the header names ledger {header.get('ledger')!r}, the genesis another")
    run.guarded("the key history", lambda: check_keys(run, registries))
    if campaign is not None and published is not None:
        at = snapshots.get((campaign, int(published[1]["tree_size"])), CardSnapshot())
        evidence = sorted(at.evidence, key=evidence_order)
        run.guarded("the evidence", lambda: check_evidence(run, evidence, evidence_dir))
    return run.report


def _check_log(
    run: Verification,
    leaves: Leaves,
    workers: int,
    published: tuple[int, dict[str, Any]] | None,
) -> tuple[Registries, MemoryTree, dict[tuple[str, int], CardSnapshot]]:
    """Every event, every publication's checkpoint and every publication's table."""
    registries = registries_of(leaves, run.fail)
    parts = partition(leaves, workers * PARTS_PER_WORKER if workers > 1 else 1)
    job = Job(leaves, parts, registries, registries.sizes())
    with Running(job, workers) as running:
        tree = MemoryTree.of([leaf_hash(data) for data in leaves])
        results = running.results()
    problems = sorted(p for result in results for p in result.problems)
    run.report.problems += [text for _, text in problems]
    if not problems:
        run.ok(
            f"events: {sum(r.events for r in results)} events in "
            f"{sum(r.aggregates for r in results)} aggregates: canonical bytes, hash chains, "
            "signatures, signers enrolled, unrevoked and in scope, every body exactly its "
            "signed arguments and the members the rules derive, in every campaign"
        )
    publications = [(p.index, p.event.body) for p in registries.publications]
    run.guarded("the publications", lambda: check_publications(run, tree, publications, published))
    snapshots = merged_snapshots(results)
    run.guarded("the result tables", lambda: check_tables(run, registries, snapshots, published))
    return registries, tree, snapshots


def registries_of(leaves: Sequence[bytes], fail: Any) -> Registries:
    """The registries from the leaves that are not scorecards', every body checked, before
    the workers start, which judge every signer by them."""
    registries = Registries()
    for index, data in enumerate(leaves):
        if is_scorecard_leaf(data):
            continue
        try:
            event, _ = read_leaf(data)
        except BadLeaf:
            continue  # the event checks name it
        for problem in registries.apply(index, event):
            fail(f"{leaf_name(index, event)}: {problem}")
    return registries
