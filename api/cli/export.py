"""``parledger export``: a form or report as officials file it (XLSX or PDF), from the local
read models or from a server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

import typer

from api.cli.app import app
from api.cli.remote import RemoteLedger, segment
from api.cli.support import Failure, ReadKeyOption, ServerOption, _run, _runtime, out
from api.documents.catalogue import KINDS, check, file_name, produce
from api.documents.sources import Sources
from ledger.core.crypto import SigningKey

DOCUMENT_TIMEOUT = 900.0
KIND_HELP = "; ".join(f"{name}: {kind.title}" for name, kind in KINDS.items())


def _format(fmt: str | None, output: Path) -> str:
    chosen = fmt or output.suffix.lstrip(".").lower()
    if chosen not in ("pdf", "xlsx"):
        raise Failure(
            f"say --format pdf or --format xlsx (the file name {output.name} does not tell)"
        )
    return chosen


def _local(kind: str, campaign: str, unit: str | None, fmt: str, position: int | None) -> bytes:
    runtime = _runtime()
    settings, ledger, reads = runtime.settings, runtime.ledger, runtime.reads
    try:
        sources = Sources(
            reads,
            runtime.publishing.tables,
            ledger.keyring().ledger or settings.ledger_name,
            settings.public_url,
        )
        document, data = produce(sources, kind, campaign, unit, fmt, position)
    finally:
        runtime.close()
    out.print(
        f"{file_name(document, fmt)}: numbers as of log position {document.provenance.position}",
        highlight=False,
    )
    return data


def _from_server(
    server: str,
    key: Path | None,
    kind: str,
    campaign: str,
    unit: str | None,
    fmt: str,
    position: int | None,
) -> bytes:
    query = {"format": fmt, "unit": unit, "as_of_position": position}
    path = f"/v1/campaigns/{segment(campaign)}/documents/{segment(kind)}?" + urlencode(
        {k: v for k, v in query.items() if v is not None}
    )
    if key is None and kind != "results-annex":
        raise Failure("reading from a server needs --key FILE (an enrolled key to log in with)")
    # a large campaign's report is minutes of layout: wait for it
    with RemoteLedger(server, timeout=DOCUMENT_TIMEOUT) as remote:
        if key is not None:
            remote.login(SigningKey.load(key))
        return remote.get_bytes(path)


@app.command()
def export(
    kind: Annotated[str, typer.Argument(help=KIND_HELP)],
    campaign: Annotated[str, typer.Option(help="campaign code")],
    output: Annotated[Path, typer.Option("-o", "--output", help="the file to write")],
    unit: Annotated[str | None, typer.Option(help="unit code (a unit's documents)")] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="pdf or xlsx (default: from -o's suffix)")
    ] = None,
    as_of_position: Annotated[
        int | None, typer.Option("--as-of-position", help="the numbers as of this log position")
    ] = None,
    server: ServerOption = None,
    key: ReadKeyOption = None,
) -> None:
    """A form or report, XLSX or PDF, naming the log position, checkpoint and verify page of
    its numbers: scoring-sheet, self-assessment-report, appraisal-report, results-annex,
    improvement-plan."""

    def act() -> None:
        chosen = _format(fmt, output)
        check(kind, unit, chosen)
        if server:
            data = _from_server(server, key, kind, campaign, unit, chosen, as_of_position)
        else:
            data = _local(kind, campaign, unit, chosen, as_of_position)
        output.write_bytes(data)
        out.print(f"wrote {output} ({len(data)} bytes)", highlight=False)

    _run(act)
