"""The ``parledger`` command line."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from api.render import (
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
from ledger.application import Ledger, Receipt, stored_events
from ledger.canonical import parse_time
from ledger.client import initialise, load_or_create_key, send
from ledger.crypto import SigningKey, key_id_of
from ledger.demo import CAMPAIGN, UNIT, demo_clock, run_demo
from ledger.demo_cycle import CAMPAIGN as CYCLE_CAMPAIGN
from ledger.domain.keyring import ROLES, SCOPED_ROLES
from ledger.errors import LedgerError
from ledger.indicator_import import load_definition
from ledger.settings import Settings
from ledger.verification import verify_events
from projections.projector import Projector, attach
from projections.queries import AsOf, ReadModels
from projections.trace import to_csv as trace_csv

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="parledger: a signed, verifiable ledger of PAR INDEX scoring.",
)
keys_app = typer.Typer(no_args_is_help=True, help="Create, enrol, revoke and rotate Ed25519 keys.")
app.add_typer(keys_app, name="keys")

out = Console()
err = Console(stderr=True)
T = TypeVar("T")

KeyOption = Annotated[Path, typer.Option("--key", help="private key file that signs the command")]


class Failure(Exception):
    """A one-line error for the user."""


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except LedgerError as error:
        err.print(f"[red]error[/] ({error.code}): {error.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except Failure as error:
        err.print(f"[red]error[/]: {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except OSError as error:
        err.print(f"[red]error[/]: {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _ledger(**kwargs: Any) -> Ledger:
    """The configured ledger, with its read models catching up after every command."""
    ledger = Ledger(Settings(), **kwargs)
    attach(ledger)
    return ledger


def _reads() -> ReadModels:
    ledger = Ledger(Settings())
    projector = Projector(ledger)
    projector.catch_up()
    return ReadModels(projector.views, owner=ledger)


FormatOption = Annotated[str, typer.Option("--format", help="table, json or csv")]


def _require_campaign(reads: ReadModels, campaign: str) -> None:
    if reads.campaign_doc(campaign) is None:
        raise Failure(f"campaign {campaign} does not exist")


def _check_format(fmt: str) -> None:
    if fmt not in ("table", "json", "csv"):
        raise Failure(f"unknown format {fmt!r}: use table, json or csv")


def _as_of(position: int | None, at: str | None) -> AsOf | None:
    if position is None and at is None:
        return None
    return AsOf(position=position, at=parse_time(at, "--as-of") if at else None)


AsOfPosition = Annotated[
    int | None, typer.Option("--as-of-position", help="as it stood at this log position")
]
AsOfTime = Annotated[
    str | None, typer.Option("--as-of", help="as it stood at this time (RFC 3339)")
]


def _run(action: Callable[[], T]) -> T:
    with _errors():
        return action()


def _receipt(receipt: Receipt) -> None:
    out.print(
        f"recorded {receipt.event_type} at log position {receipt.position} "
        f"(event {receipt.event_id}, hash {receipt.event_hash})",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def init(
    admin_name: Annotated[str, typer.Option(help="the administrator's name")] = "Administrator",
    admin_title: Annotated[str, typer.Option(help="the administrator's title")] = "",
    admin_unit: Annotated[str, typer.Option(help="the administrator's organisation")] = "",
) -> None:
    """Create the ledger, its genesis administrator key and the server's key."""

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
    """Build the demo campaign (Hanoi, 2022) on the configured store and print its scorecard."""

    def act() -> None:
        run_demo(_ledger(clock=demo_clock()))
        reads = _reads()
        _show(reads, CAMPAIGN, UNIT, None)
        out.print()
        names = {u["code"]: u["name"] for u in reads.units()}
        out.print(stages_table(reads.scorecards(CYCLE_CAMPAIGN), names, CYCLE_CAMPAIGN))
        out.print(ranking_table(reads.ranking(CYCLE_CAMPAIGN), CYCLE_CAMPAIGN))

    _run(act)


def _show(reads: ReadModels, campaign: str, unit: str, as_of: AsOf | None) -> None:
    view = reads.scorecard(campaign, unit, as_of)
    if view is None:
        raise Failure(f"unit {unit} takes no part in campaign {campaign}")
    set_doc = reads.indicator_set(view["indicator_set"]["code"], view["indicator_set"]["version"])
    titles = {n["code"]: n["title"] for n in set_doc["definition"]["nodes"]} if set_doc else {}
    registered = reads.unit(unit)
    out.print(scorecard_table(view, registered["name"] if registered else unit, titles))
    out.print(scorecard_summary(view))


@app.command()
def scorecard(
    campaign: Annotated[str, typer.Option(help="campaign code")],
    unit: Annotated[str, typer.Option(help="unit code")],
    fmt: FormatOption = "table",
    as_of_position: AsOfPosition = None,
    as_of: AsOfTime = None,
) -> None:
    """A unit's scorecard: every leaf at every stage, totals, index (now or as of)."""

    def act() -> None:
        _check_format(fmt)
        reads, when = _reads(), _as_of(as_of_position, as_of)
        if fmt == "table":
            _show(reads, campaign, unit, when)
            return
        view = reads.scorecard(campaign, unit, when)
        if view is None:
            raise Failure(f"unit {unit} takes no part in campaign {campaign}")
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


