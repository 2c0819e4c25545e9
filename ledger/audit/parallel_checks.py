"""The checks of every event, spread over forked processes, each taking whole aggregates so
that hash chains are checked and scorecards replayed in order.

Before the workers start, the registries (keys, units, sets, campaigns) are replayed from
the leaves that are not scorecards', so that any worker can judge any signer by the key
registry as it stood before any leaf. Each worker then checks its leaves' canonical form,
chain, command and signature, replays its scorecards with every derived member checked,
and snapshots them at every publication's tree size."""

from __future__ import annotations

import gc
import multiprocessing
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.audit.bundle_format import BadLeaf, Leaves, is_hashed, read_leaf
from ledger.audit.event_checks import ChainHead, EventFacts, Pending, check_chain, check_command
from ledger.audit.replay import CardReplay, CardSnapshot, Registries
from ledger.core.crypto import verify_signature
from ledger.domain.authorization import BAD_SIGNATURE

TYPE_AT = len('{"aggregate_id":"00000000-0000-0000-0000-000000000000","aggregate_type":"')
PARTS_PER_WORKER = 4
SIGNATURE_BATCH = 256


def leaf_name(index: int, event: EventFacts | None = None) -> str:
    if event is None:
        return f"leaf {index}"
    return (
        f"leaf {index} ({event.aggregate_type} {event.aggregate_id} version {event.version}, "
        f"{event.event_type})"
    )


def is_scorecard_leaf(data: bytes) -> bool:
    """Whether a canonical leaf is a scorecard's event (read at its fixed place)."""
    return data[TYPE_AT : TYPE_AT + 10] == b'Scorecard"'


@dataclass
class Job:
    leaves: Leaves
    parts: list[list[int]]
    registries: Registries
    sizes: dict[str, list[int]]


@dataclass
class PartResult:
    problems: list[tuple[int, str]]
    snapshots: dict[tuple[str, int], CardSnapshot]
    events: int
    aggregates: int


# what the forked workers read; one verification at a time sets it
_JOB: Job | None = None
ONE_AT_A_TIME = threading.Lock()


def _verify_part(part: int) -> PartResult:
    # what is parsed here holds no reference cycles: the cyclic collector would only spend
    # time scanning the scorecards being replayed
    gc.disable()
    try:
        return _verify_events(part)
    finally:
        gc.enable()


def _verify_events(part: int) -> PartResult:
    job = _JOB
    assert job is not None
    keys = job.registries.keys
    heads: dict[str, ChainHead] = {}
    cards = CardReplay(job.registries, job.sizes)
    problems: list[tuple[int, str]] = []
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
                problems.append((index, f"{leaf_name(index, event)}: signature: {BAD_SIGNATURE}"))
        signatures.clear()
        signed_at.clear()

    events = 0
    blob, starts = job.leaves.blob, job.leaves.starts
    for index in job.parts[part]:
        try:
            event, signed = read_leaf(blob[starts[index] : starts[index + 1] - 1])
        except BadLeaf as error:
            problems.append((index, f"{leaf_name(index)}: {error}"))
            continue
        events += 1
        try:
            reasons = check_chain(event, heads)
            reasons += check_command(
                event, keys.at(index), job.registries.scope_facts(index), signed, signatures
            )
            if len(signatures) > len(signed_at):
                signed_at.append((index, event))
                if len(signatures) == SIGNATURE_BATCH:
                    verify_batch()
            if event.aggregate_type == "Scorecard":
                reasons += cards.apply(index, event)
        except Exception as error:  # a forged event no check foresaw
            reasons = [f"it cannot be checked ({type(error).__name__}: {error})"]
        if reasons:
            problems += ((index, f"{leaf_name(index, event)}: {reason}") for reason in reasons)
    verify_batch()
    cards.finish()
    return PartResult(problems, cards.snapshots, events, len(heads))


def partition(leaves: Sequence[bytes], parts: int) -> list[list[int]]:
    """Leaves in full by aggregate (read from the fixed place of the id in a canonical leaf),
    so that every aggregate's chain is checked whole in one part."""
    found: list[list[int]] = [[] for _ in range(parts)]
    for index, data in enumerate(leaves):
        if is_hashed(data):
            continue  # a leaf given by its hash: only the tree reads it
        try:
            part = int(data[45:53], 16) % parts
        except ValueError:
            part = 0
        found[part].append(index)
    return found


class Running:
    """The event checks running in the background while the caller hashes the leaves."""

    def __init__(self, job: Job, workers: int) -> None:
        self.job, self.workers = job, workers
        self._pool: Any = None
        self._iterator: Iterator[PartResult] | None = None

    def __enter__(self) -> Running:
        global _JOB
        _JOB = self.job
        if self.workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            self._pool = multiprocessing.get_context("fork").Pool(self.workers)
            self._iterator = self._pool.imap_unordered(_verify_part, range(len(self.job.parts)))
        return self

    def results(self) -> list[PartResult]:
        if self._iterator is None:
            return [_verify_part(part) for part in range(len(self.job.parts))]
        return list(self._iterator)

    def __exit__(self, *exc: object) -> None:
        global _JOB
        _JOB = None
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()


def merged_snapshots(results: Sequence[PartResult]) -> dict[tuple[str, int], CardSnapshot]:
    """The workers' snapshots of the same campaign and size, put together."""
    merged: dict[tuple[str, int], CardSnapshot] = {}
    for result in results:
        for key, snapshot in result.snapshots.items():
            into = merged.setdefault(key, CardSnapshot())
            into.scores.update(snapshot.scores)
            into.evidence += snapshot.evidence
    return merged
