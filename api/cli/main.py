"""The ``parledger`` command line: a client for administrators and scripts.

Every write is a command signed locally with ``--key FILE``; it goes to the server at
``--server URL`` (or ``PARLEDGER_SERVER``) or, without a server, straight to the local
store. Reads come from the server (logged in with ``--key``) or from the local read
models. Errors are one line on stderr and a non-zero exit."""

from __future__ import annotations

import csv
import enum
import inspect
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, cast, get_args, get_origin

import typer
from rich.table import Table

from api.cli.publication import register as register_publication
from api.cli.remote import RemoteError, RemoteLedger, segment
from api.cli.render import (
    gaps_table,
    progress_tables,
    ranking_table,
    scorecard_summary,
    scorecard_table,
    stages_table,
    to_csv,
    to_json,
    trace_table,
)
from api.cli.support import (
    AsOfPosition,
    AsOfTime,
    Failure,
    FormatOption,
    KeyOption,
    LogKeyOption,
    ReadKeyOption,
    ServerOption,
    Target,
    _as_of,
    _check_format,
    _ledger,
    _log_key,
    _progress_bar,
    _publishing,
    _reads,
    _receipt,
    _remote,
    _require_campaign,
    _run,
    _spinner,
    _submit,
    _target,
    _time,
    err,
    out,
)
from ledger.application.indicator_import import load_definition
from ledger.application.local_client import initialise, load_or_create_key
from ledger.application.service import Ledger, stored_events
from ledger.application.settings import Settings
from ledger.audit.event_checks import verify_events
from ledger.core.crypto import SigningKey, key_id_of
from ledger.core.errors import LedgerError
from ledger.demo.cycle import CAMPAIGN as CYCLE_CAMPAIGN
from ledger.demo.province import CAMPAIGN, UNIT, demo_clock, run_demo
from ledger.domain.authorization import COMMANDS
from ledger.domain.command_args import ARGS, Args, parse_args
from ledger.domain.keyring import ROLES, SCOPED_ROLES, SYSTEM_ROLE
from projections.projector import Projector
from projections.publication.log_audit import audit_log
from projections.publication.publishing import attach_publishing
from projections.read_models.queries import AsOf, ReadModels
from projections.read_models.trace import to_csv as trace_csv

SHOWN_PROBLEMS = 50

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="parledger: a signed, verifiable ledger of PAR INDEX scoring.",
)
keys_app = typer.Typer(
    invoke_without_command=True,
    help="List enrolled keys; create, enrol, revoke and rotate Ed25519 keys.",
)
app.add_typer(keys_app, name="keys")
cmd_app = typer.Typer(
    no_args_is_help=True,
    help="""Sign one command of any type with --key FILE and send it to --server URL (or
    record it on the local store when no server is given).

    Arguments that are lists or objects are JSON (or @FILE to read the JSON from a file).
    A campaign, for example:

    parledger cmd create-campaign --code HP-2025 --year 2025 --title "PAR INDEX 2025"
    --indicator-set HN-PAR --indicator-set-version 1 --units '["HP"]' --schedule
    '{"self_assessment_opens": "2026-01-05T08:00:00+07:00", "self_assessment_closes":
    "2026-02-05T17:00:00+07:00", "preliminary_appraisal_closes": "2026-03-04T17:00:00+07:00",
    "explanation_closes": "2026-03-11T17:00:00+07:00", "final_appraisal_closes":
    "2026-03-25T17:00:00+07:00"}' --key admin.key --server https://par.example.vn
    """,
)
app.add_typer(cmd_app, name="cmd")


