"""Units and indicator sets: register-unit, import-units, import-indicator-set."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.app import app
from api.cli.support import (
    Failure,
    KeyOption,
    ServerOption,
    _progress_bar,
    _receipt,
    _run,
    _spinner,
    _submit,
    _target,
    out,
)
from ledger.application.indicator_import import load_definition
from ledger.core.crypto import SigningKey
from ledger.core.errors import LedgerError
from ledger.domain.commands import command_type


@app.command("register-unit")
def register_unit(
    code: Annotated[str, typer.Option(help="unit code")],
    name: Annotated[str, typer.Option(help="unit name")],
    kind: Annotated[str, typer.Option(help="province, department, district, commune, …")],
    key: KeyOption,
    parent: Annotated[str | None, typer.Option(help="parent unit code")] = None,
    ranking_group: Annotated[str | None, typer.Option(help="ranking group (default: kind)")] = None,
    server: ServerOption = None,
) -> None:
    """Register a unit under assessment."""
    args: dict[str, Any] = {"code": code, "name": name, "kind": kind}
    if parent:
        args["parent"] = parent
    if ranking_group:
        args["ranking_group"] = ranking_group
    _run(lambda: _receipt(_submit(key, server, "register_unit", args)))


UNIT_COLUMNS = ("code", "name", "kind", "parent", "ranking_group")


def _unit_rows(file: Path) -> list[tuple[int, dict[str, Any]]]:
    """The units of a CSV file with their line numbers, checked, parents first."""
    try:
        return _read_unit_rows(file)
    except UnicodeDecodeError as error:
        raise Failure(f"{file} is not UTF-8 text ({error.reason})") from None
    except csv.Error as error:
        raise Failure(f"{file} is not a well-formed CSV file: {error}") from None


def _read_unit_rows(file: Path) -> list[tuple[int, dict[str, Any]]]:
    with file.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in UNIT_COLUMNS[:3] if c not in header]
        unknown = [c for c in header if c not in UNIT_COLUMNS]
        if missing or unknown:
            problem = (
                f"no column {', '.join(missing)}" if missing else f"unknown column(s) {unknown}"
            )
            raise Failure(
                f"{file}, line 1: {problem}; the columns are code,name,kind[,parent,ranking_group]"
            )
        reader.fieldnames = header
        rows: list[tuple[int, dict[str, Any]]] = []
        lines: dict[str, int] = {}
        for row in reader:
            line = reader.line_num
            if None in row:
                raise Failure(f"{file}, line {line}: more cells than columns")
            args = {k: v.strip() for k, v in row.items() if isinstance(v, str) and v.strip()}
            try:
                command_type("register_unit").parse(args)
            except LedgerError as error:
                raise LedgerError(
                    f"{file}, line {line}: {error.message}", code=error.code
                ) from None
            code = args["code"]
            if code in lines:
                raise Failure(
                    f"{file}, line {line}: unit {code} is listed again (line {lines[code]})"
                )
            lines[code] = line
            rows.append((line, args))
    return _parents_first(file, rows, lines)


def _parents_first(
    file: Path, rows: list[tuple[int, dict[str, Any]]], lines: dict[str, int]
) -> list[tuple[int, dict[str, Any]]]:
    """File order, except that a unit whose parent comes later in the file follows it."""
    by_code = {args["code"]: (line, args) for line, args in rows}
    ordered: list[tuple[int, dict[str, Any]]] = []
    placed: set[str] = set()
    for line, args in rows:
        chain: list[tuple[int, dict[str, Any]]] = []
        code: str | None = args["code"]
        while code is not None and code in by_code and code not in placed:
            if any(c[1]["code"] == code for c in chain):
                raise Failure(
                    f"{file}, line {line}: the parents of unit {args['code']} form a cycle"
                )
            chain.append(by_code[code])
            code = by_code[code][1].get("parent")
        for item in reversed(chain):
            ordered.append(item)
            placed.add(item[1]["code"])
    return ordered


@app.command("import-units")
def import_units(
    file: Annotated[Path, typer.Argument(help="CSV file: code,name,kind[,parent,ranking_group]")],
    key: KeyOption,
    server: ServerOption = None,
) -> None:
    """Register the units of a CSV file in file order (a parent before its children); units
    already registered are skipped."""

    def act() -> None:
        rows = _unit_rows(file)
        signer = SigningKey.load(key)
        registered = skipped = 0
        with _target(server) as target, _progress_bar() as bar:
            task = bar.add_task(f"registering the units of {file.name}", total=len(rows))
            for line, args in rows:
                try:
                    target.submit(signer, "register_unit", args)
                    registered += 1
                except LedgerError as error:
                    if error.code != "unit_exists":
                        before = (
                            f" ({registered} unit(s) registered before it)" if registered else ""
                        )
                        raise LedgerError(
                            f"{file}, line {line} (unit {args['code']}): {error.message}{before}",
                            code=error.code,
                        ) from None
                    skipped += 1
                bar.advance(task)
        out.print(
            f"{registered} unit(s) registered from {file}"
            + (f"; {skipped} already registered, skipped" if skipped else ""),
            highlight=False,
        )

    _run(act)


@app.command("import-indicator-set")
def import_indicator_set(
    file: Annotated[Path, typer.Argument(help="CSV, YAML or JSON file")],
    key: KeyOption,
    code: Annotated[str | None, typer.Option(help="set code (required for CSV)")] = None,
    version: Annotated[int | None, typer.Option(help="version number")] = None,
    title: Annotated[str | None, typer.Option(help="set title (required for CSV)")] = None,
    precision: Annotated[int | None, typer.Option(help="decimal places of points")] = None,
    partial: Annotated[
        list[str] | None,
        typer.Option(help="a parent that lists its sub-criteria only in part (repeatable)"),
    ] = None,
    applies_to: Annotated[
        list[str] | None,
        typer.Option(help="unit kind the areas apply to (repeatable; default all kinds)"),
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="validate only, record nothing")] = False,
    server: ServerOption = None,
) -> None:
    """Import an indicator set version; a version used by a campaign is frozen."""

    def act() -> None:
        with _spinner(f"reading {file.name}…"):
            definition = load_definition(
                file,
                code=code,
                version=version,
                title=title,
                precision=precision,
                partial=partial or (),
                applies_to=applies_to or (),
            )
        if check:
            out.print(f"{file}: valid, {len(definition['nodes'])} nodes")
            return
        with _spinner(f"recording {len(definition['nodes'])} nodes of {file.name}…"):
            receipt = _submit(key, server, "define_indicator_set", definition)
        _receipt(receipt)

    _run(act)
