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

from ledger.application.media import sniff
from ledger.core.codes import SHA256
from ledger.core.errors import LedgerError, NotFoundError, ValidationError

_SHA256 = re.compile(SHA256)
CHUNK = 1 << 16


class EvidenceCorrupted(LedgerError):
    code = "evidence_corrupted"


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int


class Upload:
    def __init__(self, store: EvidenceStore, max_size: int | None) -> None:
        self.store = store
        self.max_size = max_size
        self.size = 0
        self._digest = hashlib.sha256()
        fd, name = tempfile.mkstemp(dir=store.root, prefix=".upload-")
        self._path = Path(name)
        self._handle = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.max_size is not None and self.size > self.max_size:
            self.abort()
            raise ValidationError(
                f"the file is larger than the limit of {self.max_size} bytes",
                code="file_too_large",
                field="file",
            )
        self._digest.update(chunk)
        self._handle.write(chunk)

    def flush(self) -> None:
        self._handle.flush()

    @property
    def path(self) -> Path:
        """Where the bytes written so far are, before the upload is committed."""
        return self._path

    def abort(self) -> None:
        self._handle.close()
        self._path.unlink(missing_ok=True)

    def commit(self) -> StoredFile:
        self._handle.close()
        sha256 = self._digest.hexdigest()
        target = self.store.path_of(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._path, target)
        os.chmod(target, 0o444)
        return StoredFile(sha256, self.size)


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValidationError(f"{sha256!r} is not a SHA-256 in lowercase hex", field="sha256")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def open_upload(self, max_size: int | None = None) -> Upload:
        """An upload written chunk by chunk; nothing is stored until it is committed."""
        self.root.mkdir(parents=True, exist_ok=True)
        return Upload(self, max_size)

    def put(self, stream: BinaryIO, max_size: int | None = None) -> StoredFile:
        """Store the bytes read from ``stream``; the name is their SHA-256."""
        upload = self.open_upload(max_size)
        try:
            while chunk := stream.read(CHUNK):
                upload.write(chunk)
        except BaseException:
            upload.abort()
            raise
        return upload.commit()

    def put_bytes(self, data: bytes) -> StoredFile:
        return self.put(io.BytesIO(data))

    def has(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def size_of(self, sha256: str) -> int:
        try:
            return self.path_of(sha256).stat().st_size
        except FileNotFoundError:
            raise NotFoundError(f"no evidence file {sha256}", code="evidence_missing") from None

    def media_type_of(self, sha256: str) -> str | None:
        """The stored file's type, told by its content (None if not an allowed type)."""
        return sniff(self.path_of(sha256))

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