@app.command()
def init(
    admin_name: Annotated[str, typer.Option(help="the administrator's name")] = "Administrator",
    admin_title: Annotated[str, typer.Option(help="the administrator's title")] = "",
    admin_unit: Annotated[str, typer.Option(help="the administrator's organisation")] = "",
) -> None:
    """Create the ledger, its genesis administrator key, the server's key and the log key."""

    def act() -> None:
        ledger = _ledger()
        if ledger.is_initialised():
            raise Failure(f"the ledger at {ledger.settings.database_url} is already initialised")
        folder = ledger.settings.keys_dir
        for name in ("admin.key", "server.key"):
            if (folder / name).exists():
                raise Failure(f"{folder / name} exists but the ledger is new; move it away first")
        admin = load_or_create_key(folder / "admin.key")
        server = load_or_create_key(folder / "server.key")
        load_or_create_key(ledger.settings.log_key_file)  # signs the log's checkpoints
        _receipt(
            initialise(
                ledger,
                admin,
                server,
                admin_name=admin_name,
                admin_title=admin_title,
                admin_unit=admin_unit,
            )
        )
        out.print(
            f"ledger {ledger.keyring().ledger!r} initialised; administrator key "
            f"{admin.key_id} in {folder / 'admin.key'} (keep it private)"
        )

    _run(act)


@app.command()
def demo() -> None:
    """Build the demo campaigns on the configured store, print their scorecards and ranking,
    and publish the 2023 results."""

    def act() -> None:
        run_demo(_ledger(clock=demo_clock()))
        reads = _reads()
        _show(reads, CAMPAIGN, UNIT, None)
        out.print()
        names = {u["code"]: u["name"] for u in reads.units()}
        out.print(stages_table(reads.scorecards(CYCLE_CAMPAIGN), names, CYCLE_CAMPAIGN))
        out.print(ranking_table(reads.ranking(CYCLE_CAMPAIGN), CYCLE_CAMPAIGN))
        for publication in reads.publications(CYCLE_CAMPAIGN):
            out.print(
                f"published {CYCLE_CAMPAIGN} (publication {publication['sequence']}): table "
                f"{publication['table_sha256']} at the checkpoint of {publication['tree_size']} "
                "leaves; check it offline with: parledger bundle --campaign "
                f"{CYCLE_CAMPAIGN} -o {CYCLE_CAMPAIGN}.bundle && parledger verify-bundle "
                f'{CYCLE_CAMPAIGN}.bundle --log-key "$(parledger log-key)"',
                highlight=False,
                soft_wrap=True,
            )

    _run(act)


def _show(reads: ReadModels, campaign: str, unit: str, as_of: AsOf | None) -> None:
    view = reads.scorecard(campaign, unit, as_of)
    if view is None:
        raise Failure(f"unit {unit} takes no part in campaign {campaign}")
    set_doc = reads.indicator_set(view["indicator_set"]["code"], view["indicator_set"]["version"])
    registered = reads.unit(unit)
    _show_view(view, registered["name"] if registered else unit, set_doc)


def _show_view(view: dict[str, Any], unit_name: str, set_doc: dict[str, Any] | None) -> None:
    titles = {n["code"]: n["title"] for n in set_doc["definition"]["nodes"]} if set_doc else {}
    out.print(scorecard_table(view, unit_name, titles))
    out.print(scorecard_summary(view))


def _campaign_path(campaign: str, *rest: str) -> str:
    return "/v1/campaigns/" + "/".join(segment(part) for part in (campaign, *rest))


def _remote_scorecard(
    remote: RemoteLedger,
    campaign: str,
    unit: str,
    fmt: str,
    as_of_position: int | None,
    as_of: str | None,
) -> dict[str, Any]:
    view: dict[str, Any] = remote.get(
        _campaign_path(campaign, "scorecards", unit),
        {"as_of_time": as_of, "as_of_position": as_of_position},
    )
    if fmt == "table":
        code, version = view["indicator_set"]["code"], view["indicator_set"]["version"]
        set_doc = remote.get(f"/v1/indicator-sets/{segment(code)}/{int(version)}")
        names = {u["code"]: u["name"] for u in remote.get_all("/v1/units")}
        _show_view(view, names.get(unit, unit), set_doc)
    return view


