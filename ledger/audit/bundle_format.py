"""The publication bundle: one file that holds what anyone needs to check a publication
offline (docs/FORMATS.md §13).

The file is gzip-compressed UTF-8 text (an uncompressed one is read as well). Its first
line is the header, the RFC 8785 form of a JSON object; every following line is one leaf of
the log, from leaf 0 to the checkpoint's size − 1: the canonical bytes of its event, or (from
format 2 on) the 64 lowercase hex digits of its RFC 9162 leaf hash alone, for a leaf whose
content the bundle does not carry. Each line ends in a newline; canonical JSON never holds
a raw newline."""

from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, overload

import orjson

from ledger.audit.event_checks import EventFacts
from ledger.core.canonical import LEDGER_TIME, canonical_bytes, is_plain_json
from ledger.core.errors import LedgerError, ValidationError
from ledger.transparency.merkle import leaf_hash

MEMBERS = frozenset(
    {
        "aggregate_type",
        "aggregate_id",
        "version",
        "type",
        "recorded_at",
        "prev_hash",
        "body",
        "command",
    }
)
_SORTED = orjson.OPT_SORT_KEYS
BUNDLE_FORMAT = "parledger-bundle/2"
FORMAT_1 = "parledger-bundle/1"  # every leaf in full: still read
FORMATS = (FORMAT_1, BUNDLE_FORMAT)
GZIP_MAGIC = b"\x1f\x8b"
_HASHED = re.compile(rb"[0-9a-f]{64}")


def is_hashed(line: bytes) -> bool:
    """Whether a bundle line is a leaf given by its hash alone (format 2, §13)."""
    return len(line) == 64 and _HASHED.fullmatch(line) is not None


def hashed_line(data: bytes) -> bytes:
    """The line that stands for a leaf by its hash alone."""
    return leaf_hash(data).hex().encode("ascii")


def merkle_leaf(line: bytes) -> bytes:
    """The RFC 9162 leaf hash of a bundle line, whether it is an event or a leaf hash."""
    return bytes.fromhex(line.decode("ascii")) if is_hashed(line) else leaf_hash(line)


class BundleError(ValidationError):
    code = "invalid_bundle"


@dataclass
class Bundle:
    header: dict[str, Any]
    leaves: list[bytes]


def encode_bundle(bundle: Bundle, *, compress: bool = True) -> bytes:
    lines = [canonical_bytes(bundle.header), *bundle.leaves]
    data = b"\n".join(lines) + b"\n"
    # mtime 0: the same bundle is the same bytes
    return gzip.compress(data, compresslevel=6, mtime=0) if compress else data


class Leaves(Sequence[bytes]):
    """The leaf lines of a bundle, read from one buffer (no object per leaf until asked)."""

    def __init__(self, blob: bytes, starts: array[int]) -> None:
        self.blob = blob
        self.starts = starts  # where each line starts, and one past the last line's newline

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __iter__(self) -> Iterator[bytes]:
        blob, starts = self.blob, self.starts
        for i in range(len(starts) - 1):
            yield blob[starts[i] : starts[i + 1] - 1]

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[bytes]: ...
    def __getitem__(self, index: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.blob[self.starts[index] : self.starts[index + 1] - 1]


def read_bundle(data: bytes) -> tuple[dict[str, Any], Leaves]:
    """A bundle's header and its leaves; refuse what is not a bundle at all."""
    if data.startswith(GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise BundleError(f"the bundle is not a readable gzip file ({error})") from None
    if not data.endswith(b"\n"):
        raise BundleError("the bundle does not end with a newline: it was cut short")
    first = data.index(b"\n")
    try:
        header = orjson.loads(data[:first])
    except orjson.JSONDecodeError as error:
        raise BundleError(f"the bundle's first line is not a JSON header ({error})") from None
    if not isinstance(header, dict) or header.get("format") not in FORMATS:
        raise BundleError(
            f"the bundle's header says neither format {FORMAT_1!r} nor {BUNDLE_FORMAT!r}"
        )
    starts = array("q")
    position, end = first + 1, len(data)
    find = data.find
    while position < end:
        starts.append(position)
        position = find(b"\n", position) + 1
    starts.append(end)
    return header, Leaves(data, starts)


def decode_bundle(data: bytes) -> Bundle:
    header, leaves = read_bundle(data)
    return Bundle(header, list(leaves))


class BadLeaf(Exception):
    """A leaf that is not an event in canonical form."""


def read_leaf(data: bytes) -> tuple[EventFacts, bytes | None]:
    """The event a leaf holds, and its command's canonical bytes where they were established
    on the way; refuses bytes that are not the canonical form of an event."""
    try:
        return _read_leaf(data)
    except BadLeaf:
        raise
    except Exception as error:  # e.g. nesting too deep for the encoders
        raise BadLeaf(f"cannot be read ({type(error).__name__}: {error})") from None


def _read_leaf(data: bytes) -> tuple[EventFacts, bytes | None]:
    try:
        event = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise BadLeaf(f"not JSON ({error})") from None
    if not isinstance(event, dict) or event.keys() != MEMBERS:
        raise BadLeaf("not an event object with exactly the eight members of FORMATS §4")
    signed: bytes | None = None
    if orjson.dumps(event, option=_SORTED) == data and is_plain_json(event, ascii_keys=True):
        # orjson writes plain JSON values as RFC 8785 does, and sorts ASCII keys alike (by
        # code point; RFC 8785 sorts by UTF-16 code unit): anything else takes the exact path
        command = event["command"]
        if isinstance(command, dict) and isinstance(command.get("command"), dict):
            signed = orjson.dumps(command["command"], option=_SORTED)
    else:
        try:
            canonical = canonical_bytes(event)
        except LedgerError as error:
            raise BadLeaf(f"not canonical JSON ({error})") from None
        if canonical != data:
            raise BadLeaf("not in canonical form (RFC 8785): it was re-encoded or changed")
    body, version, recorded_at = event["body"], event["version"], event["recorded_at"]
    if not isinstance(body, dict) or not isinstance(event["command"], dict):
        raise BadLeaf("its body and command must be objects")
    if type(version) is not int or version < 1:
        raise BadLeaf("its version must be a positive integer")
    try:
        if not isinstance(recorded_at, str) or not LEDGER_TIME.fullmatch(recorded_at):
            raise ValueError(recorded_at)
        at = datetime.fromisoformat(recorded_at)
    except ValueError:
        raise BadLeaf("its recorded_at is not a time as the ledger writes it") from None
    prev_hash = event["prev_hash"]
    if not isinstance(prev_hash, str):  # its value is checked with the chain
        raise BadLeaf("its prev_hash is not a string")
    if not isinstance(event["aggregate_type"], str) or not isinstance(event["type"], str):
        raise BadLeaf("its aggregate_type and type must be strings")
    return (
        EventFacts(
            aggregate_type=event["aggregate_type"],
            aggregate_id=str(event["aggregate_id"]),
            version=version,
            event_type=event["type"],
            recorded_at=at,
            prev_hash=prev_hash,
            event_hash=hashlib.sha256(data).hexdigest(),
            body=body,
            command=event["command"],
        ),
        signed,
    )
