"""The RFC 9162 Merkle tree: leaf and node hashes, tree heads, inclusion and consistency
proofs, and their verification (RFC 9162 §2.1).

    leaf hash = SHA-256(0x00 || leaf bytes)
    node hash = SHA-256(0x01 || left || right)

A tree is read through the hashes of its complete, aligned subtrees (level ℓ, index i
covers leaves i·2^ℓ … (i+1)·2^ℓ − 1), so proofs over a large stored tree take a number of
look-ups logarithmic in its size."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (size ≥ 2)."""
    return 1 << ((size - 1).bit_length() - 1)


class Nodes(Protocol):
    """Hashes of complete aligned subtrees: level 0 holds the leaf hashes."""

    def node(self, level: int, index: int) -> bytes: ...


class MemoryTree:
    """A tree kept in memory, level by level, appended to one leaf at a time."""

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for h in leaf_hashes:
            self.append(h)

    @classmethod
    def of(cls, leaf_hashes: Sequence[bytes]) -> MemoryTree:
        """The tree of these leaf hashes, built a level at a time (faster than appending)."""
        tree = cls()
        level = list(leaf_hashes)
        tree.levels = [level]
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            tree.levels.append(level)
        return tree

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, hashed_leaf: bytes) -> None:
        self.levels[0].append(hashed_leaf)
        level, index = 0, len(self.levels[0]) - 1
        while index % 2 == 1:
            parent = node_hash(self.levels[level][index - 1], self.levels[level][index])
            level, index = level + 1, index // 2
            if len(self.levels) == level:
                self.levels.append([])
            self.levels[level].append(parent)

    def node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def root(self, size: int | None = None) -> bytes:
        return root_hash(self, self.size if size is None else size)


def subtree_hash(nodes: Nodes, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range that starts on a boundary of its own split."""
    size = end - start
    if size & (size - 1) == 0:
        level = size.bit_length() - 1
        return nodes.node(level, start >> level)
    k = _split(size)
    return node_hash(subtree_hash(nodes, start, start + k), subtree_hash(nodes, start + k, end))


def root_hash(nodes: Nodes, size: int) -> bytes:
    return EMPTY_ROOT if size == 0 else subtree_hash(nodes, 0, size)


def inclusion_proof(nodes: Nodes, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, from the leaf up."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    proof: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            proof.append(subtree_hash(nodes, start + k, end))
            end = start + k
        else:
            proof.append(subtree_hash(nodes, start, start + k))
            start = start + k
    proof.reverse()
    return proof


def consistency_proof(nodes: Nodes, first: int, second: int) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 9162 §2.1.4.1."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first in (0, second):
        return []
    proof: list[bytes] = []

    def subproof(m: int, start: int, end: int, whole: bool) -> None:
        n = end - start
        if m == n:
            if not whole:
                proof.append(subtree_hash(nodes, start, end))
            return
        k = _split(n)
        if m <= k:
            subproof(m, start, start + k, whole)
            proof.append(subtree_hash(nodes, start + k, end))
        else:
            subproof(m - k, start + k, end, False)
            proof.append(subtree_hash(nodes, start, start + k))

    subproof(first, 0, second, True)
    return proof


def verify_inclusion(
    index: int, size: int, hashed_leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, hashed_leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2; equal sizes need an empty proof and equal roots."""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