@app.command()
def trace(
    campaign: Annotated[str, typer.Option(help="campaign code")],
    unit: Annotated[str | None, typer.Option(help="unit code (default: every unit)")] = None,
    criterion: Annotated[str | None, typer.Option(help="criterion code")] = None,
    fmt: FormatOption = "table",
) -> None:
    """Every change of every score: when, who, what, why, on which evidence."""

    def act() -> None:
        _check_format(fmt)
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
) -> None:
    """Ranking per group: total, index, rank, grade, change against the previous campaign."""

    def act() -> None:
        _check_format(fmt)
        reads = _reads()
        _require_campaign(reads, campaign)
        rows = reads.ranking(campaign, group, _as_of(as_of_position, as_of))
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
) -> None:
    """Progress for the secretariat: per unit, per appraiser, and the deadlines."""

    def act() -> None:
        _check_format(fmt)
        now = parse_time(at, "--at") if at else datetime.now(UTC)
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
) -> None:
    """Criteria below their maximum, points lost by agency in charge, and next year's targets."""

    def act() -> None:
        _check_format(fmt)
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
        projector = Projector(Ledger(Settings()))
        started = time.perf_counter()
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("rebuilding", total=None)
            projector.views.reset()
            applied = 0
            while step := projector.catch_up(batch_size=2000, limit=2000):
                applied += step
                bar.update(task, completed=applied)
        elapsed = time.perf_counter() - started
        out.print(f"rebuilt every read model from {applied} events in {elapsed:.2f} s")

    _run(act)


@app.command()
def verify() -> None:
    """Check every stored event: hash, chain, signature, and the signer's authority then."""

    def act() -> None:
        report = verify_events(stored_events(_ledger()))
        if report.ok:
            out.print(
                f"ok: {report.events} events in {report.aggregates} aggregates verified "
                "(canonical hashes, hash chains, signatures, signers' keys and scopes)",
                soft_wrap=True,
            )
            return
        first = report.problems[0]
        more = len(report.problems) - 1
        err.print(
            f"FAILED: {first}" + (f" (and {more} more problem(s))" if more else ""),
            highlight=False,
            soft_wrap=True,
        )
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

        from api.app import create_app
        from ledger.storage import is_postgres

        settings = Settings()
        ledger = Ledger(settings, clock=demo_clock())
        postgres = is_postgres(ledger.recorder)
        if seed and not ledger.recorder.max_notification_id():
            err.print("the store is empty: building the demo campaign first…")
            attach(ledger)
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
) -> None:
    """Enrol a person's public key with roles and scopes (signed by an administrator)."""

    def act() -> None:
        ledger = _ledger()
        _receipt(
            send(
                ledger,
                SigningKey.load(key),
                "enrol_key",
                {
                    "public_key": _public_key(public_key),
                    "name": name,
                    "title": title,
                    "unit": unit,
                    "roles": _grants(role),
                },
            )
        )

    _run(act)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="the key id to revoke")],
    reason: Annotated[str, typer.Option(help="why the key is revoked")],
    key: KeyOption,
) -> None:
    """Revoke a key: nothing it signs afterwards is accepted."""
    _run(
        lambda: _receipt(
            send(
                _ledger(), SigningKey.load(key), "revoke_key", {"key_id": key_id, "reason": reason}
            )
        )
    )


@keys_app.command("rotate")
def keys_rotate(
    key_id: Annotated[str, typer.Argument(help="the key id to replace")],
    new_public_key: Annotated[str, typer.Argument(help="base64 public key, or a .pub file")],
    key: KeyOption,
    reason: Annotated[str, typer.Option(help="why")] = "",
) -> None:
    """Replace a key by a new one with the same holder and roles."""
    _run(
        lambda: _receipt(
            send(
                _ledger(),
                SigningKey.load(key),
                "rotate_key",
                {"key_id": key_id, "new_public_key": _public_key(new_public_key), "reason": reason},
            )
        )
    )


@keys_app.command("list")
def keys_list() -> None:
    """List enrolled keys with their roles (public keys only)."""

    def act() -> None:
        table = Table("key id", "name", "title", "unit", "roles", "status")
        for record in _ledger().keyring().keys.values():
            roles = "; ".join(
                f"{g.role}" + (f":{','.join(g.scope)}" if g.scope else "") for g in record.grants
            )
            status = "active" if record.active else f"revoked {record.revoked_at:%Y-%m-%d}"
            table.add_row(record.key_id, record.name, record.title, record.unit, roles, status)
        out.print(table)

    _run(act)


@app.command("register-unit")
def register_unit(
    code: Annotated[str, typer.Option(help="unit code")],
    name: Annotated[str, typer.Option(help="unit name")],
    kind: Annotated[str, typer.Option(help="province, department, district, commune, …")],
    key: KeyOption,
    parent: Annotated[str | None, typer.Option(help="parent unit code")] = None,
    ranking_group: Annotated[str | None, typer.Option(help="ranking group (default: kind)")] = None,
) -> None:
    """Register a unit under assessment."""
    args: dict[str, Any] = {"code": code, "name": name, "kind": kind}
    if parent:
        args["parent"] = parent
    if ranking_group:
        args["ranking_group"] = ranking_group
    _run(lambda: _receipt(send(_ledger(), SigningKey.load(key), "register_unit", args)))


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
) -> None:
    """Import an indicator set version; a version used by a campaign is frozen."""

    def act() -> None:
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
        _receipt(send(_ledger(), SigningKey.load(key), "define_indicator_set", definition))

    _run(act)


@app.command("key-id")
def key_id(
    public_key: Annotated[str, typer.Argument(help="base64 public key or .pub file")],
) -> None:
    """Print the key id of a public key."""
    _run(lambda: out.print(key_id_of(_public_key(public_key))))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