@app.command()
def scorecard(
    campaign: Annotated[str, typer.Option(help="campaign code")],
    unit: Annotated[str, typer.Option(help="unit code")],
    fmt: FormatOption = "table",
    as_of_position: AsOfPosition = None,
    as_of: AsOfTime = None,
    server: ServerOption = None,
    key: ReadKeyOption = None,
) -> None:
    """A unit's scorecard: every leaf at every stage, totals, index (now or as of)."""

    def act() -> None:
        _check_format(fmt)
        when = _as_of(as_of_position, as_of)
        if server:
            with _remote(server, key) as remote:
                view = _remote_scorecard(remote, campaign, unit, fmt, as_of_position, as_of)
            if fmt == "table":
                return
        else:
            reads = _reads()
            if fmt == "table":
                _show(reads, campaign, unit, when)
                return
            found = reads.scorecard(campaign, unit, when)
            if found is None:
                raise Failure(f"unit {unit} takes no part in campaign {campaign}")
            view = found
        if fmt == "json":
            out.print_json(to_json(view))
        else:
            print(
                to_csv(
                    (
                        {**leaf, "self_points": (leaf["self_score"] or {}).get("points")}
                        for leaf in view["leaves"]
                    ),
                    (
                        "code",
                        "title",
                        "max_points",
                        "score_source",
                        "lead_agency",
                        "self_points",
                        "final_points",
                        "points",
                        "target",
                    ),
                ),
                end="",
            )

    _run(act)


TRACE_PAGE = 100_000


def _remote_trace_csv(
    remote: RemoteLedger, path: str, unit: str | None, criterion: str | None
) -> str:
    query: dict[str, Any] = {"unit": unit, "criterion": criterion}
    total = int(remote.get(path, {**query, "format": "json", "limit": 1})["total"])
    parts: list[str] = []
    offset = 0
    while True:
        text = remote.get_text(
            path, {**query, "format": "csv", "limit": TRACE_PAGE, "offset": offset}
        )
        parts.append(text if offset == 0 else text.partition("\n")[2])
        offset += TRACE_PAGE
        if offset >= total:
            return "".join(parts)


@app.command()
def trace(
    campaign: Annotated[str, typer.Option(help="campaign code")],
    unit: Annotated[str | None, typer.Option(help="unit code (default: every unit)")] = None,
    criterion: Annotated[str | None, typer.Option(help="criterion code")] = None,
    fmt: FormatOption = "table",
    server: ServerOption = None,
    key: ReadKeyOption = None,
) -> None:
    """Every change of every score: when, who, what, why, on which evidence."""

    def act() -> None:
        _check_format(fmt)
        if server:
            path = _campaign_path(campaign, "trace")
            with _remote(server, key) as remote:
                if fmt == "csv":
                    print(_remote_trace_csv(remote, path, unit, criterion), end="")
                    return
                rows = remote.get_all(path, {"unit": unit, "criterion": criterion}, page=TRACE_PAGE)
        else:
            reads = _reads()
            _require_campaign(reads, campaign)
            rows = reads.trace(campaign, unit, criterion)
        if fmt == "json":
            print(to_json(rows))
        elif fmt == "csv":
            print(trace_csv(rows), end="")
        else:
            out.print(trace_table(rows))

    _run(act)


