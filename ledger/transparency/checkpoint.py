"""C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): a note whose text is
``<origin>\\n<size>\\n<base64 root hash>\\n`` followed by optional extension lines, signed by
the log under a key named after the origin."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.core.crypto import b64decode, b64encode
from ledger.core.errors import ValidationError
from ledger.transparency.note import open_note, sign_note
from ledger.transparency.note_keys import (
    MAX_UINT64,
    ROOT_HASH_SIZE,
    TREE_SIZE,
    NoteSigner,
    NoteVerifier,
    check_no_controls,
    utf8,
)

# --- checkpoints ----------------------------------------------------------------------------


def _check_origin(origin: str) -> None:
    if not isinstance(origin, str) or origin == "":
        raise ValidationError("checkpoint: the origin must be non-empty", field="checkpoint")
    utf8(origin, "checkpoint")
    if any(char.isspace() or char < " " for char in origin):
        raise ValidationError(
            "checkpoint: the origin must not contain spaces or control characters",
            field="checkpoint",
        )


def _check_extension(line: str) -> None:
    if not isinstance(line, str) or line == "":
        raise ValidationError("checkpoint: an extension line must be non-empty", field="checkpoint")
    utf8(line, "checkpoint")
    if "\n" in line:
        raise ValidationError(
            "checkpoint: an extension line must not contain a newline", field="checkpoint"
        )
    check_no_controls(line, "checkpoint")


@dataclass(frozen=True)
class Checkpoint:
    """A transparency-log checkpoint (c2sp.org/tlog-checkpoint)."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_origin(self.origin)
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise ValidationError(
                "checkpoint: the tree size must be an integer", field="checkpoint"
            )
        if not 0 <= self.size <= MAX_UINT64:
            raise ValidationError(
                "checkpoint: the tree size must fit an unsigned 64-bit integer",
                field="checkpoint",
            )
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != ROOT_HASH_SIZE:
            raise ValidationError("checkpoint: the root hash must be 32 bytes", field="checkpoint")
        if not isinstance(self.extensions, tuple):
            raise ValidationError(
                "checkpoint: the extension lines must be a tuple", field="checkpoint"
            )
        for line in self.extensions:
            _check_extension(line)

    def to_text(self) -> str:
        lines = [self.origin, str(self.size), b64encode(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text, strictly."""
        field = "checkpoint"
        if not isinstance(text, str):
            raise ValidationError(f"{field}: must be a string", field=field)
        utf8(text, field)
        if not text.endswith("\n"):
            raise ValidationError(f"{field}: the text must end with a newline", field=field)
        check_no_controls(text, field)
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise ValidationError(
                f"{field}: expected an origin, a tree size and a root hash line", field=field
            )
        origin, size_text, hash_text, *extensions = lines
        _check_origin(origin)
        if not TREE_SIZE.fullmatch(size_text):
            raise ValidationError(
                f"{field}: the tree size must be a decimal without leading zeros", field=field
            )
        size = int(size_text)
        if size > MAX_UINT64:
            raise ValidationError(
                f"{field}: the tree size must fit an unsigned 64-bit integer", field=field
            )
        try:
            root_hash = b64decode(hash_text, field)
        except ValidationError as error:
            raise ValidationError(
                f"{field}: the root hash is not canonical base64", code=error.code, field=field
            ) from None
        if len(root_hash) != ROOT_HASH_SIZE:
            raise ValidationError(
                f"{field}: the root hash must be 32 bytes, got {len(root_hash)}", field=field
            )
        return cls(origin, size, root_hash, tuple(extensions))


def sign_checkpoint(cp: Checkpoint, signer: NoteSigner) -> str:
    """The checkpoint as a note signed by the log; the signer's key name must be the origin."""
    if signer.name != cp.origin:
        raise ValidationError(
            f"signer: the log key is named {signer.name!r}, not the origin {cp.origin!r}",
            field="signer",
        )
    return sign_note(cp.to_text(), [signer])


def open_checkpoint(note: str, verifier: NoteVerifier) -> Checkpoint:
    """Verify the log's signature on a checkpoint note and parse it.

    The verifier's key name must equal the checkpoint origin; other signatures (such as
    cosignatures) are ignored.
    """
    text, _ = open_note(note, [verifier])
    checkpoint = Checkpoint.from_text(text)
    if checkpoint.origin != verifier.name:
        raise ValidationError(
            f"checkpoint: origin {checkpoint.origin!r} is not the log key's name {verifier.name!r}",
            field="checkpoint",
        )
    return checkpoint
