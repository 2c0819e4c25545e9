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
    FORMAT_1,
    BadLeaf,
    Bundle,
    Leaves,
    encode_bundle,
    is_hashed,
    merkle_leaf,
    read_bundle,
    read_leaf,
)
from ledger.audit.bundle_heads import chains_of, check_bundle_content, head_problems, named_ids
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
from ledger.transparency.merkle import MemoryTree

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
    run.published = published
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
    run.guarded("the bundle's content", lambda: _check_content(run, leaves, registries))
    run.guarded("the key history", lambda: check_keys(run, registries))
    if campaign is not None and published is not None:
        at = snapshots.get((campaign, int(published[1]["tree_size"])), CardSnapshot())
        evidence = sorted(at.evidence, key=evidence_order)
        run.guarded("the evidence", lambda: check_evidence(run, evidence, evidence_dir))
    return run.report


def _check_content(run: Verification, leaves: Leaves, registries: Registries) -> None:
    """A bundle of format 1 holds every leaf in full; one of format 2, its publication's
    chains in full up to their heads and every other leaf as its hash."""
    if run.header.get("format") == FORMAT_1:
        hashed = sum(1 for line in leaves if is_hashed(line))
        if hashed:
            run.fail(f"a bundle of format {FORMAT_1} holds every leaf in full, not {hashed} hashes")
        return
    publication = next(
        (p for p in registries.publications if run.published and p.index == run.published[0]),
        None,
    )
    if publication is None or run.chains is None:
        return  # named with the publication
    if "heads" not in publication.event.body:
        run.fail(
            f"{leaf_name(publication.index, publication.event)} records no heads: a bundle of "
            "format 2 is of a publication that records them"
        )
        return
    problems = len(run.report.problems)
    full = check_bundle_content(leaves, publication, run.chains, run.fail)
    if len(run.report.problems) == problems:
        run.ok(
            f"content: {full} leaves in full (the publication and the chains its heads name), "
            f"{len(leaves) - full} as their leaf hash only"
        )


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
        tree = MemoryTree.of([merkle_leaf(data) for data in leaves])
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
    run.guarded("the publications' heads", lambda: _check_heads(run, leaves, registries))
    publications = [(p.index, p.event.body) for p in registries.publications]
    run.guarded("the publications", lambda: check_publications(run, tree, publications, published))
    snapshots = merged_snapshots(results)
    run.guarded("the result tables", lambda: check_tables(run, registries, snapshots, published))
    return registries, tree, snapshots


def _check_heads(run: Verification, leaves: Leaves, registries: Registries) -> None:
    """Every publication that records heads: each named chain complete up to its head."""
    chains = chains_of(leaves, named_ids(registries.publications))
    run.chains = chains
    for publication in registries.publications:
        if "heads" not in publication.event.body:
            continue
        where = leaf_name(publication.index, publication.event)
        problems = head_problems(publication, chains)
        run.report.problems += [f"{where}: {text}" for text in problems]
        if not problems:
            run.ok(
                f"heads: the {len(publication.event.body['heads'])} aggregates the table of "
                f"{where} reads are complete, from version 1 to the head it records"
            )


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
