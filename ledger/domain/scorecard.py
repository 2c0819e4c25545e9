"""A unit's scorecard in one campaign: self-scores, evidence, submission, external scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ledger.commands import SignedCommand
from ledger.domain.base import LedgerAggregate
from ledger.domain.indicators import SOURCE_TITLES, IndicatorTree, Node
from ledger.domain.points import parse_points, plain
from ledger.errors import DomainError
from ledger.ids import scorecard_id


@dataclass
class LeafEntry:
    """What the scorecard holds for one leaf."""

    self_points: Decimal | None = None
    note: str = ""
    explanation: str = ""
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)
    external_points: Decimal | None = None
    source_document: str = ""

    @property
    def unsupported(self) -> bool:
        """Self-scored with neither evidence nor a written explanation."""
        return self.self_points is not None and not self.evidence and not self.explanation.strip()


class Scorecard(LedgerAggregate):
    AGGREGATE_TYPE = "Scorecard"

    def __init__(self) -> None:
        super().__init__()
        self.campaign = ""
        self.unit = ""
        self.unit_kind = ""
        self.indicator_set = ""
        self.indicator_set_version = 0
        self.entries: dict[str, LeafEntry] = {}
        self.submitted_at: datetime | None = None
        self.submitted_by: str | None = None

    class ScorecardOpened(LedgerAggregate.Created):
        pass

    class SelfScoreRecorded(LedgerAggregate.Event):
        pass

    class EvidenceAttached(LedgerAggregate.Event):
        pass

    class EvidenceRemoved(LedgerAggregate.Event):
        pass

    class SelfAssessmentSubmitted(LedgerAggregate.Event):
        pass

    class ExternalScoreRecorded(LedgerAggregate.Event):
        pass

    def entry(self, code: str) -> LeafEntry:
        return self.entries.setdefault(code, LeafEntry())

    def when(self, event_type: str, body: dict[str, Any], at: datetime) -> None:
        if event_type == "ScorecardOpened":
            self.campaign = body["campaign"]
            self.unit = body["unit"]
            self.unit_kind = body["unit_kind"]
            self.indicator_set = body["indicator_set"]
            self.indicator_set_version = body["indicator_set_version"]
        elif event_type == "SelfScoreRecorded":
            entry = self.entry(body["criterion"])
            entry.self_points = Decimal(body["points"])
            entry.note = body.get("note", "")
            entry.explanation = body.get("explanation", "")
        elif event_type == "EvidenceAttached":
            item = {k: body[k] for k in ("sha256", "size", "file_name", "media_type")}
            self.entry(body["criterion"]).evidence[body["sha256"]] = item
        elif event_type == "EvidenceRemoved":
            self.entry(body["criterion"]).evidence.pop(body["sha256"], None)
        elif event_type == "SelfAssessmentSubmitted":
            self.submitted_at = at
            self.submitted_by = body["submitted_by"]
        elif event_type == "ExternalScoreRecorded":
            entry = self.entry(body["criterion"])
            entry.external_points = Decimal(body["points"])
            entry.source_document = body["source_document"]
        else:
            raise ValueError(f"unknown scorecard event {event_type}")

    @classmethod
    def open_for(cls, command: SignedCommand, at: datetime) -> Scorecard:
        args = command.args
        return cls.open(
            cls.ScorecardOpened,
            aggregate_id=scorecard_id(args["campaign"], args["unit"]),
            body=dict(args),
            command=command,
            at=at,
        )

    # -- rules -------------------------------------------------------------------------

    def _refuse_after_submission(self) -> None:
        if self.submitted_at is not None:
            raise DomainError(
                f"unit {self.unit} submitted its self-assessment for {self.campaign}; "
                "the unit can no longer change it",
                code="already_submitted",
            )

    def _applicable_leaf(self, tree: IndicatorTree, code: str) -> Node:
        leaf = tree.leaf(code)
        if not leaf.applies(self.unit_kind):
            raise DomainError(
                f"criterion {code} does not apply to a unit of kind {self.unit_kind}",
                code="not_applicable",
                field="command.args.criterion",
            )
        return leaf

    def _points(self, leaf: Node, text: str, precision: int) -> Decimal:
        points = parse_points(text, "command.args.points", precision=precision)
        if points > leaf.max_points:
            raise DomainError(
                f"criterion {leaf.code}: {text} points is above "
                f"its maximum of {plain(leaf.max_points)}",
                code="above_maximum",
                field="command.args.points",
            )
        return points

    def record_self_score(self, command: SignedCommand, tree: IndicatorTree, at: datetime) -> None:
        self._refuse_after_submission()
        leaf = self._applicable_leaf(tree, command.args["criterion"])
        if leaf.score_source != "appraisal":
            raise DomainError(
                f"criterion {leaf.code} is scored from {SOURCE_TITLES[leaf.score_source or '']}, "
                "not by the unit's self-assessment",
                code="not_self_assessed",
                field="command.args.criterion",
            )
        self._points(leaf, command.args["points"], tree.precision)
        self.record(self.SelfScoreRecorded, body=dict(command.args), command=command, at=at)

    def attach_evidence(self, command: SignedCommand, tree: IndicatorTree, at: datetime) -> None:
        self._refuse_after_submission()
        leaf = self._applicable_leaf(tree, command.args["criterion"])
        if command.args["sha256"] in self.entry(leaf.code).evidence:
            raise DomainError(
                f"this file is already attached to criterion {leaf.code}",
                code="evidence_exists",
                field="command.args.sha256",
            )
        self.record(self.EvidenceAttached, body=dict(command.args), command=command, at=at)

    def remove_evidence(self, command: SignedCommand, tree: IndicatorTree, at: datetime) -> None:
        self._refuse_after_submission()
        leaf = self._applicable_leaf(tree, command.args["criterion"])
        if command.args["sha256"] not in self.entry(leaf.code).evidence:
            raise DomainError(
                f"no file with this hash is attached to criterion {leaf.code}",
                code="evidence_not_attached",
                field="command.args.sha256",
            )
        self.record(self.EvidenceRemoved, body=dict(command.args), command=command, at=at)

    def submit(self, command: SignedCommand, at: datetime) -> None:
        self._refuse_after_submission()
        unsupported = sorted(code for code, entry in self.entries.items() if entry.unsupported)
        if unsupported:
            raise DomainError(
                "self-scores without evidence need a written explanation before submission: "
                + ", ".join(unsupported),
                code="unsupported_self_score",
            )
        self.record(
            self.SelfAssessmentSubmitted,
            body={**command.args, "submitted_by": command.key_id},
            command=command,
            at=at,
        )

    def record_external_score(
        self, command: SignedCommand, tree: IndicatorTree, at: datetime
    ) -> None:
        leaf = self._applicable_leaf(tree, command.args["criterion"])
        if leaf.score_source != command.args["source"]:
            raise DomainError(
                f"criterion {leaf.code} is scored from {leaf.score_source}, "
                f"not {command.args['source']}",
                code="source_mismatch",
                field="command.args.source",
            )
        self._points(leaf, command.args["points"], tree.precision)
        self.record(self.ExternalScoreRecorded, body=dict(command.args), command=command, at=at)


def current_points(card: Scorecard, tree: IndicatorTree) -> dict[str, Decimal]:
    """Each leaf's points as the scorecard stands: the self-score for self-assessed leaves,
    the recorded value for survey, SIPAS and published leaves."""
    points: dict[str, Decimal] = {}
    for code, entry in card.entries.items():
        source = tree.nodes[code].score_source if code in tree.nodes else None
        value = entry.self_points if source == "appraisal" else entry.external_points
        if value is not None:
            points[code] = value
    return points
