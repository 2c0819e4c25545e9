"""The transparency log: every event, in log order, a leaf of an RFC 9162 tree.

Leaf i is the canonical bytes of the i-th event (docs/FORMATS.md §4); leaves are numbered
densely from 0 and mapped to their notification positions, which may skip numbers. The
hashes of complete subtrees are stored as they complete, so any proof is a handful of
look-ups."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ledger.core.events import event_bytes
from ledger.transparency.merkle import (
    Nodes,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
)
from projections.decoding import LoggedEvent
from projections.store import Changes, ViewStore

T = TypeVar("T")


def canonical_event_bytes(event: LoggedEvent) -> bytes:
    return event_bytes(
        aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id,
        version=event.version,
        event_type=event.event_type,
        recorded_at=event.recorded_at,
        prev_hash=event.prev_hash,
        body=event.body,
        command=event.command,
    )


class Frontier:
    """The left nodes still waiting for a right sibling: enough to append leaves."""

    def __init__(self, size: int, waiting: dict[int, bytes]) -> None:
        self.size = size
        self.waiting = waiting

    @classmethod
    def load(cls, views: ViewStore) -> Frontier:
        size = MerkleLog(views).size()
        waiting: dict[int, bytes] = {}
        for level in range(size.bit_length()):
            if size >> level & 1:
                index = (size >> level) - 1
                found = views.rows(
                    "SELECT hash FROM {pv_merkle} WHERE level = ? AND idx = ?", (level, index)
                )
                waiting[level] = bytes.fromhex(found[0]["hash"])
        return cls(size, waiting)

    def append(self, position: int, hashed: bytes, changes: Changes) -> None:
        index = self.size
        changes.append("pv_leaves", (index, position, hashed.hex()))
        changes.append("pv_merkle", (0, index, hashed.hex()))
        level, carry = 0, hashed
        while index >> level & 1:
            carry = node_hash(self.waiting.pop(level), carry)
            level += 1
            changes.append("pv_merkle", (level, index >> level, carry.hex()))
        self.waiting[level] = carry
        self.size += 1


class StoredNodes:
    """The stored tree, read with one query per proof."""

    def __init__(self, views: ViewStore) -> None:
        self.views = views
        self._cache: dict[tuple[int, int], bytes] = {}

    def prefetch(self, wanted: Sequence[tuple[int, int]]) -> None:
        missing = [w for w in wanted if w not in self._cache]
        if not missing:
            return
        clause = " OR ".join("(level = ? AND idx = ?)" for _ in missing)
        params: list[Any] = [v for pair in missing for v in pair]
        for row in self.views.rows(f"SELECT * FROM {{pv_merkle}} WHERE {clause}", params):
            self._cache[(int(row["level"]), int(row["idx"]))] = bytes.fromhex(row["hash"])

    def node(self, level: int, index: int) -> bytes:
        if (level, index) not in self._cache:
            self.prefetch([(level, index)])
        try:
            return self._cache[(level, index)]
        except KeyError:
            raise LookupError(f"the log has no node at level {level}, index {index}") from None


class _Recorder:
    """Collects the nodes a computation asks for (so they can be fetched at once)."""

    def __init__(self) -> None:
        self.wanted: list[tuple[int, int]] = []

    def node(self, level: int, index: int) -> bytes:
        self.wanted.append((level, index))
        return b"\x00" * 32


class MerkleLog:
    def __init__(self, views: ViewStore) -> None:
        self.views = views

    def size(self) -> int:
        """Leaves are numbered densely from 0, so the size is one more than the last index
        (an index look-up, where counting the rows would read them all)."""
        found = self.views.rows("SELECT MAX(leaf_index) AS last FROM {pv_leaves}")[0]["last"]
        return 0 if found is None else int(found) + 1

    def _nodes_for(self, compute: Callable[[Nodes], object]) -> StoredNodes:
        recorder = _Recorder()
        compute(recorder)
        nodes = StoredNodes(self.views)
        nodes.prefetch(recorder.wanted)
        return nodes

    def root(self, size: int) -> bytes:
        return self._computed(size, lambda nodes: root_hash(nodes, size))

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return self._computed(size, lambda nodes: inclusion_proof(nodes, index, size))

    def consistency(self, first: int, second: int) -> list[bytes]:
        return self._computed(second, lambda nodes: consistency_proof(nodes, first, second))

    def _computed(self, size: int, compute: Callable[[Nodes], T]) -> T:
        """``compute`` over the stored nodes, fetched in one query. A size beyond the log
        needs a node the log does not have: that is how it is told, without counting."""
        if size < 0:
            raise ValueError(f"a tree has no negative size {size}")
        try:
            return compute(self._nodes_for(compute))
        except LookupError:
            raise ValueError(f"the log has {self.size()} leaves, not {size}") from None

    def leaf(self, index: int) -> dict[str, Any] | None:
        rows = self.views.rows("SELECT * FROM {pv_leaves} WHERE leaf_index = ?", (index,))
        return rows[0] if rows else None

    def leaf_of_position(self, position: int) -> int | None:
        rows = self.views.rows("SELECT leaf_index FROM {pv_leaves} WHERE position = ?", (position,))
        return int(rows[0]["leaf_index"]) if rows else None


def leaf_hash_of(event: LoggedEvent) -> bytes:
    return leaf_hash(canonical_event_bytes(event))
