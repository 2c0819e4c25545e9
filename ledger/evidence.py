"""Evidence files (tài liệu kiểm chứng) in a content-addressed directory, checked on every read."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ledger.errors import LedgerError, NotFoundError, ValidationError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1 << 16


class EvidenceCorrupted(LedgerError):
    code = "evidence_corrupted"


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValidationError(f"{sha256!r} is not a SHA-256 in lowercase hex", field="sha256")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, stream: BinaryIO, max_size: int | None = None) -> StoredFile:
        """Store the bytes read from ``stream``; the name is their SHA-256."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if max_size is not None and size > max_size:
                        raise ValidationError(
                            f"the file is larger than {max_size} bytes",
                            code="file_too_large",
                            field="file",
                        )
                    digest.update(chunk)
                    tmp.write(chunk)
            sha256 = digest.hexdigest()
            target = self.path_of(sha256)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
            os.chmod(target, 0o444)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return StoredFile(sha256, size)

    def put_bytes(self, data: bytes) -> StoredFile:
        return self.put(io.BytesIO(data))

    def has(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def size_of(self, sha256: str) -> int:
        try:
            return self.path_of(sha256).stat().st_size
        except FileNotFoundError:
            raise NotFoundError(f"no evidence file {sha256}", code="evidence_missing") from None

    def read_chunks(self, sha256: str) -> Iterator[bytes]:
        """Yield the file's bytes; raise :class:`EvidenceCorrupted` at the end if they do
        not hash to their name. Callers that must not release bad bytes use :meth:`read`."""
        digest = hashlib.sha256()
        try:
            handle = self.path_of(sha256).open("rb")
        except FileNotFoundError:
            raise NotFoundError(f"no evidence file {sha256}", code="evidence_missing") from None
        with handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                yield chunk
        if digest.hexdigest() != sha256:
            raise EvidenceCorrupted(
                f"evidence file {sha256} is corrupted: its bytes hash to {digest.hexdigest()}"
            )

    def read(self, sha256: str) -> bytes:
        return b"".join(self.read_chunks(sha256))

    def check(self, sha256: str) -> None:
        for _ in self.read_chunks(sha256):
            pass
