"""The content-addressed evidence store on a real directory."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from ledger.application.evidence import EvidenceCorrupted, EvidenceStore
from ledger.core.errors import LedgerError


def test_files_are_stored_under_their_sha256_and_read_back(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    data = b"%PDF-1.7 bao cao" * 10_000
    stored = store.put(io.BytesIO(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    assert store.path_of(stored.sha256).parent.parent.name == stored.sha256[:2]
    assert store.read(stored.sha256) == data
    assert store.has(stored.sha256)
    assert store.put_bytes(data) == stored


def test_a_corrupted_file_is_refused_loudly(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    stored = store.put_bytes(b"original evidence")
    path = store.path_of(stored.sha256)
    os.chmod(path, 0o644)
    path.write_bytes(b"swapped evidence!")
    with pytest.raises(EvidenceCorrupted, match=stored.sha256):
        store.read(stored.sha256)
    with pytest.raises(EvidenceCorrupted):
        store.check(stored.sha256)


def test_a_file_over_the_limit_leaves_nothing_behind(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    with pytest.raises(LedgerError) as caught:
        store.put(io.BytesIO(b"x" * 2000), max_size=1000)
    assert caught.value.code == "file_too_large"
    assert [p for p in (tmp_path / "evidence").rglob("*") if p.is_file()] == []


def test_missing_files_and_bad_names(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    with pytest.raises(LedgerError) as missing:
        store.read("ab" * 32)
    assert missing.value.code == "evidence_missing"
    with pytest.raises(LedgerError) as bad:
        store.path_of("../../etc/passwd")
    assert bad.value.code == "invalid_input"
