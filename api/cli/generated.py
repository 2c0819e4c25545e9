"""One subcommand per command type under `parledger cmd`, generated from the argument models."""

from __future__ import annotations

import enum
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, cast, get_args, get_origin

import typer

from api.cli.app import cmd_app
from api.cli.keys import public_key_arg
from api.cli.render import (
    to_json,
)
from api.cli.support import (
    Failure,
    Target,
    _check_format,
    _receipt,
    _run,
    _target,
)
from ledger.core.crypto import SigningKey
from ledger.domain.authorization import COMMANDS
from ledger.domain.command_args import ARGS, Args
from ledger.domain.keyring import SYSTEM_ROLE

# -- one subcommand per command type, generated from the argument models -------------------

FIELD_HELP: dict[str, str] = {
    "campaign": "campaign code",
    "unit": "unit code",
    "criterion": "criterion code, e.g. 1.1",
    "inputs": 'the scoring rule\'s inputs as JSON, e.g. {"points": "1.5"} (docs/FORMATS.md §8.1)',
    "note": "a note",
    "explanation": "the explanation of the score",
    "reason": "why",
    "points": "points, e.g. 1.5",
    "code": "code",
    "name": "name",
    "kind": "unit kind: province, department, district, commune, …",
    "parent": "parent unit code",
    "ranking_group": "ranking group (default: the kind)",
    "public_key": "base64 public key, or a .pub file",
    "new_public_key": "the new base64 public key, or a .pub file",
    "title": "title",
    "roles": 'JSON list of grants, e.g. [{"role": "unit_staff", "scope": ["HN"]}]',
    "key_id": "key id (32 hex digits)",
    "year": "year",
    "indicator_set": "indicator set code",
    "indicator_set_version": "indicator set version",
    "units": 'JSON list of unit codes, e.g. ["HN", "HP"]',
    "schedule": "JSON object of RFC 3339 times: self_assessment_opens, self_assessment_closes, "
    "preliminary_appraisal_closes, explanation_closes, final_appraisal_closes",
    "timezone": "IANA time zone",
    "adjustments": 'JSON list of {"code", "title", "kind": "bonus" or "penalty", "cap"}',
    "grade_bands": 'JSON list of {"min", "grade"}, highest first',
    "decision": "confirm or revise",
    "sha256": "SHA-256 of the uploaded file (hex; filled in by --file)",
    "size": "size of the file in bytes (filled in by --file)",
    "file_name": "the file's name (default with --file: its name)",
    "media_type": "the file's media type (default with --file: told by its content)",
    "source": "survey, sipas or published",
    "source_document": "the document the score comes from",
    "targets": 'JSON object {criterion: points}, e.g. {"1.1": "1.5"}',
    "version": "version number",
    "precision": "decimal places of points",
    "nodes": "JSON list of the set's nodes (docs/FORMATS.md §8)",
    "administrator": 'JSON {"public_key", "name", "title", "unit"} of the administrator',
    "server": 'JSON {"public_key", "name"} of the server\'s key',
    "deadline": "the deadline (RFC 3339)",
}
COMMAND_FIELD_HELP: dict[tuple[str, str], str] = {
    ("enrol_key", "unit"): "the key holder's organisation",
    ("enrol_key", "title"): "the key holder's title",
    ("enrol_key", "name"): "the key holder's name",
    ("register_unit", "code"): "unit code",
    ("update_unit", "code"): "unit code",
    ("register_unit", "name"): "unit name",
    ("update_unit", "name"): "unit name",
    ("create_campaign", "code"): "campaign code",
    ("create_campaign", "title"): "campaign title",
    ("create_campaign", "year"): "the year assessed",
    ("define_indicator_set", "code"): "indicator set code",
    ("define_indicator_set", "title"): "indicator set title",
    ("record_adjustment", "code"): "adjustment code (one of the campaign's adjustments)",
    ("record_targets", "year"): "the year the targets are for",
}
# a field whose option name the client's own options take
RENAMED = {"server": "--server-key", "key": "--key-arg", "format": "--format-arg"}
EVIDENCE_FILLED = ("sha256", "size", "file_name", "media_type")
PUBLIC_KEYS = ("public_key", "new_public_key")


class Shape(enum.Enum):
    TEXT = "text"
    INTEGER = "integer"
    CHOICE = "choice"
    JSON = "json"


