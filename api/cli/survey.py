"""``parledger survey``: define a survey, preview an answer file, import it as one signed
batch of tallies, show the results, and check a raw file against its recorded batch."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli.app import app
from api.cli.support import (
    Failure,
    FormatOption,
    KeyOption,
    ReadKeyOption,
    ServerOption,
    _check_format,
    _ledger,
    _receipt,
    _remote,
    _run,
    _target,
    out,
    show,
)
from ledger.application.service import Ledger
from ledger.application.survey_import import (
    CheckedFile,
    batch_args,
    check_answer_file,
    find_survey,
    load_survey_definition,
    parse_definition,
    preview,
    private_files,
    recorded_batch,
)
from ledger.core.crypto import SigningKey
from ledger.core.ids import campaign_id, survey_id
from ledger.domain.survey import Survey
from ledger.domain.survey_definition import SurveyDefinition
from projections.read_models.survey_view import flat_results, question_rows

survey_app = typer.Typer(
    no_args_is_help=True,
    help="Surveys and SIPAS: definitions, answer files imported as signed tallies, results.",
)
app.add_typer(survey_app, name="survey")

SurveyOption = Annotated[str, typer.Option("--survey", help="the survey's code")]
FileArgument = Annotated[Path, typer.Argument(help="the answer file (CSV or XLSX)")]


def _local_survey(ledger: Ledger, code: str) -> Survey:
    return find_survey(ledger.aggregate(survey_id(code)), code)


def _tree_of(ledger: Ledger, definition: SurveyDefinition) -> Any:
    campaign = ledger.aggregate(campaign_id(definition.campaign))
    if campaign is None:
        raise Failure(f"campaign {definition.campaign} does not exist")
    return ledger.tree(campaign.indicator_set, campaign.indicator_set_version)


def _bad_rows(checked: CheckedFile) -> None:
    errors = checked.tally.errors
    for error in errors:
        print(f"{checked.path.name}: {error}", file=sys.stderr)
    raise Failure(f"{checked.path.name}: {len(errors)} bad row(s); nothing recorded")


def _print_results(found: dict[str, Any], definition: SurveyDefinition, fmt: str) -> None:
    if fmt == "json":
        out.print_json(json.dumps(flat_results(found), ensure_ascii=False))
        return
    writer = csv.writer(sys.stdout) if fmt == "csv" else None
    if writer:
        writer.writerow(["unit", "code", "kind", "percent", "last_year", "target", "gap"])
    for unit, results in found["units"].items():
        rows = question_rows(definition, results)
        if writer:
            for row in rows:
                writer.writerow(
                    [unit, *(row[k] or "" for k in ("code", "kind", "percent"))]
                    + [row[k] or "" for k in ("last_year", "target", "gap")]
                )
            continue
        table = Table(title=unit, title_justify="left")
        for name in ("mã", "nội dung", "%", "năm trước", "chỉ tiêu", "chênh lệch"):
            table.add_column(name, justify="right" if name not in ("mã", "nội dung") else "left")
        for row in rows:
            cells = [row[k] or "" for k in ("percent", "last_year", "target", "gap")]
            table.add_row(row["code"], row["title"], *cells)
        show(table)
        for problem in results.get("problems", []):
            out.print(f"  [yellow]{problem}[/]")
        points = results.get("points", {})
        out.print("  points: " + (", ".join(f"{k} = {v}" for k, v in points.items()) or "none"))


@survey_app.command("define")
def define(
    file: Annotated[Path, typer.Argument(help="the definition, YAML or JSON")],
    key: KeyOption,
    server: ServerOption = None,
) -> None:
    """Define a survey, or revise it (version + 1) while no answers are recorded."""

    def act() -> None:
        definition = load_survey_definition(file)
        args = definition.model_dump(mode="json", exclude_defaults=True)
        with _target(server) as target:
            _receipt(target.submit(SigningKey.load(key), "define_survey", args))

    _run(act)


@survey_app.command("preview")
def preview_file(
    file: FileArgument,
    definition_file: Annotated[
        Path | None, typer.Option("--definition", help="the definition file, YAML or JSON")
    ] = None,
    survey: Annotated[str | None, typer.Option("--survey", help="or a defined survey")] = None,
    fmt: FormatOption = "table",
) -> None:
    """Check an answer file and compute everything from it; sign nothing."""

    def act() -> None:
        _check_format(fmt)
        ledger = _ledger()
        if definition_file is not None:
            definition = load_survey_definition(definition_file)
        elif survey is not None:
            definition = _local_survey(ledger, survey).definition
        else:
            raise Failure("give --definition FILE or --survey CODE")
        checked = check_answer_file(file, definition)
        if not checked.ok:
            _bad_rows(checked)
        _print_results(
            preview(definition, checked.tally, _tree_of(ledger, definition)), definition, fmt
        )

    _run(act)


@survey_app.command("import")
def import_file(
    file: FileArgument,
    survey: SurveyOption,
    key: KeyOption,
    supersedes: Annotated[
        str | None, typer.Option(help="SHA-256 of the batch a corrected file replaces")
    ] = None,
    reason: Annotated[str, typer.Option(help="why the corrected file replaces it")] = "",
    server: ServerOption = None,
) -> None:
    """Check every row, then sign one batch: the file's SHA-256, rows and tallies."""

    def act() -> None:
        signer = SigningKey.load(key)
        with _target(server) as target:
            if target.remote is not None:
                target.remote.login(signer)
                answer = target.remote.upload_survey_file(survey, file)
                if answer.get("errors"):
                    for error in answer["errors"]:
                        print(
                            f"{file.name}: row {error['row']}: {error['reason']}", file=sys.stderr
                        )
                    raise Failure(f"{file.name}: bad rows; nothing recorded")
                args = answer["args"]
            else:
                ledger = target.local
                found = _local_survey(ledger, survey)
                checked = check_answer_file(file, found.definition)
                if not checked.ok:
                    _bad_rows(checked)
                if checked.sha256 in found.batches:
                    out.print(
                        f"{file.name} (SHA-256 {checked.sha256}) is already recorded; "
                        "nothing recorded"
                    )
                    return
                with file.open("rb") as handle:
                    private_files(ledger.settings.evidence_dir).put(handle)
                args = batch_args(found, checked, supersedes, reason)
            if supersedes:
                args = {**args, "supersedes": supersedes, "reason": reason}
            _receipt(target.submit(signer, "import_survey_batch", args))

    _run(act)


@survey_app.command("results")
def results(
    survey: SurveyOption,
    fmt: FormatOption = "table",
    server: ServerOption = None,
    key: ReadKeyOption = None,
) -> None:
    """A survey's results from its recorded tallies: questions, indexes, points."""

    def act() -> None:
        _check_format(fmt)
        if server is not None:
            with _remote(server, key) as remote:
                document = remote.get(f"/v1/surveys/{survey}")
            definition = parse_definition(document["definition"])
            found = document["all_results"]
        else:
            found_survey = _local_survey(_ledger(), survey)
            definition = found_survey.definition
            found = found_survey.results or {"units": {}}
        _print_results(found, definition, fmt)

    _run(act)


@survey_app.command("check")
def check(file: FileArgument, survey: SurveyOption) -> None:
    """Confirm that a raw answer file is one whose hash and tallies were recorded."""

    def act() -> None:
        found = _local_survey(_ledger(), survey)
        checked = check_answer_file(file, found.definition)
        batch = recorded_batch(found, checked)
        state = "superseded" if batch.superseded_by else "in force"
        out.print(
            f"{file.name} is batch {checked.sha256} of survey {survey} ({batch.rows} "
            f"rows, {state}): its hash and tallies match the record"
        )

    _run(act)
