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
   just before it, every signed argument in the body, and every member the ledger derived
   what the rules give;
4. the publications: the header's is the campaign's latest, and every publication's
   checkpoint is signed by the log key and is a prefix of this log;
5. the result table: replaying the events up to the publication's checkpoint gives exactly
   the published table, whose SHA-256 the event recorded, with one row for each of the
   campaign's units;
6. the key registry's history and the evidence list in the header: exactly what the events
   give; with an evidence directory, every file's bytes hash to the recorded hash.

The work on events is spread over forked processes (all cores by default), each taking
whole aggregates. Nothing here reads a database or the network, and no bytes make it
raise: whatever is wrong is a problem in the report."""

from __future__ import annotations

import base64
import gc
import hashlib
import multiprocessing
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.audit.bundle_format import (
    BadLeaf,
    Bundle,
    Leaves,
    encode_bundle,
    read_bundle,
    read_leaf,
)
from ledger.audit.event_checks import ChainHead, EventFacts, Pending, check_chain, check_command
from ledger.audit.replay import (
    CardReplay,
    Registries,
    evidence_of,
    evidence_order,
    key_history,
    publication_facts,
    table_of,
)
from ledger.core.codes import SHA256
from ledger.core.crypto import verify_signature
from ledger.core.errors import LedgerError
from ledger.domain.authorization import BAD_SIGNATURE
from ledger.domain.results import CardScores, table_differences, table_sha256
from ledger.transparency.merkle import MemoryTree, leaf_hash
from ledger.transparency.note import CosignatureVerifier, NoteVerifier, open_checkpoint, open_note

_TYPE_AT = len('{"aggregate_id":"00000000-0000-0000-0000-000000000000","aggregate_type":"')
_SHA256 = re.compile(SHA256)
PARTS_PER_WORKER = 4
SIGNATURE_BATCH = 256


@dataclass
class BundleReport:
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _name(index: int, event: EventFacts | None = None) -> str:
    if event is None:
        return f"leaf {index}"
    return (
        f"leaf {index} ({event.aggregate_type} {event.aggregate_id} version {event.version}, "
        f"{event.event_type})"
    )


# -- the work on events, in worker processes ------------------------------------------------


@dataclass
class _Job:
    leaves: Leaves
    parts: list[list[int]]
    registries: Registries
    campaign: str
    table_size: int


@dataclass
class _PartResult:
    problems: list[tuple[int, str]]
    cards: dict[str, CardScores]
    evidence: list[dict[str, Any]]
    publications: list[tuple[int, dict[str, Any]]]
    events: int
    aggregates: int


# what the forked workers read; one verification at a time sets it
_JOB: _Job | None = None
_ONE_AT_A_TIME = threading.Lock()


def _verify_part(part: int) -> _PartResult:
    # what is parsed here holds no reference cycles: the cyclic collector would only spend
    # time scanning the scorecards being replayed
    gc.disable()
    try:
        return _verify_events(part)
    finally:
        gc.enable()


def _verify_events(part: int) -> _PartResult:
    job = _JOB
    assert job is not None
    keys = job.registries.keys
    heads: dict[str, ChainHead] = {}
    cards = CardReplay(job.campaign, job.registries)
    problems: list[tuple[int, str]] = []
    publications: list[tuple[int, dict[str, Any]]] = []
    # signatures are verified in batches after the other checks of their events, one after
    # the other: the curve arithmetic then runs with its code and tables in the processor's
    # caches, and a batch's memory is reused by the next
    signatures: Pending = []
    signed_at: list[tuple[int, EventFacts]] = []

    def verify_batch() -> None:
        for (public_key, signature, message), (index, event) in zip(
            signatures, signed_at, strict=True
        ):
            if not verify_signature(public_key, signature, message):
                problems.append((index, f"{_name(index, event)}: signature: {BAD_SIGNATURE}"))
        signatures.clear()
        signed_at.clear()

    events = 0
    blob, starts = job.leaves.blob, job.leaves.starts
    for index in job.parts[part]:
        try:
            event, signed = read_leaf(blob[starts[index] : starts[index + 1] - 1])
        except BadLeaf as error:
            problems.append((index, f"{_name(index)}: {error}"))
            continue
        events += 1
        try:
            reasons = check_chain(event, heads)
            reasons += check_command(event, keys.at(index), signed, signatures)
            if len(signatures) > len(signed_at):
                signed_at.append((index, event))
                if len(signatures) == SIGNATURE_BATCH:
                    verify_batch()
            if (
                event.aggregate_type == "Scorecard"
                and index < job.table_size
                and event.body.get("campaign") == job.campaign
            ):
                reasons += cards.apply(event)
            elif event.event_type == "ResultsPublished":
                publications.append((index, event.body))
        except Exception as error:  # a forged event no check foresaw
            reasons = [f"it cannot be checked ({type(error).__name__}: {error})"]
        if reasons:
            problems += ((index, f"{_name(index, event)}: {reason}") for reason in reasons)
    verify_batch()
    scores, unscored = cards.scores()
    problems += ((job.table_size, text) for text in unscored)
    evidence = evidence_of(cards.cards.values())
    return _PartResult(problems, scores, evidence, publications, events, len(heads))


def _partition(leaves: Sequence[bytes], parts: int) -> list[list[int]]:
    """Leaves by aggregate (read from the fixed place of the id in a canonical leaf), so that
    every aggregate's chain is checked whole in one part."""
    found: list[list[int]] = [[] for _ in range(parts)]
    for index, data in enumerate(leaves):
        try:
            part = int(data[45:53], 16) % parts
        except ValueError:
            part = 0
        found[part].append(index)
    return found