def _shape(annotation: Any) -> tuple[Shape, bool, tuple[str, ...]]:
    """How a field is given on the command line: its shape, whether None is allowed, and
    the choices of a literal."""
    optional = False
    if get_origin(annotation) in (Union, UnionType) and NoneType in get_args(annotation):
        inner = [a for a in get_args(annotation) if a is not NoneType]
        optional = True
        annotation = inner[0] if len(inner) == 1 else annotation
    if annotation is str:
        return Shape.TEXT, optional, ()
    if annotation is int:
        return Shape.INTEGER, optional, ()
    if get_origin(annotation) is Literal:
        return Shape.CHOICE, optional, tuple(str(a) for a in get_args(annotation))
    return Shape.JSON, optional, ()


def _json_value(option: str, text: str) -> Any:
    source = text
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            source = path.read_text("utf-8")
        except OSError as error:
            raise Failure(f"{option}: cannot read {path}: {error.strerror or error}") from None
    try:
        return json.loads(source)
    except json.JSONDecodeError as error:
        raise Failure(
            f"{option} is not valid JSON ({error.msg} at line {error.lineno} column "
            f"{error.colno}): {text[:80]!r}"
        ) from None


COMMAND_HELP: dict[str, str] = {
    "init_ledger": "Initialise a new ledger (its first event); `parledger init` does it locally.",
    "enrol_key": "Enrol a person's public key with roles and scopes.",
    "revoke_key": "Revoke a key: nothing it signs afterwards is accepted.",
    "rotate_key": "Replace a key by a new one with the same holder and roles.",
    "register_unit": "Register a unit under assessment (import-units reads many from CSV).",
    "update_unit": "Change a registered unit's name, kind, parent or ranking group.",
    "define_indicator_set": "Define or revise an indicator set version "
    "(import-indicator-set reads it from a CSV, YAML or JSON file).",
    "create_campaign": "Create a campaign: its units, indicator set version, schedule, "
    "adjustments and grade bands.",
    "record_self_score": "Record a unit's self-score of one criterion.",
    "attach_evidence": "Attach an evidence file to a criterion; --file PATH uploads the file "
    "first and fills in its hash, size, name and media type.",
    "remove_evidence": "Remove an evidence file from a criterion.",
    "submit_self_assessment": "Submit a unit's self-assessment.",
    "record_external_score": "Record a score from a survey, SIPAS or a published source.",
    "record_appraisal": "Record the preliminary appraisal of a criterion.",
    "request_explanation": "Ask the unit to explain a criterion's self-score.",
    "submit_explanation": "Submit a unit's explanation of a criterion.",
    "record_final_appraisal": "Confirm or revise an appraisal after the explanation round.",
    "accept_self_scores": "Accept the self-scores of every criterion no appraiser touched.",
    "record_adjustment": "Record one of the campaign's bonuses or penalties for a unit.",
    "finalise_campaign": "Finalise a campaign: its results become final and public.",
    "correct_score": "Correct a settled score, with the reason.",
    "record_targets": "Record a unit's targets for a year.",
}


@dataclass(frozen=True)
class ArgOption:
    """One argument of a command type as a command-line option."""

    field: str
    option: str
    param: str
    shape: Shape
    required: bool
    choices: tuple[str, ...]


def arg_options(command_type: str, model: type[Args]) -> list[ArgOption]:
    options = []
    for name, info in model.model_fields.items():
        shape, _, choices = _shape(info.annotation)
        required = info.is_required()
        if command_type == "attach_evidence" and name in EVIDENCE_FILLED:
            required = False
        options.append(
            ArgOption(
                field=name,
                option=RENAMED.get(name, "--" + name.replace("_", "-")),
                param=f"arg_{name}",
                shape=shape,
                required=required,
                choices=choices,
            )
        )
    return options


def _option_help(command_type: str, option: ArgOption, model: type[Args]) -> str:
    text = COMMAND_FIELD_HELP.get((command_type, option.field)) or FIELD_HELP.get(
        option.field, option.field.replace("_", " ")
    )
    if option.shape is Shape.JSON and "JSON" not in text:
        text = f"{text} (JSON)"
    default = model.model_fields[option.field].default
    if not option.required and isinstance(default, str | int) and default != "":
        text = f"{text} [default: {default}]"
    return text.replace("[", r"\[")


def _parameter(name: str, annotation: Any, info: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=default,
        annotation=cast(Any, Annotated)[annotation, info],
    )


