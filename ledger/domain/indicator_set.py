"""A versioned indicator set (Bộ chỉ số). Once a campaign uses a version, it is frozen."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ledger.core.envelope import SignedCommand
from ledger.core.errors import DomainError
from ledger.core.ids import indicator_set_id
from ledger.domain.base import LedgerAggregate
from ledger.domain.indicators import IndicatorTree, build_tree


class IndicatorSet(LedgerAggregate):
    AGGREGATE_TYPE = "IndicatorSet"

    def __init__(self) -> None:
        super().__init__()
        self.definition: dict[str, Any] = {}
        self.frozen_by: list[str] = []
        self._tree: IndicatorTree | None = None
        # the version and hash of its last definition or revision: what a table reads of it
        # (the freezes after it name the campaigns that use it)
        self.definition_head: tuple[int, str] = (0, "")

    class IndicatorSetDefined(LedgerAggregate.Created):
        pass

    class IndicatorSetRevised(LedgerAggregate.Event):
        pass

    class IndicatorSetFrozen(LedgerAggregate.Event):
        pass

    def when(self, event_type: str, body: dict[str, Any], at: datetime) -> None:
        if event_type == "IndicatorSetFrozen":
            self.frozen_by.append(body["campaign"])
        else:
            self.definition = body
            self._tree = None
            self.definition_head = (self.definition_head[0] + 1, self.last_hash)

    @property
    def tree(self) -> IndicatorTree:
        if self._tree is None:
            self._tree = build_tree(self.definition)
        return self._tree

    @property
    def frozen(self) -> bool:
        return bool(self.frozen_by)

    @classmethod
    def define(cls, command: SignedCommand, at: datetime) -> IndicatorSet:
        build_tree(command.args)
        return cls.open(
            cls.IndicatorSetDefined,
            aggregate_id=indicator_set_id(command.args["code"], command.args["version"]),
            body=dict(command.args),
            command=command,
            at=at,
        )

    def revise(self, command: SignedCommand, at: datetime) -> None:
        if self.frozen:
            raise DomainError(
                f"indicator set {self.tree.code} version {self.tree.version} is used by campaign "
                f"{self.frozen_by[0]} and frozen; "
                f"import the change as version {self.tree.version + 1}",
                code="indicator_set_frozen",
                field="command.args.version",
            )
        build_tree(command.args)
        self.record(self.IndicatorSetRevised, body=dict(command.args), command=command, at=at)

    def freeze(self, command: SignedCommand, at: datetime) -> None:
        self.record(self.IndicatorSetFrozen, body=dict(command.args), command=command, at=at)