class _Pending:
    """The event checks running in the background while the caller hashes the leaves."""

    def __init__(self, job: _Job, workers: int) -> None:
        self.job, self.workers = job, workers
        self._pool: Any = None
        self._iterator: Iterator[_PartResult] | None = None

    def __enter__(self) -> _Pending:
        global _JOB
        _JOB = self.job
        if self.workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            self._pool = multiprocessing.get_context("fork").Pool(self.workers)
            self._iterator = self._pool.imap_unordered(_verify_part, range(len(self.job.parts)))
        return self

    def results(self) -> list[_PartResult]:
        if self._iterator is None:
            return [_verify_part(part) for part in range(len(self.job.parts))]
        return list(self._iterator)

    def __exit__(self, *exc: object) -> None:
        global _JOB
        _JOB = None
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()


# -- the bundle as a whole ----------------------------------------------------------------


class _Verification:
    def __init__(self, header: dict[str, Any], leaves: Sequence[bytes], log_key: str) -> None:
        self.header = header
        self.leaves = leaves
        self.report = BundleReport()
        self.log_key = log_key
        self.verifier: NoteVerifier | None = None
        self.root = b""

    def fail(self, text: str) -> None:
        self.report.problems.append(text)

    def ok(self, text: str) -> None:
        self.report.checked.append(text)

    def member(self, name: str, kind: type) -> Any:
        value = self.header.get(name)
        if not isinstance(value, kind):
            self.fail(f"the bundle's header has no {name!r} ({kind.__name__})")
            return None
        return value

    def guarded(self, what: str, check: Callable[[], None]) -> None:
        """Run one check; what it cannot make sense of is a problem, never an exception."""
        try:
            check()
        except Exception as error:
            self.fail(f"{what} cannot be checked ({type(error).__name__}: {error})")

    def checkpoint(self, witnesses: Sequence[str]) -> int | None:
        """The checkpoint's size if the log key signed it."""
        try:
            self.verifier = NoteVerifier.from_string(self.log_key)
        except LedgerError as error:
            self.fail(f"the log key {self.log_key!r} is not a note verifier key ({error})")
            return None
        note = self.member("checkpoint", str)
        if note is None:
            return None
        try:
            checkpoint = open_checkpoint(note, self.verifier)
        except LedgerError as error:
            self.fail(
                f"the checkpoint is not signed by the log key {self.log_key}: {error} "
                "(a forged checkpoint, or another log's)"
            )
            return None
        self.root = checkpoint.root_hash
        self.ok(
            f"checkpoint: {checkpoint.origin}, {checkpoint.size} leaves, signed by the log key "
            f"{self.verifier.name}+{self.verifier.key_id:08x}"
        )
        for vkey in witnesses:
            try:
                witness = CosignatureVerifier.from_string(vkey)
                open_note(note, [witness])
            except LedgerError as error:
                self.fail(f"the checkpoint has no valid cosignature by the witness {vkey}: {error}")
            else:
                self.ok(f"cosignature: the witness {witness.name} cosigned the checkpoint")
        return checkpoint.size

    def publication(self, campaign: str) -> tuple[int, dict[str, Any]] | None:
        """The publication the header names: its leaf and its body."""
        named = self.member("publication", dict)
        if named is None:
            return None
        index = named.get("leaf_index")
        if type(index) is not int or not 0 <= index < len(self.leaves):
            self.fail(f"the header's publication names leaf {index!r}, which is not in the log")
            return None
        try:
            event, _ = read_leaf(self.leaves[index])
        except BadLeaf as error:
            self.fail(f"{_name(index)}, the publication: {error}")
            return None
        if event.event_type != "ResultsPublished" or event.body.get("campaign") != campaign:
            self.fail(f"{_name(index, event)} is not a publication of campaign {campaign}")
            return None
        if named != publication_facts(index, event):
            self.fail(f"the header's publication is not what {_name(index, event)} records")
        size = event.body.get("tree_size")
        if type(size) is not int or not 0 < size <= index:
            self.fail(
                f"{_name(index, event)}: its table was computed at a checkpoint of {size!r} "
                "leaves, which does not come before it"
            )
            return None
        return index, event.body


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
    with _ONE_AT_A_TIME:
        return _verify(
            header,
            leaves,
            log_key,
            witnesses,
            genesis,
            evidence_dir,
            workers or os.cpu_count() or 1,
        )


