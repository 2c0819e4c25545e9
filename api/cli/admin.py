"""Running a ledger: init, demo, project, rebuild, verify, serve and tick."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Annotated, Any

import typer

from api.bootstrap import Runtime, open_runtime
from api.cli.app import app
from api.cli.disclosure import show_withheld
from api.cli.reads import show_scorecard
from api.cli.render import (
    ranking_table,
    stages_table,
)
from api.cli.support import (
    Failure,
    LogKeyOption,
    _ledger,
    _log_key,
    _progress_bar,
    _receipt,
    _run,
    _runtime,
    err,
    out,
    refuse_where_no_ledger,
    show,
)
from api.http.observability import configure_logging
from ledger.application.local_client import initialise, load_or_create_key
from ledger.application.service import stored_events
from ledger.application.settings import Settings
from ledger.audit.event_checks import verify_events
from ledger.demo.cycle import CAMPAIGN as CYCLE_CAMPAIGN
from ledger.demo.district import CAMPAIGN as DISTRICT_CAMPAIGN
from ledger.demo.province import CAMPAIGN, UNIT, demo_clock, run_demo
from projections.publication.log_audit import audit_log
from projections.supervisor import Supervisor, until_signalled

SHOWN_PROBLEMS = 50


@app.command()
def init(
    admin_name: Annotated[str, typer.Option(help="the administrator's name")] = "Administrator",
    admin_title: Annotated[str, typer.Option(help="the administrator's title")] = "",
    admin_unit: Annotated[str, typer.Option(help="the administrator's organisation")] = "",
) -> None:
    """Create the ledger, its genesis administrator key, the server's key and the log key."""

    def act() -> None:
        ledger = _ledger(create=True)
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
            f"{admin.key_id} in {folder / 'admin.key'} (keep it private)",
            highlight=False,
            soft_wrap=True,
        )

    _run(act)


@app.command()
def demo() -> None:
    """Build the demo campaigns on the configured store, print their scorecards and ranking,
    and publish the 2023 results."""

    def act() -> None:
        runtime = _runtime(create=True, clock=demo_clock())
        run_demo(runtime.ledger)
        reads = runtime.reads
        show_scorecard(reads, CAMPAIGN, UNIT, None)
        out.print()
        names = {u["code"]: u["name"] for u in reads.units()}
        show(stages_table(reads.scorecards(CYCLE_CAMPAIGN), names, CYCLE_CAMPAIGN))
        show(ranking_table(reads.ranking(CYCLE_CAMPAIGN), CYCLE_CAMPAIGN))
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
        # the district's own cycle, run by its secretariat and council (ADR 14)
        show(stages_table(reads.scorecards(DISTRICT_CAMPAIGN), names, DISTRICT_CAMPAIGN))
        show_withheld(runtime)

    _run(act)


@app.command()
def project(
    once: Annotated[bool, typer.Option("--once", help="catch up and stop")] = False,
) -> None:
    """Keep the read models up with the log (a long-running worker; Ctrl-C or SIGTERM stops
    it within seconds, at any point of a catch-up). Any
    failure (the database away, a lost connection) is logged and the worker resumes from
    the position it had recorded, after a pause of at most
    PARLEDGER_RESTART_BACKOFF_MAX_SECONDS."""
    settings = Settings()
    stop = threading.Event()
    if once:

        def act() -> None:
            runtime = _runtime(project=False, server_hint=False)
            projector = runtime.projector
            applied: list[int] = []
            finished = until_signalled(lambda: applied.append(projector.catch_up(stop=stop)), stop)
            if not finished:
                _abandon()
            elif stop.is_set():
                _stopped(projector.projected)
            else:
                out.print(
                    f"read models at log position {projector.projected} "
                    f"({applied[0]} event(s) applied)"
                )

        _run(act)
        return
    _run(lambda: refuse_where_no_ledger(settings, server_hint=False))
    configure_logging(settings.log_json)
    found: list[Runtime] = []

    def work(stop: threading.Event) -> None:
        if not found:
            found.append(open_runtime(settings, project=False))
            err.print(f"following the log of {settings.database_url}", soft_wrap=True)
        found[0].projector.follow(stop)

    supervisor = Supervisor("projector", work, stop, max_pause=settings.restart_backoff_max_seconds)
    if not until_signalled(supervisor.run, stop):
        _abandon()
    _stopped(found[0].projector.projected if found else None)


def _stopped(position: int | None) -> None:
    if position is None:
        err.print("stopped before following the log")
    else:
        err.print(f"stopped: the read models are at log position {position}")


def _abandon() -> None:
    """Stop now, the batch in progress undone (its thread still holds its connection, so
    there is no orderly shutdown; the database rolls its transaction back)."""
    err.print(
        "stopped in the middle of a batch: the read models stay at the last position "
        "recorded, and the next start resumes from there"
    )
    out.file.flush()
    err.file.flush()
    os._exit(0)


@app.command()
def rebuild() -> None:
    """Drop every read model and rebuild it from the first event."""

    def act() -> None:
        runtime = _runtime(project=False, server_hint=False)
        projector = runtime.projector
        total = runtime.storage.recorder.max_notification_id() or None
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
        publishing = _runtime(server_hint=False)
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
        audit = audit_log(publishing.publishing, trusted, ledger.evidence)
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

        settings = Settings()
        runtime = open_runtime(settings, clock=demo_clock())
        postgres = runtime.storage.postgres
        if seed and not runtime.storage.recorder.max_notification_id():
            err.print("the store is empty: building the demo campaign first…")
            run_demo(runtime.ledger)
        runtime.close()
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
        receipts = _ledger(server_hint=False).tick()
        for receipt in receipts:
            _receipt(receipt)
        out.print(f"{len(receipts)} scorecard(s) locked at their deadline")

    _run(act)
