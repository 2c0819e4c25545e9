"""Checks every recorded event: its canonical hash, its aggregate's hash chain, its
signature, and that its signer was enrolled, unrevoked and in scope when it signed.

The checks read nothing but the events, in log order; the keyring is rebuilt from the
key-registry events as they come, so each command is judged by the registry as it
stood at that point of the log. The same checks serve the stored events of a ledger
(:func:`verify_events`) and the canonical events of a publication bundle
(:mod:`ledger.audit.bundle_verifier`), through :class:`EventFacts`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.core.canonical import ZERO_HASH
from ledger.core.envelope import SignedCommand
from ledger.core.errors import LedgerError
from ledger.core.events import event_hash
from ledger.domain.authorization import authorize, signer_of
from ledger.domain.base import LedgerAggregate
from ledger.domain.catalogue import AGGREGATE_OF, OPENING
from ledger.domain.commands import command_type
from ledger.domain.keyring import KeyLookup, Keyring
from ledger.domain.scopes import RunningFacts, ScopeFacts


@dataclass(frozen=True)
class Problem:
    position: int
    aggregate_type: str
    aggregate_id: str
    version: int
    event_type: str
    reason: str

    def __str__(self) -> str:
        return (
            f"event at log position {self.position}: {self.aggregate_type} {self.aggregate_id} "
            f"version {self.version} ({self.event_type}): {self.reason}"
        )


@dataclass
class Report:
    events: int = 0
    aggregates: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Undecodable:
    """A stored row that could not be read back as an event."""

    aggregate_id: UUID
    version: int
    topic: str
    error: str

    @property
    def names(self) -> tuple[str, str]:
        """Aggregate and event type from the stored topic (``Scorecard``, ``SelfScoreRecorded``)."""
        qualname = self.topic.rpartition(":")[2]
        aggregate_type, _, event_type = qualname.partition(".")
        return aggregate_type or "?", event_type or "?"


@dataclass(slots=True)
class EventFacts:
    """What the checks need of one event, whether read from the store or from a bundle."""

    aggregate_type: str
    aggregate_id: str
    version: int
    event_type: str
    recorded_at: datetime
    prev_hash: str
    event_hash: str
    body: dict[str, Any]
    command: dict[str, Any]


@dataclass
class ChainHead:
    version: int
    hash: str


def aggregate_type_of(event: LedgerAggregate.Event) -> str:
    return type(event).__qualname__.split(".")[0]


def facts_of(event: LedgerAggregate.Event) -> EventFacts:
    return EventFacts(
        aggregate_type=aggregate_type_of(event),
        aggregate_id=str(event.originator_id),
        version=event.originator_version,
        event_type=event.event_type,
        recorded_at=event.timestamp,
        prev_hash=event.prev_hash,
        event_hash=event.event_hash,
        body=event.body,
        command=event.command,
    )


def verify_events(stream: Iterable[tuple[int, LedgerAggregate.Event | Undecodable]]) -> Report:
    report = Report()
    heads: dict[str, ChainHead] = {}
    keyring = Keyring()
    facts = RunningFacts()
    for position, event in stream:
        report.events += 1
        for reason in _check(event, heads, keyring, facts):
            report.problems.append(_problem(position, event, reason))
    report.aggregates = len(heads)
    return report


def _problem(position: int, event: LedgerAggregate.Event | Undecodable, reason: str) -> Problem:
    if isinstance(event, Undecodable):
        aggregate_type, event_type = event.names
        return Problem(
            position, aggregate_type, str(event.aggregate_id), event.version, event_type, reason
        )
    return Problem(
        position,
        aggregate_type_of(event),
        str(event.originator_id),
        event.originator_version,
        event.event_type,
        reason,
    )


def _check(
    event: LedgerAggregate.Event | Undecodable,
    heads: dict[str, ChainHead],
    keyring: Keyring,
    facts: RunningFacts,
) -> Iterator[str]:
    if isinstance(event, Undecodable):
        yield f"the stored row cannot be read as an event ({event.error})"
        return
    event_facts = facts_of(event)
    yield from check_chain(event_facts, heads)
    try:
        recomputed = event_hash(
            aggregate_type=event_facts.aggregate_type,
            aggregate_id=event.originator_id,
            version=event_facts.version,
            event_type=event_facts.event_type,
            recorded_at=event_facts.recorded_at,
            prev_hash=event_facts.prev_hash,
            body=event_facts.body,
            command=event_facts.command,
        )
    except (LedgerError, ValueError, TypeError) as error:
        yield f"its content cannot be put in canonical form ({error})"
        recomputed = ""
    if recomputed and recomputed != event_facts.event_hash:
        yield ("its content does not match its recorded hash: it was changed after it was recorded")
    yield from check_command(event_facts, keyring, facts)
    if event_facts.aggregate_type == "KeyRegistry":
        yield from apply_to_keyring(keyring, event_facts)
    try:
        facts.apply(event_facts.event_type, event_facts.body)
    except (KeyError, TypeError) as error:
        yield f"its body cannot be read ({type(error).__name__}: {error})"


def check_chain(event: EventFacts, heads: dict[str, ChainHead]) -> list[str]:
    """The event is the next version of its aggregate and links to the previous one's hash."""
    head = heads.get(event.aggregate_id)
    heads[event.aggregate_id] = ChainHead(event.version, event.event_hash)
    if event.version != (1 if head is None else head.version + 1):
        before = "nothing" if head is None else f"version {head.version}"
        return [
            f"version {event.version} follows {before} of its aggregate: events are missing "
            "or out of order"
        ]
    if event.prev_hash != (ZERO_HASH if head is None else head.hash):
        return [
            "its prev_hash does not match the hash of the aggregate's previous event (chain broken)"
        ]
    return []