def _verify(
    header: dict[str, Any],
    leaves: Leaves,
    log_key: str,
    witnesses: Sequence[str],
    genesis: str | None,
    evidence_dir: Path | None,
    workers: int,
) -> BundleReport:
    run = _Verification(header, leaves, log_key)
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
    table_size = published[1]["tree_size"] if published else len(leaves)

    registries = _registries(run, leaves, table_size)
    parts = _partition(leaves, workers * PARTS_PER_WORKER if workers > 1 else 1)
    job = _Job(leaves, parts, registries, campaign or "", table_size)
    with _Pending(job, workers) as pending:
        tree = MemoryTree.of([leaf_hash(data) for data in leaves])
        results = pending.results()

    problems = sorted(p for result in results for p in result.problems)
    run.report.problems += [text for _, text in problems]
    if not problems:
        run.ok(
            f"events: {sum(r.events for r in results)} events in "
            f"{sum(r.aggregates for r in results)} aggregates: canonical bytes, hash chains, "
            "signatures, signers enrolled, unrevoked and in scope, signed arguments in every "
            "body, derived members and scores as the rules give"
        )
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
    publications = sorted(
        (p for result in results for p in result.publications), key=lambda p: p[0]
    )
    run.guarded("the publications", lambda: _check_publications(run, tree, publications, published))
    run.guarded("the key history", lambda: _check_keys(run, registries))
    if campaign is not None and published is not None:
        cards: dict[str, CardScores] = {}
        for result in results:
            cards.update(result.cards)
        run.guarded(
            "the result table", lambda: _check_table(run, registries, campaign, published, cards)
        )
        evidence = sorted(
            (item for result in results for item in result.evidence), key=evidence_order
        )
        run.guarded("the evidence", lambda: _check_evidence(run, evidence, evidence_dir))
    return run.report


