"""Spreadsheets of what a page lists (a trace, a campaign's progress), made by the documents'
renderer (api.documents.xlsx): the heading of the campaign's authority, the title, the table,
and the provenance sheet naming the log position the numbers were read at."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from api.documents.layout import authority_issuer, authority_of, date_words
from api.documents.model import Cell, Column, Document, Row, Section, Table
from api.documents.sources import Sources
from api.documents.xlsx import render_xlsx
from api.http.service import Service


def xlsx_table(
    svc: Service,
    campaign: str,
    *,
    stem: str,
    title: str,
    subtitle: str,
    columns: tuple[Column, ...],
    rows: list[tuple[Cell, ...]],
    precision: int,
) -> bytes:
    sources = Sources(
        svc.reads,
        svc.publishing.tables,
        svc.ledger.keyring().ledger or svc.settings.ledger_name,
        svc.settings.public_url,
    )
    reading = sources.at(campaign, None)
    units = [reading.unit(u) for u in reading.campaign["units"]]
    document = Document(
        kind=stem,
        file_stem=f"{campaign}-{stem}",
        issuer=authority_issuer(authority_of(units, reading.registry)),
        date=date_words(svc.now().astimezone(ZoneInfo(reading.timezone))),
        title=title,
        subtitle=(str(reading.campaign.get("title", campaign)), subtitle),
        sections=(Section(stem[:31], (Table(columns, tuple(Row(r) for r in rows)),)),),
        provenance=reading.provenance(),
        precision=precision,
    )
    return render_xlsx(document)
