"""RFC 9162 Merkle trees: the CT known answers, and every inclusion and consistency proof
of trees of 1 to 64 leaves, valid and corrupted."""

from __future__ import annotations

import pytest

from ledger.transparency.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

# The RFC 6962 / certificate-transparency test leaves and their tree heads
LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [  # (index, size, proof)
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CONSISTENCY = [  # (first, second, proof)
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


def known_tree() -> MemoryTree:
    return MemoryTree([leaf_hash(leaf) for leaf in LEAVES])


def flipped(value: bytes, bit: int) -> bytes:
    data = bytearray(value)
    data[bit // 8] ^= 1 << (bit % 8)
    return bytes(data)


def test_the_empty_tree_and_the_known_tree_heads() -> None:
    tree = known_tree()
    assert root_hash(tree, 0) == EMPTY_ROOT
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert [tree.root(n).hex() for n in range(1, 9)] == ROOTS


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_known_inclusion_proofs(index: int, size: int, proof: list[str]) -> None:
    tree = known_tree()
    assert [p.hex() for p in inclusion_proof(tree, index, size)] == proof
    assert verify_inclusion(
        index,
        size,
        leaf_hash(LEAVES[index]),
        [bytes.fromhex(p) for p in proof],
        bytes.fromhex(ROOTS[size - 1]),
    )


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY)
def test_known_consistency_proofs(first: int, second: int, proof: list[str]) -> None:
    tree = known_tree()
    assert [p.hex() for p in consistency_proof(tree, first, second)] == proof
    assert verify_consistency(
        first,
        second,
        bytes.fromhex(ROOTS[first - 1]),
        bytes.fromhex(ROOTS[second - 1]),
        [bytes.fromhex(p) for p in proof],
    )


SIZES = range(1, 65)
TREE = MemoryTree([leaf_hash(i.to_bytes(4, "big")) for i in range(64)])


@pytest.mark.parametrize("size", SIZES)
def test_every_inclusion_proof_verifies_and_every_corruption_is_rejected(size: int) -> None:
    root = TREE.root(size)
    for index in range(size):
        leaf = TREE.node(0, index)
        proof = inclusion_proof(TREE, index, size)
        assert verify_inclusion(index, size, leaf, proof, root)
        for i, hashed in enumerate(proof):
            for bit in (0, 129, 255):
                bad = [*proof[:i], flipped(hashed, bit), *proof[i + 1 :]]
                assert not verify_inclusion(index, size, leaf, bad, root)
        assert not verify_inclusion(index, size, flipped(leaf, 7), proof, root)
        assert not verify_inclusion(index, size, leaf, proof, flipped(root, 7))
        for wrong in {index - 1, index + 1, size}:
            if wrong >= 0 and wrong != index:
                assert not verify_inclusion(wrong, size, leaf, proof, root)
        if proof:
            assert not verify_inclusion(index, size, leaf, proof[:-1], root)
        assert not verify_inclusion(index, size, leaf, [*proof, root], root)


@pytest.mark.parametrize("second", SIZES)
def test_every_consistency_proof_verifies_and_every_corruption_is_rejected(second: int) -> None:
    new_root = TREE.root(second)
    for first in range(1, second + 1):
        old_root = TREE.root(first)
        proof = consistency_proof(TREE, first, second)
        assert verify_consistency(first, second, old_root, new_root, proof)
        for i, hashed in enumerate(proof):
            bad = [*proof[:i], flipped(hashed, 100), *proof[i + 1 :]]
            assert not verify_consistency(first, second, old_root, new_root, bad)
        if first < second:
            assert not verify_consistency(first, second, flipped(old_root, 3), new_root, proof)
            assert not verify_consistency(first, second, old_root, flipped(new_root, 3), proof)
            assert not verify_consistency(first, second, old_root, new_root, proof[:-1])
            if first > 1:
                assert not verify_consistency(first - 1, second, old_root, new_root, proof)


def test_out_of_range_requests_are_refused() -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof(TREE, 5, 5)
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(TREE, 6, 5)
    assert not verify_inclusion(5, 5, TREE.node(0, 4), [], TREE.root(5))
    assert not verify_consistency(6, 5, TREE.root(6), TREE.root(5), [])
    assert verify_consistency(0, 5, EMPTY_ROOT, TREE.root(5), [])
    assert verify_consistency(5, 5, TREE.root(5), TREE.root(5), [])
    assert not verify_consistency(5, 5, TREE.root(5), TREE.root(4), [])


@pytest.mark.parametrize("size", [0, 1, 2, 3, 5, 8, 13, 64, 100])
def test_a_tree_built_a_level_at_a_time_is_the_appended_tree(size: int) -> None:
    hashes = [leaf_hash(bytes([i % 256, i // 256])) for i in range(size)]
    appended, built = MemoryTree(hashes), MemoryTree.of(hashes)
    assert built.levels == appended.levels
    for n in range(size + 1):
        assert built.root(n) == appended.root(n)