def _registries(run: _Verification, leaves: Leaves, table_size: int) -> Registries:
    """The registries from the leaves that are not scorecards' (the key registry from all of
    them; units, sets and campaigns up to the table's checkpoint), before the workers start,
    which judge every signer by them."""
    registries = Registries()
    for index, data in enumerate(leaves):
        if data[_TYPE_AT : _TYPE_AT + 10] == b'Scorecard"':
            continue
        try:
            event, _ = read_leaf(data)
        except BadLeaf:
            continue  # the event checks name it
        if index < table_size or event.aggregate_type == "KeyRegistry":
            for problem in registries.apply(index, event):
                run.fail(f"{_name(index, event)}: {problem}")
    return registries


def _check_publications(
    run: _Verification,
    tree: MemoryTree,
    publications: Sequence[tuple[int, dict[str, Any]]],
    published: tuple[int, dict[str, Any]] | None,
) -> None:
    """Every publication's checkpoint is signed by the log key, is a prefix of this log and
    is what the event says of it; each campaign's publications are numbered 1, 2, …"""
    sequences: dict[str, int] = {}
    for index, body in publications:
        campaign = str(body.get("campaign"))
        sequences[campaign] = sequences.get(campaign, 0) + 1
        where = f"leaf {index} (publication {body.get('sequence')!r} of {campaign})"
        if body.get("sequence") != sequences[campaign]:
            run.fail(f"{where}: it is publication {sequences[campaign]} of its campaign")
        size, note, root = body.get("tree_size"), body.get("checkpoint"), body.get("root_hash")
        if not isinstance(note, str) or type(size) is not int or not 0 < size <= index:
            run.fail(f"{where}: it names no checkpoint of the leaves before it")
            continue
        if run.verifier is None:
            continue
        try:
            checkpoint = open_checkpoint(note, run.verifier)
        except LedgerError as error:
            run.fail(f"{where}: its checkpoint is not signed by the log key: {error}")
            continue
        if checkpoint.size != size or root != base64.b64encode(checkpoint.root_hash).decode():
            run.fail(f"{where}: its checkpoint is not the size and root it records")
        elif tree.root(size) != checkpoint.root_hash:
            run.fail(
                f"{where}: the first {size} leaves do not give the root its checkpoint signed: "
                "the log was rewritten after it was published"
            )
        else:
            run.ok(
                f"publication {sequences[campaign]} of {campaign} at leaf {index}: its "
                f"checkpoint of {size} leaves is a prefix of this log"
            )
    if published is not None:
        campaign = published[1]["campaign"]
        latest = max((i for i, b in publications if b.get("campaign") == campaign), default=None)
        if latest != published[0]:
            run.fail(
                f"the bundle's table is the publication at leaf {published[0]}, but campaign "
                f"{campaign} was published again at leaf {latest}"
            )
        if published[1].get("units") != len(run.header.get("results", {}).get("units", [])):
            run.fail(f"leaf {published[0]}: the publication's 'units' is not the table's count")


def _check_keys(run: _Verification, registries: Registries) -> None:
    keys = run.member("keys", list)
    if keys is None:
        return
    expected = key_history(registries.keys)
    if keys == expected:
        run.ok(f"keys: the history of {len(expected)} keys is what the registry's events give")
        return
    mine = {k["key_id"]: k for k in expected}
    given = {str(k.get("key_id")): k for k in keys if isinstance(k, dict)}
    for key_id in sorted(set(mine) | set(given)):
        if key_id not in mine:
            run.fail(f"key {key_id}: in the bundle's key history, not in the registry's events")
        elif key_id not in given:
            run.fail(f"key {key_id}: missing from the bundle's key history")
        elif mine[key_id] != given[key_id]:
            members = sorted(n for n in mine[key_id] if mine[key_id][n] != given[key_id].get(n))
            run.fail(
                f"key {key_id}: the bundle's history differs from the registry's events in "
                + (", ".join(members) or "members the events do not give")
            )
    if [str(k.get("key_id")) if isinstance(k, dict) else None for k in keys] != list(mine):
        run.fail("the bundle's key history is not one entry per key, in key id order")