def apply_to_keyring(keyring: Keyring, event: EventFacts) -> Iterator[str]:
    try:
        keyring.apply(event.event_type, event.body, event.recorded_at)
    except (KeyError, IndexError, ValueError, TypeError, LedgerError) as error:
        yield f"the key registry cannot apply it ({error})"


# what a caller that verifies signatures itself, later, collects: the public key, the
# signature and the signed bytes of each command
Pending = list[tuple[str, str, bytes]]


def check_command(
    event: EventFacts,
    keyring: KeyLookup,
    scope_facts: ScopeFacts,
    signed_bytes: bytes | None = None,
    pending: Pending | None = None,
) -> list[str]:
    """What is wrong with the event and its signed command: an event of its aggregate's kind,
    at the version its kind opens or follows, caused by a well-formed command of a type that
    produces it (the command table, ledger.domain.commands), for this aggregate, signed by a
    key allowed to sign it then. The body is checked against the signed arguments and the
    derived members when the events are replayed (ledger.audit.replay).

    ``signed_bytes``, when given, are the command's canonical bytes as the caller already
    established them. With ``pending``, the signature is not verified here but added to it."""
    found = _check_kind(event)
    try:
        command = SignedCommand.from_envelope(event.command, signed=signed_bytes)
        spec = command_type(command.type)
    except LedgerError as error:
        return [*found, f"its command is malformed: {error}"]
    if event.event_type not in spec.events:
        found.append(f"a {command.type} command cannot produce a {event.event_type} event")
    try:
        if str(spec.target(command.args)) != event.aggregate_id:
            found.append(f"its {command.type} command addresses another aggregate")
    except (KeyError, ValueError, TypeError) as error:
        found.append(f"its command lacks the argument {error}")
    try:
        signer = signer_of(keyring, command, verify=pending is None)
        if pending is not None:
            pending.append((signer.public_key, command.signature, command.signed_bytes()))
        authorize(keyring, command, signer, scope_facts)
    except LedgerError as error:
        found.append(f"signature or authority: {error}")
    except Exception as error:  # a malformed grant or key, in a forged registry
        found.append(f"signature or authority cannot be judged ({type(error).__name__}: {error})")
    return found


def _check_kind(event: EventFacts) -> list[str]:
    aggregate_type = AGGREGATE_OF.get(event.event_type)
    if aggregate_type is None:
        return [f"{event.event_type!r} is not an event type of the ledger"]
    if aggregate_type != event.aggregate_type:
        return [
            f"a {event.event_type} event belongs to a {aggregate_type}, not a "
            f"{event.aggregate_type}"
        ]
    if (event.version == 1) != (event.event_type in OPENING):
        return [
            f"a {event.event_type} event "
            + (
                "opens its aggregate at version 1"
                if event.event_type in OPENING
                else "cannot be the first of its aggregate"
            )
        ]
    return []
