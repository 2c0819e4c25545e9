"""Reads of the read models, local or from a server: scorecards, traces, rankings,
progress, gaps, units and campaigns."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli.app import app
from api.cli.remote import RemoteError, RemoteLedger, segment
from api.cli.render import (
    gaps_table,
    progress_tables,
    ranking_table,
    scorecard_summary,
    scorecard_table,
    to_csv,
    to_json,
    trace_table,
)
from api.cli.support import (
    AsOfPosition,
    AsOfTime,
    Failure,
    FormatOption,
    ReadKeyOption,
    ServerOption,
    _as_of,
    _check_format,
    _reads,
    _remote,
    _require_campaign,
    _run,
    _time,
    out,
    show,
)
from projections.read_models.queries import AsOf, ReadModels
from projections.read_models.trace import to_csv as trace_csv


def show_scorecard(reads: ReadModels, campaign: str, unit: str, as_of: AsOf | None) -> None:
    view = reads.scorecard(campaign, unit, as_of)
    if view is None:
        raise Failure(f"unit {unit} takes no part in campaign {campaign}")
    set_doc = reads.indicator_set(view["indicator_set"]["code"], view["indicator_set"]["version"])
    registered = reads.unit(unit)
    _show_view(view, registered["name"] if registered else unit, set_doc)


def _show_view(view: dict[str, Any], unit_name: str, set_doc: dict[str, Any] | None) -> None:
    titles = {n["code"]: n["title"] for n in set_doc["definition"]["nodes"]} if set_doc else {}
    show(scorecard_table(view, unit_name, titles))
    out.print(scorecard_summary(view), soft_wrap=True)


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
                show_scorecard(reads, campaign, unit, when)
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
                    ("max_points", "self_points", "final_points", "points", "target"),
                    int(view["precision"]),
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
                doc = remote.get(_campaign_path(campaign))
                code, version = doc["indicator_set"], int(doc["indicator_set_version"])
                set_doc = remote.get(f"/v1/indicator-sets/{segment(code)}/{version}")
            precision = int(set_doc["definition"].get("precision", 2))
        else:
            reads = _reads()
            doc = reads.campaign_doc(campaign)
            if doc is None:
                raise Failure(f"campaign {campaign} does not exist")
            rows = reads.trace(campaign, unit, criterion)
            precision = reads.precision(campaign)
        if fmt == "json":
            print(to_json(rows))
        elif fmt == "csv":
            print(trace_csv(rows, precision), end="")
        else:
            show(trace_table(rows, precision))

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
                    ("total", "max_total", "index"),
                    int(rows[0]["precision"]) if rows else 2,
                ),
                end="",
            )
        else:
            show(ranking_table(rows, campaign))

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
                show(table)
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
            show(gaps_table(report))
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
                    ("max_points", "points", "lost", "target", "to_gain"),
                    int(report.get("precision", 2)),
                ),
                end="",
            )

    _run(act)


# -- listings -------------------------------------------------------------------------------


def listing(
    server: str | None, key: Path | None, path: str, local: Callable[[ReadModels], list[Any]]
) -> list[dict[str, Any]]:
    if server:
        with _remote(server, key) as remote:
            return remote.get_all(path)
    return local(_reads())


def print_listing(
    rows: list[dict[str, Any]],
    fmt: str,
    title: str,
    columns: dict[str, Callable[[dict[str, Any]], Any]],
    words: Collection[str] = ("name", "title", "unit"),
) -> None:
    """Rows as JSON, CSV or a table whose ``words`` columns wrap; the others (codes, times,
    numbers) are shown whole."""
    if fmt == "json":
        print(to_json(rows))
        return
    flat = [{name: cell(row) for name, cell in columns.items()} for row in rows]
    if fmt == "csv":
        print(to_csv(flat, list(columns)), end="")
        return
    table = Table(title=title)
    for name in columns:
        table.add_column(name, no_wrap=name not in words)
    for row in flat:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    show(table)


def field_of(name: str) -> Callable[[dict[str, Any]], Any]:
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
        rows = listing(server, key, "/v1/units", ReadModels.units)
        print_listing(
            rows,
            fmt,
            f"{len(rows)} unit(s)",
            {name: field_of(name) for name in ("code", "name", "kind", "parent", "ranking_group")},
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
        rows = listing(server, key, "/v1/campaigns", ReadModels.campaigns)
        print_listing(
            rows,
            fmt,
            f"{len(rows)} campaign(s)",
            {
                "code": field_of("code"),
                "year": field_of("year"),
                "title": field_of("title"),
                "indicator_set": lambda row: (
                    f"{row.get('indicator_set')} v{row.get('indicator_set_version')}"
                ),
                "units": lambda row: len(row.get("units") or []),
                "self_assessment_opens": _milestone("self_assessment_opens"),
                "final_appraisal_closes": _milestone("final_appraisal_closes"),
                "finalised_at": field_of("finalised_at"),
            },
        )

    _run(act)
