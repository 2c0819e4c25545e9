"""The checks of a bundle beyond its events (docs/FORMATS.md §14): its checkpoint, its
publications and their checkpoints, every publication's table, the key history and the
evidence the header lists."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.audit.bundle_format import BadLeaf, read_leaf
from ledger.audit.bundle_heads import Chains
from ledger.audit.parallel_checks import leaf_name
from ledger.audit.replay import (
    CardSnapshot,
    Registries,
    key_history,
    publication_facts,
    publication_problems,
    table_at,
)
from ledger.core.codes import SHA256
from ledger.core.errors import LedgerError
from ledger.domain.results import table_differences, table_sha256
from ledger.transparency.checkpoint import open_checkpoint
from ledger.transparency.cosignature import CosignatureVerifier
from ledger.transparency.merkle import MemoryTree
from ledger.transparency.note import open_note
from ledger.transparency.note_keys import NoteVerifier

_SHA256 = re.compile(SHA256)


@dataclass
class BundleReport:
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class Verification:
    def __init__(self, header: dict[str, Any], leaves: Sequence[bytes], log_key: str) -> None:
        self.header = header
        self.leaves = leaves
        self.report = BundleReport()
        self.log_key = log_key
        self.verifier: NoteVerifier | None = None
        self.root = b""
        self.published: tuple[int, dict[str, Any]] | None = None
        self.chains: Chains | None = None

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

    def log_verifier(self) -> NoteVerifier | None:
        try:
            return NoteVerifier.from_string(self.log_key)
        except LedgerError as error:
            self.fail(f"the log key {self.log_key!r} is not a note verifier key ({error})")
            return None

    def checkpoint(self, witnesses: Sequence[str]) -> int | None:
        """The checkpoint's size if the log key signed it."""
        self.verifier = self.log_verifier()
        if self.verifier is None:
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
            self.fail(f"{leaf_name(index)}, the publication: {error}")
            return None
        if event.event_type != "ResultsPublished" or event.body.get("campaign") != campaign:
            self.fail(f"{leaf_name(index, event)} is not a publication of campaign {campaign}")
            return None
        if named != publication_facts(index, event):
            self.fail(f"the header's publication is not what {leaf_name(index, event)} records")
        size = event.body.get("tree_size")
        if type(size) is not int or not 0 < size <= index:
            self.fail(
                f"{leaf_name(index, event)}: its table was computed at a checkpoint of {size!r} "
                "leaves, which does not come before it"
            )
            return None
        return index, event.body


def check_publications(
    run: Verification,
    tree: MemoryTree,
    publications: Sequence[tuple[int, dict[str, Any]]],
    published: tuple[int, dict[str, Any]] | None,
) -> None:
    """Every publication's checkpoint is signed by the log key, is a prefix of this log and
    is what the event says of it."""
    for index, body in publications:
        campaign = str(body.get("campaign"))
        where = f"leaf {index} (publication {body.get('sequence')!r} of {campaign})"
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
                f"publication {body.get('sequence')} of {campaign} at leaf {index}: its "
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


def check_keys(run: Verification, registries: Registries) -> None:
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


def check_tables(
    run: Verification,
    registries: Registries,
    snapshots: dict[tuple[str, int], CardSnapshot],
    published: tuple[int, dict[str, Any]] | None,
) -> None:
    """Every publication's table is what the events up to its checkpoint give: its hash, its
    size and its derived members; the bundle's own table equals it member for member."""
    for publication in registries.publications:
        size, campaign = publication.tree_size, publication.campaign
        where = leaf_name(publication.index, publication.event)
        if type(size) is not int or campaign not in registries.campaigns:
            continue  # named with the publications
        snapshot = snapshots.get((campaign, size), CardSnapshot())
        for unit in registries.campaign_at(campaign, size).units:
            if unit not in snapshot.scores:
                run.fail(f"{where}: unit {unit} of campaign {campaign} has no scorecard")
            if unit not in registries.units.at(size):
                run.fail(f"{where}: unit {unit} of campaign {campaign} is not registered")
        table = table_at(registries, campaign, size, snapshot.scores)
        problems = publication_problems(registries, publication, table)
        run.report.problems += [f"{where}: {text}" for text in problems]
        if not problems:
            run.ok(
                f"publication {publication.event.body['sequence']} of {campaign}: its table is "
                f"what the events up to leaf {size - 1} give (SHA-256 {table_sha256(table)})"
            )
        if published is not None and publication.index == published[0]:
            _check_bundle_table(run, published, table)


def _check_bundle_table(
    run: Verification, published: tuple[int, dict[str, Any]], table: dict[str, Any]
) -> None:
    index, body = published
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
    if digest == recorded and not differences:
        scores = sum(len(row["scores"]) for row in table["units"])
        run.ok(
            f"results: {len(table['units'])} units and {scores} leaf scores recomputed from "
            f"the events up to leaf {body['tree_size'] - 1}: exactly the published table "
            f"(SHA-256 {digest})"
        )


def check_evidence(
    run: Verification, expected: list[dict[str, Any]], evidence_dir: Path | None
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
        path = evidence_file(evidence_dir, digest)
        if path is None:
            run.fail(f"{where}: no file {digest} in {evidence_dir}")
            bad += 1
        elif (found := _sha256_of(path)) != digest:
            run.fail(f"{where}: the file's bytes hash to {found}, not {digest} (swapped)")
            bad += 1
    if not bad:
        run.ok(f"evidence files: the {len(expected)} files in {evidence_dir} match their hashes")


def evidence_file(folder: Path, digest: str) -> Path | None:
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