def _check_table(
    run: _Verification,
    registries: Registries,
    campaign: str,
    published: tuple[int, dict[str, Any]],
    cards: dict[str, CardScores],
) -> None:
    index, body = published
    units = registries.campaigns[campaign].units
    for unit in units:
        if unit not in cards:
            run.fail(f"unit {unit} of campaign {campaign} has no scorecard in the bundle")
        if unit not in registries.units:
            run.fail(f"unit {unit} of campaign {campaign} is not registered in the bundle")
    table = table_of(registries, campaign, [cards[u] for u in sorted(cards)])
    digest = table_sha256(table)
    recorded = body.get("table_sha256")
    if digest != recorded:
        run.fail(
            f"leaf {index}: the publication recorded the table hash {recorded}, but the events "
            f"up to its checkpoint give a table that hashes to {digest}"
        )
    given = run.member("results", dict)
    if given is None:
        return
    differences = table_differences(table, given)
    run.report.problems += [f"published table: {text}" for text in differences]
    given_digest = table_sha256(given)
    if given_digest != recorded and not differences:
        run.fail(f"published table: it hashes to {given_digest}, the publication to {recorded}")
    if digest == recorded and not differences and sorted(cards) == sorted(units):
        scores = sum(len(row["scores"]) for row in table["units"])
        run.ok(
            f"results: {len(table['units'])} units and {scores} leaf scores recomputed from "
            f"the events up to leaf {body['tree_size'] - 1}: exactly the published table "
            f"(SHA-256 {digest})"
        )


def _check_evidence(
    run: _Verification, expected: list[dict[str, Any]], evidence_dir: Path | None
) -> None:
    listed = run.member("evidence", list)
    if listed is None:
        return
    if listed == expected:
        run.ok(f"evidence: the {len(expected)} files listed are those the events attach")
    else:
        differ = [e for e in expected if e not in listed] + [e for e in listed if e not in expected]
        for item in differ:
            entry = item if isinstance(item, dict) else {}
            run.fail(
                f"evidence of unit {entry.get('unit')}, criterion {entry.get('criterion')} "
                f"({entry.get('sha256')}): the bundle's list differs from the events"
            )
        if not differ:
            run.fail("the bundle's evidence list is not the events' list, in its order")
    if evidence_dir is None:
        return
    bad = 0
    for item in expected:
        digest = str(item["sha256"])
        where = (
            f"evidence {item['file_name']!r} of unit {item['unit']}, criterion {item['criterion']}"
        )
        path = _evidence_file(evidence_dir, digest)
        if path is None:
            run.fail(f"{where}: no file {digest} in {evidence_dir}")
            bad += 1
        elif (found := _sha256_of(path)) != digest:
            run.fail(f"{where}: the file's bytes hash to {found}, not {digest} (swapped)")
            bad += 1
    if not bad:
        run.ok(f"evidence files: the {len(expected)} files in {evidence_dir} match their hashes")


def _evidence_file(folder: Path, digest: str) -> Path | None:
    """``folder/<hash>``, or the store's layout ``folder/h[0:2]/h[2:4]/<hash>``."""
    if not _SHA256.fullmatch(digest):
        return None
    for path in (folder / digest, folder / digest[:2] / digest[2:4] / digest):
        if path.is_file():
            return path
    return None


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 16):
            digest.update(chunk)
    return digest.hexdigest()