@app.command()
def ranking(
    campaign: Annotated[str, typer.Option(help="campaign code")],
    group: Annotated[str | None, typer.Option(help="ranking group")] = None,
    fmt: FormatOption = "table",
    as_of_position: AsOfPosition = None,
    as_of: AsOfTime = None,
    server: ServerOption = None,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            envvar="PARLEDGER_KEY",
            help="enrolled key file to log in with (a finalised campaign's ranking is public)",
        ),
    ] = None,
) -> None:
    """Ranking per group: total, index, rank, grade, change against the previous campaign."""

    def act() -> None:
        _check_format(fmt)
        when = _as_of(as_of_position, as_of)
        if server:
            with _remote(server, key, needed=False) as remote:
                try:
                    answer = remote.get(
                        _campaign_path(campaign, "ranking"),
                        {"group": group, "as_of_time": as_of, "as_of_position": as_of_position},
                    )
                except RemoteError as error:
                    if error.code == "token_missing":
                        raise RemoteError(
                            f"the ranking of campaign {campaign} is not public yet (the campaign "
                            "is not finalised, or an as-of view was asked for): log in with "
                            "--key FILE",
                            code=error.code,
                        ) from None
                    raise
            rows: list[dict[str, Any]] = answer["items"]
        else:
            reads = _reads()
            _require_campaign(reads, campaign)
            rows = reads.ranking(campaign, group, when)
        if fmt == "json":
            print(to_json(rows))
        elif fmt == "csv":
            print(
                to_csv(
                    rows,
                    (
                        "ranking_group",
                        "rank",
                        "of",
                        "unit",
                        "name",
                        "total",
                        "max_total",
                        "index",
                        "grade",
                        "previous_rank",
                        "rank_change",
                    ),
                ),
                end="",
            )
        else:
            out.print(ranking_table(rows, campaign))

    _run(act)


@app.command()
def progress(
    campaign: Annotated[str, typer.Option(help="campaign code")],
    at: Annotated[str | None, typer.Option(help="the moment to report on (default now)")] = None,
    fmt: FormatOption = "table",
    server: ServerOption = None,
    key: ReadKeyOption = None,
) -> None:
    """Progress for the secretariat: per unit, per appraiser, and the deadlines."""

    def act() -> None:
        _check_format(fmt)
        now = _time(at, "--at") if at else datetime.now(UTC)
        if server:
            with _remote(server, key) as remote:
                report: dict[str, Any] | None = remote.get(
                    _campaign_path(campaign, "progress"), {"at": at}
                )
        else:
            report = _reads().progress(campaign, now)
        if report is None:
            raise Failure(f"campaign {campaign} does not exist")
        if fmt == "table":
            for table in progress_tables(report):
                out.print(table)
        elif fmt == "json":
            print(to_json(report))
        else:
            print(
                to_csv(report["units"], list(report["units"][0]) if report["units"] else []), end=""
            )

    _run(act)


@app.command()
def gaps(
    campaign: Annotated[str, typer.Option(help="campaign code")],
    unit: Annotated[str, typer.Option(help="unit code")],
    fmt: FormatOption = "table",
    server: ServerOption = None,
    key: ReadKeyOption = None,
) -> None:
    """Criteria below their maximum, points lost by agency in charge, and next year's targets."""

    def act() -> None:
        _check_format(fmt)
        if server:
            with _remote(server, key) as remote:
                report: dict[str, Any] | None = remote.get(
                    _campaign_path(campaign, "scorecards", unit, "gaps")
                )
        else:
            report = _reads().gaps(campaign, unit)
        if report is None:
            raise Failure(f"unit {unit} takes no part in campaign {campaign}")
        if fmt == "table":
            out.print(gaps_table(report))
        elif fmt == "json":
            print(to_json(report))
        else:
            rows = [{"agency": a["agency"], **c} for a in report["agencies"] for c in a["criteria"]]
            print(
                to_csv(
                    rows,
                    (
                        "agency",
                        "code",
                        "title",
                        "max_points",
                        "points",
                        "lost",
                        "target",
                        "to_gain",
                    ),
                ),
                end="",
            )

    _run(act)


# -- listings -------------------------------------------------------------------------------


def _listing(
    server: str | None, key: Path | None, path: str, local: Callable[[ReadModels], list[Any]]
) -> list[dict[str, Any]]:
    if server:
        with _remote(server, key) as remote:
            return remote.get_all(path)
    return local(_reads())


