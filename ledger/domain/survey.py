"""A survey (điều tra xã hội học, SIPAS): its signed definition, versioned until answers
are recorded against it, and the batches of tallies imported from answer files
(docs/FORMATS.md §12). No respondent id is ever part of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ledger.core.envelope import SignedCommand
from ledger.core.errors import DomainError
from ledger.core.ids import survey_id
from ledger.domain.base import LedgerAggregate
from ledger.domain.indicators import IndicatorTree
from ledger.domain.survey_definition import SurveyDefinition
from ledger.domain.survey_methods import Tallies, merge_tallies, survey_results

DEFINITION_EVENTS = ("SurveyDefined", "SurveyRevised")


@dataclass
class Batch:
    """An imported file's record: its hash, rows, tallies and respondent counts."""

    file_sha256: str
    rows: int
    tallies: dict[str, Any]
    respondents: dict[str, dict[str, int]]
    imported_at: datetime
    imported_by: str
    supersedes: str | None
    reason: str
    superseded_by: str | None = None


def maxima_of(definition: SurveyDefinition, tree: IndicatorTree) -> dict[str, Decimal]:
    """Each scored criterion's maximum in the campaign's indicator set."""
    return {code: tree.leaf(code).max_points for code in definition.scored_criteria}


def batch_members(
    survey: Survey, args: dict[str, Any], signer: str, tree: IndicatorTree
) -> dict[str, Any]:
    """The derived members of a batch applied to ``survey`` (its state before): who signed,
    and the results of every batch in force once it is recorded."""
    replaced = args.get("supersedes")
    kept = [b.tallies for b in survey.active_batches() if b.file_sha256 != replaced]
    definition = survey.definition
    return {
        "imported_by": signer,
        "results": survey_results(
            definition,
            merge_tallies([*kept, args["tallies"]]),
            maxima_of(definition, tree),
            tree.precision,
        ),
    }


class Survey(LedgerAggregate):
    AGGREGATE_TYPE = "Survey"

    def __init__(self) -> None:
        super().__init__()
        self.code = ""
        # the definition's version (the aggregate's own `version` counts its events)
        self.definition_version = 0
        self.body: dict[str, Any] = {}
        self._definition: SurveyDefinition | None = None
        self.batches: dict[str, Batch] = {}
        self.order: list[str] = []
        self.results: dict[str, Any] = {}
        self.defined_by = ""

    class SurveyDefined(LedgerAggregate.Created):
        pass

    class SurveyRevised(LedgerAggregate.Event):
        pass

    class SurveyBatchImported(LedgerAggregate.Event):
        pass

    @property
    def definition(self) -> SurveyDefinition:
        if self._definition is None:
            self._definition = SurveyDefinition.model_validate(self.body)
        return self._definition

    @property
    def campaign(self) -> str:
        return str(self.body["campaign"])

    def active_batches(self) -> list[Batch]:
        return [self.batches[s] for s in self.order if self.batches[s].superseded_by is None]

    def tallies(self) -> dict[str, Any]:
        return merge_tallies(b.tallies for b in self.active_batches())

    def when(self, event_type: str, body: dict[str, Any], at: datetime) -> None:
        if event_type in DEFINITION_EVENTS:
            self.body = dict(body)
            self.code = body["code"]
            self.definition_version = body.get("version", 1)
            self._definition = None
            return
        if event_type != "SurveyBatchImported":
            raise ValueError(f"unknown survey event {event_type}")
        digest = body["file_sha256"]
        replaced = body.get("supersedes")
        if replaced:
            self.batches[replaced].superseded_by = digest
        self.batches[digest] = Batch(
            digest,
            body["rows"],
            body["tallies"],
            body["respondents"],
            at,
            body["imported_by"],
            replaced,
            body.get("reason", ""),
        )
        self.order.append(digest)
        self.results = body["results"]

    @classmethod
    def define(cls, command: SignedCommand, at: datetime) -> Survey:
        args = command.args
        if args.get("version", 1) != 1:
            raise DomainError(
                f"survey {args['code']} is not defined yet: its first version is 1",
                code="wrong_version",
                field="command.args.version",
            )
        return cls.open(
            cls.SurveyDefined,
            aggregate_id=survey_id(args["code"]),
            body=dict(args),
            command=command,
            at=at,
        )

    def revise(self, command: SignedCommand, at: datetime) -> None:
        if self.batches:
            raise DomainError(
                f"survey {self.code} v{self.definition_version} is frozen: answers are "
                "recorded against it; define a new survey",
                code="survey_frozen",
            )
        version = command.args.get("version", 1)
        if version != self.definition_version + 1:
            raise DomainError(
                f"survey {self.code} is at version {self.definition_version}: a revision is "
                f"version {self.definition_version + 1}",
                code="wrong_version",
                field="command.args.version",
            )
        self.record(self.SurveyRevised, body=dict(command.args), command=command, at=at)

    def check_batch(self, args: dict[str, Any]) -> None:
        """A file is recorded once; a correction names a batch in force, with a reason."""
        digest = args["file_sha256"]
        if args["version"] != self.definition_version:
            raise DomainError(
                f"the file was checked against version {args['version']} of survey "
                f"{self.code}, which is at version {self.definition_version}",
                code="wrong_version",
                field="command.args.version",
            )
        seen = self.batches.get(digest)
        if seen is not None:
            raise DomainError(
                f"this file (SHA-256 {digest[:12]}…) was already imported at "
                f"{seen.imported_at.isoformat()}; nothing recorded",
                code="already_imported",
                field="command.args.file_sha256",
            )
        replaced = args.get("supersedes")
        if replaced is None:
            return
        earlier = self.batches.get(replaced)
        if earlier is None or earlier.superseded_by is not None:
            raise DomainError(
                f"no batch in force of survey {self.code} has SHA-256 {replaced}",
                code="unknown_batch",
                field="command.args.supersedes",
            )
        if not args.get("reason", "").strip():
            raise DomainError(
                "a corrected file says why it replaces the earlier one",
                code="reason_required",
                field="command.args.reason",
            )

    def import_batch(self, command: SignedCommand, tree: IndicatorTree, at: datetime) -> None:
        args = dict(command.args)
        self.check_batch(args)
        derived = batch_members(self, args, command.key_id, tree)
        self.record(self.SurveyBatchImported, body={**args, **derived}, command=command, at=at)


def answer_tallies(tallies: Tallies) -> int:
    """How many answers (blanks included) the tallies count."""
    return sum(
        count
        for groups in tallies.values()
        for questions in groups.values()
        for counts in questions.values()
        for count in counts.values()
    )
