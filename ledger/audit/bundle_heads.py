"""A publication's heads (docs/FORMATS.md §12, §14.7): the last event of every aggregate its
table depends on, as the log stood when it was recorded. Checked against the events the
log (or the bundle) holds in full: each named aggregate's chain complete from version 1 to
its head, every aggregate the table depends on named; and in a bundle of format 2, nothing
in full but those chains and the publication."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.audit.bundle_format import is_hashed
from ledger.audit.replay import Publication
from ledger.domain.disclosure import CAMPAIGN_CONTENT, heads_order, input_ids

_ID = slice(len('{"aggregate_id":"'), len('{"aggregate_id":"') + 36)
_VERSION = b'"version":'
_TYPE = b'"type":"'
# an indicator set's head is its last definition or revision: the freezes that follow it
# name the campaigns that use the set, and are not part of its chain for a publication
NOT_IN_CHAIN = frozenset({b"IndicatorSetFrozen"})


@dataclass
class Chains:
    """The full leaves of some aggregates: (leaf, version, event hash), in log order."""

    entries: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)

    def before(self, aggregate_id: str, index: int) -> list[tuple[int, int, str]]:
        return [e for e in self.entries.get(aggregate_id, []) if e[0] < index]


def aggregate_of(line: bytes) -> str | None:
    """The aggregate id of a canonical leaf (at its fixed place), None for a hashed one."""
    if not line.startswith(b'{"aggregate_id":"'):
        return None
    return line[_ID].decode("ascii", "replace")


def chains_of(leaves: Sequence[bytes], ids: set[str]) -> Chains:
    chains = Chains()
    for index, line in enumerate(leaves):
        aggregate = aggregate_of(line)
        if aggregate is None or aggregate not in ids:
            continue
        try:
            version = int(line[line.rindex(_VERSION) + len(_VERSION) : -1])
            at = line.rindex(_TYPE) + len(_TYPE)
        except ValueError:
            continue  # the event checks name it
        if line[at : line.index(b'"', at)] in NOT_IN_CHAIN:
            continue
        digest = hashlib.sha256(line).hexdigest()
        chains.entries.setdefault(aggregate, []).append((index, version, digest))
    return chains


def named_ids(publications: Sequence[Publication]) -> set[str]:
    """Every aggregate the publications' heads name or their tables depend on."""
    found: set[str] = set()
    for publication in publications:
        heads = publication.event.body.get("heads")
        if not isinstance(heads, list):
            continue
        found |= {str(h.get("aggregate_id")) for h in heads if isinstance(h, dict)}
        found |= {str(i) for _, i in _inputs(publication)}
    return found


def _inputs(publication: Publication) -> list[tuple[str, Any]]:
    state = publication.campaign_before
    return input_ids(
        state.code,
        state.units,
        state.indicator_set,
        state.indicator_set_version,
        publication.authorities,
    )


def head_problems(publication: Publication, chains: Chains) -> list[str]:
    """How a publication's heads differ from the chains of full events before it."""
    heads = publication.event.body.get("heads")
    if not isinstance(heads, list) or not all(isinstance(h, dict) for h in heads):
        return ["its 'heads' is not a list of aggregates' heads"]
    found: list[str] = []
    named = {str(h.get("aggregate_id")): h for h in heads}
    if len(named) != len(heads) or heads != sorted(heads, key=heads_order):
        found.append("its heads are not one per aggregate, by aggregate type and id")
    for kind, aggregate_id in _inputs(publication):
        if str(aggregate_id) not in named and chains.before(str(aggregate_id), publication.index):
            found.append(f"its heads do not name {kind} {aggregate_id}, which its table reads")
    expected = {str(i) for _, i in _inputs(publication)}
    for aggregate_id, given in named.items():
        kind = str(given.get("aggregate_type"))
        if aggregate_id not in expected and kind not in CAMPAIGN_CONTENT:
            found.append(f"its heads name {kind} {aggregate_id}, which its table does not read")
            continue
        found += _chain_problems(given, chains.before(aggregate_id, publication.index))
    return found


def _chain_problems(given: dict[str, Any], entries: list[tuple[int, int, str]]) -> list[str]:
    name = f"{given.get('aggregate_type')} {given.get('aggregate_id')}"
    version, digest = given.get("version"), given.get("event_hash")
    if type(version) is not int or version < 1 or not isinstance(digest, str):
        return [f"the head of {name} is not a version and an event hash"]
    versions = [v for _, v, _ in entries]
    missing = sorted(set(range(1, version + 1)) - set(versions))
    found = []
    if missing:
        shown = ", ".join(str(v) for v in missing[:10]) + (" …" if len(missing) > 10 else "")
        found.append(
            f"{name}: its chain up to its head (version {version}) is not complete: "
            f"version {shown} is not in full (withheld as a hash, or missing)"
        )
    later = [v for v in versions if v > version]
    if later:
        found.append(
            f"{name}: its head says version {version}, but its version {max(later)} comes "
            "before the publication"
        )
    at_head = [d for _, v, d in entries if v == version]
    if at_head and at_head[-1] != digest:
        found.append(
            f"{name}: its version {version} hashes to {at_head[-1]}, but the head records "
            f"{digest}: the head does not match its chain"
        )
    return found


def check_bundle_content(
    leaves: Sequence[bytes],
    publication: Publication,
    chains: Chains,
    fail: Callable[[str], None],
) -> int:
    """In a bundle of format 2: every leaf in full is the publication or an event of an
    aggregate its heads name, up to its head; the number of leaves in full."""
    heads = publication.event.body.get("heads")
    limits = {
        str(h.get("aggregate_id")): h.get("version")
        for h in (heads if isinstance(heads, list) else [])
        if isinstance(h, dict)
    }
    carried = set()
    for aggregate_id, entries in chains.entries.items():
        limit = limits.get(aggregate_id)
        for index, version, _ in entries:
            if type(limit) is int and version <= limit and index < publication.index:
                carried.add(index)
    full = 0
    for index, line in enumerate(leaves):
        if is_hashed(line):
            continue
        full += 1
        if index != publication.index and index not in carried:
            fail(
                f"leaf {index} is in full, but it is not an event the publication's heads "
                "name: a bundle carries its own campaign's events, and every other leaf as "
                "its hash"
            )
    return full