def _choice_type(command_type: str, option: ArgOption) -> Any:
    title = "".join(p.title() for p in f"{command_type}_{option.field}".split("_"))
    return cast(Any, enum.Enum)(title, [(c, c) for c in option.choices], type=str)


def _generated(command_type: str, model: type[Args]) -> Callable[..., None]:
    options = arg_options(command_type, model)
    parameters = []
    for option in options:
        kind: Any = {Shape.INTEGER: int, Shape.CHOICE: None}.get(option.shape, str)
        if option.shape is Shape.CHOICE:
            kind = _choice_type(command_type, option)
        info = typer.Option(
            option.option, help=_option_help(command_type, option, model), show_default=False
        )
        if option.required:
            parameters.append(_parameter(option.param, kind, info, inspect.Parameter.empty))
        else:
            parameters.append(_parameter(option.param, kind | None, info, None))
    if command_type == "attach_evidence":
        parameters.append(
            _parameter(
                "opt_file",
                Path | None,
                typer.Option(
                    "--file",
                    help="the evidence file: uploaded to the server (or stored locally) first",
                ),
                None,
            )
        )
    parameters += [
        _parameter(
            "opt_key",
            Path,
            typer.Option(
                "--key", envvar="PARLEDGER_KEY", help="private key file that signs the command"
            ),
            inspect.Parameter.empty,
        ),
        _parameter(
            "opt_server",
            str | None,
            typer.Option(
                "--server",
                envvar="PARLEDGER_SERVER",
                help="URL of a parledger server (default: record on the local store)",
            ),
            None,
        ),
        _parameter(
            "opt_format",
            str,
            typer.Option("--format", help="text or json (the receipt)"),
            "text",
        ),
    ]

    def command(**values: Any) -> None:
        _run(lambda: _send_generated(command_type, options, values))

    cast(Any, command).__signature__ = inspect.Signature(parameters)
    command.__name__ = command_type
    return command


def _send_generated(command_type: str, options: list[ArgOption], values: dict[str, Any]) -> None:
    fmt = values["opt_format"]
    _check_format(fmt, ("text", "json"))
    signer = SigningKey.load(values["opt_key"])
    args: dict[str, Any] = {}
    for option in options:
        value = values[option.param]
        if value is None:
            continue
        if isinstance(value, enum.Enum):
            value = value.value
        elif option.shape is Shape.JSON:
            value = _json_value(option.option, value)
        elif option.field in PUBLIC_KEYS:
            value = public_key_arg(value)
        args[option.field] = value
    with _target(values["opt_server"]) as target:
        if command_type == "attach_evidence":
            _fill_evidence(target, signer, args, values["opt_file"])
        receipt = target.submit(signer, command_type, args)
    if fmt == "json":
        print(to_json(receipt.as_json()))
    else:
        _receipt(receipt)


def _fill_evidence(
    target: Target, signer: SigningKey, args: dict[str, Any], file: Path | None
) -> None:
    if file is None:
        missing = [f"--{f.replace('_', '-')}" for f in EVIDENCE_FILLED if f not in args]
        if missing:
            raise Failure(
                f"attach-evidence needs --file PATH, or {', '.join(missing)} of a file "
                "already uploaded"
            )
        return
    stored = target.store_evidence(file, signer)
    for name in ("sha256", "size"):
        if name in args and args[name] != stored[name]:
            raise Failure(f"--{name} is {args[name]} but the file {file} has {name} {stored[name]}")
    args.update(sha256=stored["sha256"], size=stored["size"])
    args.setdefault("file_name", file.name)
    args.setdefault("media_type", stored["media_type"])


def _register_commands() -> None:
    for command_type, model in ARGS.items():
        spec = COMMANDS[command_type]
        if spec.roles == {SYSTEM_ROLE}:
            continue
        who = " or ".join(sorted(spec.roles))
        if spec.scope_arg:
            who += f" of the {spec.scope_arg}"
        if spec.key_holder_may:
            who += ", or the key's holder"
        summary = COMMAND_HELP.get(command_type, command_type.replace("_", " ") + ".")
        cmd_app.command(
            command_type.replace("_", "-"),
            help=f"{summary}\n\nCommand type {command_type}, signed by: {who}; "
            f"records {' or '.join(sorted(spec.events))}.",
            no_args_is_help=True,
        )(_generated(command_type, model))


_register_commands()
