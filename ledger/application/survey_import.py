"""Survey files: a definition read from YAML or JSON, an answer file (CSV or XLSX) streamed
through the domain's checks and tallies, the arguments of its signed batch, the preview the
survey body reviews, and the raw file kept privately (docs/FORMATS.md §12)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError as PydanticValidationError

from ledger.application.evidence import EvidenceStore
from ledger.core.errors import NotFoundError, ValidationError
from ledger.core.ids import survey_id
from ledger.domain.indicators import IndicatorTree
from ledger.domain.survey import Batch, Survey, maxima_of
from ledger.domain.survey_definition import SurveyDefinition
from ledger.domain.survey_methods import survey_results
from ledger.domain.survey_tally import FileTally, tally_rows

CHUNK = 1 << 20


def load_survey_definition(path: Path) -> SurveyDefinition:
    """A definition file, checked; a refusal is one line naming what is wrong."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationError(f"{path.name} cannot be read: {error}", field="file") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        first = str(error).splitlines()[0]
        raise ValidationError(f"{path.name} is not valid YAML or JSON: {first}") from None
    return parse_definition(data, path.name)


def parse_definition(data: Any, where: str = "the definition") -> SurveyDefinition:
    try:
        return SurveyDefinition.model_validate(data)
    except PydanticValidationError as error:
        first = error.errors()[0]
        place = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise ValidationError(
            f"{where}: {place + ': ' if place else ''}{message}", field=place or "file"
        ) from None


def answer_rows(path: Path) -> Iterator[list[str]]:
    """An answer file's rows, streamed: CSV (UTF-8, a BOM allowed) or XLSX (first sheet),
    told by its content."""
    with path.open("rb") as handle:
        zipped = handle.read(4) == b"PK\x03\x04"
    if zipped:
        yield from _xlsx_rows(path)
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            yield from csv.reader(handle)
        except UnicodeDecodeError:
            raise ValidationError(f"{path.name} is not UTF-8 text", field="file") from None
        except csv.Error as error:
            raise ValidationError(f"{path.name} is not CSV: {error}", field="file") from None


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a bad file
        raise ValidationError(f"{path.name} is not an XLSX workbook: {error}") from None
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield ["" if v is None else str(v) for v in values]
    finally:
        book.close()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class CheckedFile:
    path: Path
    sha256: str
    tally: FileTally

    @property
    def ok(self) -> bool:
        return not self.tally.errors


def check_answer_file(path: Path, definition: SurveyDefinition) -> CheckedFile:
    if not path.is_file():
        raise ValidationError(f"answer file {path} does not exist", field="file")
    tally = tally_rows(answer_rows(path), definition)
    return CheckedFile(path, file_sha256(path), tally)


def check_answer_bytes(data: bytes, name: str, definition: SurveyDefinition) -> CheckedFile:
    """An answer file held in memory (an upload, the demo's generated answers)."""
    if name.lower().endswith(".xlsx"):
        raise ValidationError("an XLSX answer file is read from disk", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(f"{name} is not UTF-8 text", field="file") from None
    try:
        tally = tally_rows(csv.reader(io.StringIO(text, newline="")), definition)
    except csv.Error as error:
        raise ValidationError(f"{name} is not CSV: {error}", field="file") from None
    return CheckedFile(Path(name), hashlib.sha256(data).hexdigest(), tally)


def batch_args(
    survey: Survey, checked: CheckedFile, supersedes: str | None = None, reason: str = ""
) -> dict[str, Any]:
    """The signed arguments of an import: the hash, rows and tallies, never a respondent."""
    args: dict[str, Any] = {
        "survey": survey.code,
        "campaign": survey.campaign,
        "version": survey.definition_version,
        "file_sha256": checked.sha256,
        "rows": checked.tally.rows,
        "tallies": checked.tally.tallies,
        "respondents": checked.tally.respondents,
    }
    if supersedes:
        args["supersedes"] = supersedes
        args["reason"] = reason
    return args


def preview(definition: SurveyDefinition, tally: FileTally, tree: IndicatorTree) -> dict[str, Any]:
    """What the file gives on its own: every question's percentage, the indexes and points."""
    return survey_results(definition, tally.tallies, maxima_of(definition, tree), tree.precision)


def private_files(home_evidence: Path) -> EvidenceStore:
    """Where raw answer files are kept: apart from evidence files, never served publicly."""
    return EvidenceStore(home_evidence.parent / "survey-files")


def recorded_batch(survey: Survey, checked: CheckedFile) -> Batch:
    """The batch a raw file is: its hash recorded, and the same rows and tallies."""
    batch = survey.batches.get(checked.sha256)
    if batch is None:
        raise ValidationError(
            f"{checked.path.name} (SHA-256 {checked.sha256}) is no recorded batch of survey "
            f"{survey.code}",
            code="not_recorded",
            field="file",
        )
    if batch.tallies != checked.tally.tallies or batch.rows != checked.tally.rows:
        raise ValidationError(
            f"{checked.path.name}: its tallies differ from those recorded",
            code="tallies_differ",
            field="file",
        )
    return batch


def find_survey(aggregate: Any, code: str) -> Survey:
    if not isinstance(aggregate, Survey):
        raise NotFoundError(f"survey {code} is not defined", code="unknown_survey", field="survey")
    return aggregate


def survey_aggregate_id(code: str) -> Any:
    return survey_id(code)
