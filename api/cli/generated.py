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
from ledger.domain.catalogue import AGGREGATE_OF
from ledger.domain.command_args import Args
from ledger.domain.commands import COMMAND_TYPES
from ledger.domain.commands import command_type as kind_of
from ledger.domain.disclosure import WHO_READS, records_content

# -- one subcommand per command type, generated from the argument models -------------------

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
    text = model.model_fields[option.field].description or option.field.replace("_", " ")
    if option.field in PUBLIC_KEYS:
        text += ", or a .pub file"
    if command_type == "attach_evidence" and option.field in EVIDENCE_FILLED:
        text += " (filled in by --file)"
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
        if records_content(kind_of(command_type).events, AGGREGATE_OF):
            print(WHO_READS)


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
    for kind in COMMAND_TYPES:
        if kind.system:
            continue
        summary = kind.summary
        if kind.name == "attach_evidence":
            summary += " --file PATH uploads the file first and fills in its hash and size."
        if records_content(kind.events, AGGREGATE_OF):
            summary += f"\n\n{WHO_READS}"
        cmd_app.command(
            kind.name.replace("_", "-"),
            help=f"{summary}\n\nCommand type {kind.name}, signed by: {kind.signers()}; "
            f"records {' or '.join(sorted(kind.events))}.",
            no_args_is_help=True,
        )(_generated(kind.name, kind.args))


_register_commands()
