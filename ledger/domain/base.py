"""The aggregate base: every event carries the signed command that caused it, the hash
of the aggregate's previous event, and its own canonical hash."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import orjson
from eventsourcing.domain import Aggregate

from ledger.core.canonical import ZERO_HASH
from ledger.core.envelope import SignedCommand
from ledger.core.errors import DomainError
from ledger.core.events import canonical_event, event_hash

A = TypeVar("A", bound="LedgerAggregate")


def fingerprint(payload: dict[str, Any]) -> str:
    """A quick identity of a command's content, to tell a replay from a reused nonce
    (internal only; what is signed and hashed is always the RFC 8785 form)."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


class LedgerAggregate(Aggregate):
    AGGREGATE_TYPE: ClassVar[str] = "Aggregate"

    def __init__(self) -> None:
        self.last_hash = ZERO_HASH
        # replay key (key id and nonce) -> (version, command digest)
        self.commands: dict[str, tuple[int, str]] = {}

    class Event(Aggregate.Event):
        body: dict[str, Any]
        command: dict[str, Any]
        prev_hash: str
        event_hash: str

        @property
        def event_type(self) -> str:
            return type(self).__name__

        @property
        def signed(self) -> SignedCommand:
            return SignedCommand.from_envelope(self.command)

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, LedgerAggregate)
            aggregate.last_hash = self.event_hash
            payload = self.command["command"]
            aggregate.commands[f"{payload['key_id']}:{payload['nonce']}"] = (
                self.originator_version,
                fingerprint(payload),
            )
            aggregate.when(self.event_type, self.body, self.timestamp)

        def canonical(self, aggregate_type: str) -> dict[str, Any]:
            return canonical_event(
                aggregate_type=aggregate_type,
                aggregate_id=self.originator_id,
                version=self.originator_version,
                event_type=self.event_type,
                recorded_at=self.timestamp,
                prev_hash=self.prev_hash,
                body=self.body,
                command=self.command,
            )

    class Created(Event, Aggregate.Created):
        pass

    def when(self, event_type: str, body: dict[str, Any], at: datetime) -> None:
        """Change state for one event; every subclass handles its own event types."""
        raise NotImplementedError

    def previous_command(self, command: SignedCommand) -> int | None:
        """The version recorded by this very command before, if it was seen already.

        The same key and nonce with different content is refused: a nonce is used once."""
        seen = self.commands.get(command.replay_key)
        if seen is None:
            return None
        version, digest = seen
        if digest != fingerprint(command.payload):
            raise DomainError(
                "this nonce was already used by the same key for a different command",
                code="nonce_reused",
                field="command.nonce",
            )
        return version

    @classmethod
    def blank(cls: type[A]) -> A:
        """State before any event, to replay events into with :meth:`when` (the read models
        and the verifier replay bodies, not the library's event objects)."""
        state = cls.__new__(cls)
        cls.__init__(state)
        return state

    @classmethod
    def open(
        cls: type[A],
        event_class: type[LedgerAggregate.Created],
        *,
        aggregate_id: UUID,
        body: dict[str, Any],
        command: SignedCommand,
        at: datetime,
    ) -> A:
        envelope = command.envelope()
        digest = event_hash(
            aggregate_type=cls.AGGREGATE_TYPE,
            aggregate_id=aggregate_id,
            version=cls.INITIAL_VERSION,
            event_type=event_class.__name__,
            recorded_at=at,
            prev_hash=ZERO_HASH,
            body=body,
            command=envelope,
        )
        return cls._create(
            event_class,
            id=aggregate_id,
            timestamp=at,
            body=body,
            command=envelope,
            prev_hash=ZERO_HASH,
            event_hash=digest,
        )

    def record(
        self,
        event_class: type[LedgerAggregate.Event],
        *,
        body: dict[str, Any],
        command: SignedCommand,
        at: datetime,
    ) -> None:
        envelope = command.envelope()
        digest = event_hash(
            aggregate_type=self.AGGREGATE_TYPE,
            aggregate_id=self.id,
            version=self.version + 1,
            event_type=event_class.__name__,
            recorded_at=at,
            prev_hash=self.last_hash,
            body=body,
            command=envelope,
        )
        self.trigger_event(
            event_class,
            timestamp=at,
            body=body,
            command=envelope,
            prev_hash=self.last_hash,
            event_hash=digest,
        )
