"""The public pages (no sign-in): each published campaign's results and every unit's, with
CSV and JSON twins at the same stable address, and the page that checks a publication in
the visitor's own browser, with the files it checks and the C2SP tlog-proof download."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.web.public_results import PublicResults, Published, Recent, etagged, unit_csv, unit_rows
from api.web.session import service_of
from api.web.templating import render
from ledger.core.codes import UNIT_CODE
from ledger.domain.results import table_csv
from projections.publication.proofs import publication_proof

router = APIRouter(include_in_schema=False)
RESULTS = PublicResults()
# a proof changes when the log signs a checkpoint or a witness cosigns: kept five seconds
PROOFS = Recent(5.0)
# the CSV and JSON twins are routed before the pages, whose codes may hold a dot
Code = Annotated[str, Path(pattern=UNIT_CODE)]
Sequence = Annotated[int | None, Query(alias="lan", ge=1, le=10_000)]
HTML = "text/html; charset=utf-8"


def _published(request: Request, code: str, sequence: int | None = None) -> Published:
    return RESULTS.get(service_of(request), code, sequence)


def _suffix(sequence: int | None) -> str:
    return "" if sequence is None else f"@{sequence}"


@router.get("/cong-bo")
def results_index(request: Request) -> HTMLResponse:
    svc = service_of(request)
    published = []
    for campaign in sorted(svc.reads.campaigns(), key=lambda c: (-c["year"], c["code"])):
        publications = svc.reads.publications(campaign["code"])
        if publications:
            published.append((campaign, publications[-1]))
    return render(
        request,
        "public_index.html",
        viewer=None,
        title="Kết quả công bố",
        crumbs=[("Kết quả công bố", "")],
        published=published,
    )


@router.get("/cong-bo/{code}.json")
def results_json(request: Request, code: Code, sequence: Sequence = None) -> Response:
    published = _published(request, code, sequence)
    raw = service_of(request).publishing.tables.raw(published.table_sha256)
    return etagged(request, published, "json" + _suffix(sequence), lambda: raw, "application/json")


@router.get("/cong-bo/{code}.csv")
def results_csv(request: Request, code: Code, sequence: Sequence = None) -> Response:
    published = _published(request, code, sequence)
    return etagged(
        request,
        published,
        "csv" + _suffix(sequence),
        lambda: table_csv(published.table),
        "text/csv; charset=utf-8",
    )


@router.get("/cong-bo/{code}")
def results_page(request: Request, code: Code, sequence: Sequence = None) -> Response:
    published = _published(request, code, sequence)

    def make() -> bytes:
        return bytes(
            render(
                request,
                "public_results.html",
                viewer=None,
                title=f"Kết quả {published.table['campaign']['title']}",
                crumbs=[("Kết quả công bố", "/cong-bo"), (code, "")],
                p=published,
                chart=json.dumps(published.chart_data(), ensure_ascii=False),
            ).body
        )

    return etagged(request, published, "page" + _suffix(sequence), make, HTML)


def _unit(request: Request, code: str, unit: str, sequence: int | None) -> Published:
    published = _published(request, code, sequence)
    published.row(unit)
    return published


UnitCode = Annotated[str, Path(pattern=UNIT_CODE)]


@router.get("/cong-bo/{code}/don-vi/{unit}.json")
def unit_json(request: Request, code: Code, unit: UnitCode, sequence: Sequence = None) -> Response:
    published = _unit(request, code, unit, sequence)

    def make() -> bytes:
        doc: dict[str, Any] = {
            "campaign": code,
            "publication": published.sequence,
            "table_sha256": published.table_sha256,
            "result": published.row(unit),
            "leaves": unit_rows(published, unit),
        }
        return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")

    return etagged(
        request, published, f"unit.json:{unit}{_suffix(sequence)}", make, "application/json"
    )


@router.get("/cong-bo/{code}/don-vi/{unit}.csv")
def unit_csv_twin(
    request: Request, code: Code, unit: UnitCode, sequence: Sequence = None
) -> Response:
    published = _unit(request, code, unit, sequence)
    return etagged(
        request,
        published,
        f"unit.csv:{unit}{_suffix(sequence)}",
        lambda: unit_csv(published, unit),
        "text/csv; charset=utf-8",
    )


@router.get("/cong-bo/{code}/don-vi/{unit}")
def unit_page(request: Request, code: Code, unit: UnitCode, sequence: Sequence = None) -> Response:
    published = _unit(request, code, unit, sequence)
    row = published.row(unit)

    def make() -> bytes:
        return bytes(
            render(
                request,
                "public_unit.html",
                viewer=None,
                title=f"{row['name']} · {code}",
                crumbs=[("Kết quả công bố", "/cong-bo"), (code, f"/cong-bo/{code}"), (unit, "")],
                p=published,
                row=row,
                leaves=unit_rows(published, unit),
                change=published.rank_change(row),
            ).body
        )

    return etagged(request, published, f"unit:{unit}{_suffix(sequence)}", make, HTML)


# -- checking a publication -------------------------------------------------------------------


@router.get("/cong-bo/{code}/kiem-tra")
def verify_page(request: Request, code: Code) -> HTMLResponse:
    published = _published(request, code)
    svc = service_of(request)
    return render(
        request,
        "public_verify.html",
        viewer=None,
        title=f"Kiểm tra kết quả {code}",
        crumbs=[("Kết quả công bố", "/cong-bo"), (code, f"/cong-bo/{code}"), ("Kiểm tra", "")],
        p=published,
        log_key=svc.checkpoints.signer.verifier().to_string(),
    )


@router.get("/cong-bo/{code}/kiem-tra.json")
def verify_data(request: Request, code: Code) -> Response:
    """What the verify page checks: the log's key and witnesses as the server states them
    (the visitor may pin their own), and the publication's event and proof."""
    svc = service_of(request)
    published = _published(request, code)
    proof = PROOFS.get((id(svc), code), lambda: publication_proof(svc.publishing, code))
    doc = {
        **proof.as_json(),
        "log_key": svc.checkpoints.signer.verifier().to_string(),
        "witnesses": [w.to_string() for w in svc.checkpoints.witnesses],
        "table_url": f"/v1/campaigns/{code}/results?sequence={proof.sequence}",
        "page_table_sha256": published.table_sha256,
    }
    return Response(
        json.dumps(doc, ensure_ascii=False).encode("utf-8"),
        media_type="application/json",
        headers={"cache-control": "no-cache"},
    )


@router.get("/cong-bo/{code}/bang-chung.tlog-proof")
def tlog_proof(request: Request, code: Code) -> Response:
    svc = service_of(request)
    _published(request, code)
    proof = PROOFS.get((id(svc), code), lambda: publication_proof(svc.publishing, code))
    return Response(
        proof.tlog_proof().to_text(),
        media_type="text/plain; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{code}-{proof.sequence}.tlog-proof"'
        },
    )