def _print_listing(
    rows: list[dict[str, Any]],
    fmt: str,
    title: str,
    columns: dict[str, Callable[[dict[str, Any]], Any]],
) -> None:
    if fmt == "json":
        print(to_json(rows))
        return
    flat = [{name: cell(row) for name, cell in columns.items()} for row in rows]
    if fmt == "csv":
        print(to_csv(flat, list(columns)), end="")
        return
    table = Table(title=title)
    for name in columns:
        widest = max((len(str(row[name])) for row in flat), default=0)
        whole = name in ("key id", "code")  # identifiers are never cut
        table.add_column(name, no_wrap=whole, min_width=widest if whole else None)
    for row in flat:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    out.print(table)


def _field(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda row: row.get(name)


def _milestone(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda row: (row.get("schedule") or {}).get(name)


@app.command()
def units(
    fmt: FormatOption = "table",
    server: ServerOption = None,
    key: ReadKeyOption = None,
) -> None:
    """Registered units: code, name, kind, parent and ranking group."""

    def act() -> None:
        _check_format(fmt)
        rows = _listing(server, key, "/v1/units", ReadModels.units)
        _print_listing(
            rows,
            fmt,
            f"{len(rows)} unit(s)",
            {name: _field(name) for name in ("code", "name", "kind", "parent", "ranking_group")},
        )

    _run(act)


@app.command()
def campaigns(
    fmt: FormatOption = "table",
    server: ServerOption = None,
    key: ReadKeyOption = None,
) -> None:
    """Campaigns: year, indicator set, units, schedule and whether finalised."""

    def act() -> None:
        _check_format(fmt)
        rows = _listing(server, key, "/v1/campaigns", ReadModels.campaigns)
        _print_listing(
            rows,
            fmt,
            f"{len(rows)} campaign(s)",
            {
                "code": _field("code"),
                "year": _field("year"),
                "title": _field("title"),
                "indicator_set": lambda row: (
                    f"{row.get('indicator_set')} v{row.get('indicator_set_version')}"
                ),
                "units": lambda row: len(row.get("units") or []),
                "self_assessment_opens": _milestone("self_assessment_opens"),
                "final_appraisal_closes": _milestone("final_appraisal_closes"),
                "finalised_at": _field("finalised_at"),
            },
        )

    _run(act)


def _roles_text(row: dict[str, Any]) -> str:
    return "; ".join(
        f"{g['role']}" + (f":{','.join(g['scope'])}" if g.get("scope") else "")
        for g in row.get("roles") or []
    )


def _key_status(row: dict[str, Any]) -> str:
    revoked = row.get("revoked_at")
    return f"revoked {str(revoked)[:10]}" if revoked else "active"


def _list_keys(fmt: str, server: str | None, key: Path | None) -> None:
    _check_format(fmt)
    rows = _listing(server, key, "/v1/keys", ReadModels.keys)
    rows.sort(key=lambda row: (str(row.get("enrolled_at") or ""), str(row.get("key_id"))))
    columns: dict[str, Callable[[dict[str, Any]], Any]] = {
        "key id": _field("key_id"),
        "name": _field("name"),
        "title": _field("title"),
        "unit": _field("unit"),
        "roles": _roles_text,
        "status": _key_status,
    }
    if fmt == "csv":
        columns = {
            "key_id": _field("key_id"),
            "name": _field("name"),
            "title": _field("title"),
            "unit": _field("unit"),
            "roles": _roles_text,
            "enrolled_at": _field("enrolled_at"),
            "revoked_at": _field("revoked_at"),
            "public_key": _field("public_key"),
        }
    _print_listing(rows, fmt, f"{len(rows)} key(s)", columns)


@keys_app.callback()
def keys_main(
    ctx: typer.Context,
    fmt: FormatOption = "table",
    server: ServerOption = None,
    key: ReadKeyOption = None,
) -> None:
    """Enrolled keys with their roles (public keys only); or create, enrol, revoke and
    rotate keys with the commands below."""
    if ctx.invoked_subcommand is None:
        _run(lambda: _list_keys(fmt, server, key))


@keys_app.command("list")
def keys_list(
    fmt: FormatOption = "table",
    server: ServerOption = None,
    key: ReadKeyOption = None,
) -> None:
    """List enrolled keys with their roles (public keys only)."""
    _run(lambda: _list_keys(fmt, server, key))


@app.command()
def project(
    once: Annotated[bool, typer.Option("--once", help="catch up and stop")] = False,
) -> None:
    """Keep the read models up with the log (a long-running worker; Ctrl-C stops it)."""

    def act() -> None:
        projector = Projector(Ledger(Settings()))
        applied = projector.catch_up()
        out.print(
            f"read models at log position {projector.views.position()} ({applied} event(s) applied)"
        )
        if once:
            return
        stop = threading.Event()
        try:
            projector.follow(stop)
        except KeyboardInterrupt:
            stop.set()

    _run(act)


@app.command()
def rebuild() -> None:
    """Drop every read model and rebuild it from the first event."""

    def act() -> None:
        ledger = Ledger(Settings())
        projector = Projector(ledger)
        total = ledger.recorder.max_notification_id() or None
        started = time.perf_counter()
        with _progress_bar() as bar:
            task = bar.add_task("rebuilding", total=total)
            projector.views.reset()
            applied = 0
            while step := projector.catch_up(batch_size=2000, limit=2000):
                applied += step
                bar.update(task, completed=applied)
        elapsed = time.perf_counter() - started
        out.print(f"rebuilt every read model from {applied} events in {elapsed:.2f} s")

    _run(act)


@app.command()
def verify(log_key: LogKeyOption = None) -> None:
    """Check every stored event (hash, chain, signature, the signer's authority then), that
    the stored log still gives every signed checkpoint, that every published table is kept
    unchanged and is what the events give, and every evidence file against its hash."""

    def act() -> None:
        publishing = _publishing()
        ledger = publishing.ledger
        trusted = _log_key(log_key, ledger.settings)
        last = ledger.recorder.max_notification_id() or 0
        with _progress_bar() as bar:
            task = bar.add_task("verifying events", total=last)

            def counted() -> Iterator[Any]:
                for position, event in stored_events(ledger):
                    yield position, event
                    bar.update(task, completed=position)

            report = verify_events(counted())
        # no spinner: its thread must not run while the checks fork their workers
        audit = audit_log(publishing, trusted, ledger.evidence)
        problems = [str(p) for p in report.problems] + audit.problems
        if not problems:
            out.print(
                f"ok: {report.events} events in {report.aggregates} aggregates verified "
                "(canonical hashes, hash chains, signatures, signers' keys and scopes)",
                soft_wrap=True,
            )
            for line in audit.checked:
                out.print(f"ok: {line}", soft_wrap=True, highlight=False)
            return
        more = len(problems) - 1
        err.print(
            f"FAILED: {problems[0]}" + (f" (and {more} more problem(s))" if more else ""),
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
        for line in problems[1:SHOWN_PROBLEMS]:
            err.print(f"  {line}", highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(1)

    _run(act)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    seed: Annotated[
        bool, typer.Option(help="build the demo campaign if the store is empty")
    ] = True,
    follow: Annotated[
        bool | None, typer.Option(help="follow the log in-process (default: on PostgreSQL)")
    ] = None,
) -> None:
    """Run the HTTP service (/v1, OpenAPI at /docs), seeded with the demo if the store is empty."""

    def act() -> None:
        import uvicorn

        from api.http.app import create_app
        from ledger.application.storage import is_postgres

        settings = Settings()
        ledger = Ledger(settings, clock=demo_clock())
        postgres = is_postgres(ledger.recorder)
        if seed and not ledger.recorder.max_notification_id():
            err.print("the store is empty: building the demo campaign first…")
            attach_publishing(ledger)
            run_demo(ledger)
        ledger.close()
        where_host, where_port = host or settings.host, port or settings.port
        err.print(
            f"parledger serves {settings.database_url} at http://{where_host}:{where_port}/ "
            f"(API under /v1, documentation at http://{where_host}:{where_port}/docs)",
            soft_wrap=True,
        )
        uvicorn.run(
            create_app(settings, follow=postgres if follow is None else follow),
            host=where_host,
            port=where_port,
            log_level="warning",
        )

    _run(act)


@app.command()
def tick() -> None:
    """Notice passed deadlines: lock the scorecards not submitted when self-assessment closed."""

    def act() -> None:
        receipts = _ledger().tick()
        for receipt in receipts:
            _receipt(receipt)
        out.print(f"{len(receipts)} scorecard(s) locked at their deadline")

    _run(act)


@keys_app.command("new")
def keys_new(path: Annotated[Path, typer.Argument(help="where to write the private key")]) -> None:
    """Generate an Ed25519 key pair: PATH (mode 0600) and PATH with .pub."""

    def act() -> None:
        if path.exists():
            raise Failure(f"{path} already exists")
        key = SigningKey.generate()
        key.save(path)
        out.print(
            f"key {key.key_id}\npublic key {key.public_key}\nwritten to {path} "
            f"and {path.with_suffix('.pub')}",
            highlight=False,
        )

    _run(act)


def _public_key(value: str) -> str:
    candidate = Path(value)
    return candidate.read_text("ascii").strip() if candidate.is_file() else value


def _grants(roles: list[str]) -> list[dict[str, Any]]:
    grants = []
    for item in roles:
        role, _, scope = item.partition(":")
        if role not in ROLES:
            raise Failure(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
        codes = [c for c in scope.split(",") if c]
        if role in SCOPED_ROLES and not codes:
            raise Failure(f"the role {role} needs a scope, e.g. {role}:HN")
        grants.append({"role": role, "scope": codes})
    return grants


@keys_app.command("enrol")
def keys_enrol(
    public_key: Annotated[str, typer.Argument(help="base64 public key, or a .pub file")],
    name: Annotated[str, typer.Option(help="the key holder's name")],
    role: Annotated[list[str], typer.Option(help="ROLE or ROLE:SCOPE,SCOPE (repeatable)")],
    key: KeyOption,
    title: Annotated[str, typer.Option(help="the holder's title")] = "",
    unit: Annotated[str, typer.Option(help="the holder's organisation")] = "",
    server: ServerOption = None,
) -> None:
    """Enrol a person's public key with roles and scopes (signed by an administrator)."""

    def act() -> None:
        args = {
            "public_key": _public_key(public_key),
            "name": name,
            "title": title,
            "unit": unit,
            "roles": _grants(role),
        }
        _receipt(_submit(key, server, "enrol_key", args))

    _run(act)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="the key id to revoke")],
    reason: Annotated[str, typer.Option(help="why the key is revoked")],
    key: KeyOption,
    server: ServerOption = None,
) -> None:
    """Revoke a key: nothing it signs afterwards is accepted."""
    _run(lambda: _receipt(_submit(key, server, "revoke_key", {"key_id": key_id, "reason": reason})))


@keys_app.command("rotate")
def keys_rotate(
    key_id: Annotated[str, typer.Argument(help="the key id to replace")],
    new_public_key: Annotated[str, typer.Argument(help="base64 public key, or a .pub file")],
    key: KeyOption,
    reason: Annotated[str, typer.Option(help="why")] = "",
    server: ServerOption = None,
) -> None:
    """Replace a key by a new one with the same holder and roles."""
    _run(
        lambda: _receipt(
            _submit(
                key,
                server,
                "rotate_key",
                {"key_id": key_id, "new_public_key": _public_key(new_public_key), "reason": reason},
            )
        )
    )


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
                parse_args("register_unit", args)
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


@app.command("key-id")
def key_id(
    public_key: Annotated[str, typer.Argument(help="base64 public key or .pub file")],
) -> None:
    """Print the key id of a public key."""
    _run(lambda: out.print(key_id_of(_public_key(public_key))))


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
            value = _public_key(value)
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


register_publication(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
