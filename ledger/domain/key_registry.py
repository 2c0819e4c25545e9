"""The key and role registry (one aggregate per ledger), opened by the genesis command."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ledger.core.crypto import key_id_of
from ledger.core.envelope import SignedCommand
from ledger.core.errors import DomainError, NotFoundError
from ledger.core.ids import KEY_REGISTRY_ID
from ledger.domain.base import LedgerAggregate
from ledger.domain.derivations import key_registry_members
from ledger.domain.keyring import KeyRecord, Keyring


class KeyRegistry(LedgerAggregate):
    AGGREGATE_TYPE = "KeyRegistry"

    def __init__(self) -> None:
        super().__init__()
        self.keyring = Keyring()

    class LedgerInitialised(LedgerAggregate.Created):
        pass

    class KeyEnrolled(LedgerAggregate.Event):
        pass

    class KeyRevoked(LedgerAggregate.Event):
        pass

    class KeyRotated(LedgerAggregate.Event):
        pass

    class KeyAppointed(LedgerAggregate.Event):
        pass

    class AppointmentEnded(LedgerAggregate.Event):
        pass

    def when(self, event_type: str, body: dict[str, Any], at: datetime) -> None:
        self.keyring.apply(event_type, body, at)

    @classmethod
    def initialise(cls, command: SignedCommand, at: datetime) -> KeyRegistry:
        args = command.args
        if key_id_of(
            args["administrator"]["public_key"], "command.args.administrator.public_key"
        ) == key_id_of(args["server"]["public_key"], "command.args.server.public_key"):
            raise DomainError(
                "the server key must differ from the administrator key",
                code="same_key",
                field="command.args.server.public_key",
            )
        body = {**args, **key_registry_members("LedgerInitialised", args, command.ledger)}
        return cls.open(
            cls.LedgerInitialised, aggregate_id=KEY_REGISTRY_ID, body=body, command=command, at=at
        )

    def key(self, key_id: str) -> KeyRecord:
        record = self.keyring.get(key_id)
        if record is None:
            raise NotFoundError(f"key {key_id} is not enrolled", field="command.args.key_id")
        return record

    def _refuse_known(self, public_key: str, field: str) -> None:
        key_id = key_id_of(public_key, field)
        if self.keyring.get(key_id) is not None:
            raise DomainError(
                f"key {key_id} is already enrolled; a key is enrolled once",
                code="key_exists",
                field=field,
            )

    def _record_key_event(
        self, event_class: type[LedgerAggregate.Event], command: SignedCommand, at: datetime
    ) -> None:
        derived = key_registry_members(event_class.__name__, command.args, command.ledger)
        self.record(event_class, body={**command.args, **derived}, command=command, at=at)

    def enrol(self, command: SignedCommand, at: datetime) -> None:
        self._refuse_known(command.args["public_key"], "command.args.public_key")
        self._record_key_event(self.KeyEnrolled, command, at)

    def revoke(self, command: SignedCommand, at: datetime) -> None:
        record = self.key(command.args["key_id"])
        if not record.active:
            raise DomainError(
                f"key {record.key_id} is already revoked",
                code="key_revoked",
                field="command.args.key_id",
            )
        if record.key_id == command.key_id:
            raise DomainError(
                "a key cannot revoke itself; rotate it instead",
                code="self_revocation",
                field="command.args.key_id",
            )
        self._record_key_event(self.KeyRevoked, command, at)

    def rotate(self, command: SignedCommand, at: datetime) -> None:
        record = self.key(command.args["key_id"])
        if not record.active:
            raise DomainError(
                f"key {record.key_id} is revoked and cannot be rotated",
                code="key_revoked",
                field="command.args.key_id",
            )
        self._refuse_known(command.args["new_public_key"], "command.args.new_public_key")
        self._record_key_event(self.KeyRotated, command, at)

    def _active_key(self, key_id: str) -> KeyRecord:
        record = self.key(key_id)
        if not record.active:
            raise DomainError(
                f"key {record.key_id} is revoked", code="key_revoked", field="command.args.key_id"
            )
        return record

    def appoint(self, command: SignedCommand, at: datetime) -> None:
        """More grants for an enrolled key (a civil servant appointed to a council)."""
        self._active_key(command.args["key_id"])
        self._record_key_event(self.KeyAppointed, command, at)

    def end_appointment(self, command: SignedCommand, at: datetime) -> None:
        """End one of a key's grants before the key is revoked, with the reason."""
        record = self._active_key(command.args["key_id"])
        number = command.args["appointment"]
        if number >= len(record.grants):
            raise NotFoundError(
                f"key {record.key_id} holds {len(record.grants)} grant(s), numbered from 0",
                field="command.args.appointment",
            )
        if not record.grants[number].active:
            raise DomainError(
                f"appointment {number} of key {record.key_id} has already ended",
                code="appointment_ended",
                field="command.args.appointment",
            )
        self._record_key_event(self.AppointmentEnded, command, at)
