"""Documents benchmark: the time to produce the appraisal report and the results annex of a
campaign of 700 units, as XLSX and as PDF.

    .venv/bin/python bench/documents.py --units 700

It builds the synthetic campaign of bench/synthetic.py (50 leaves per unit, the whole cycle)
on a fresh SQLite store (or, with PARLEDGER_DATABASE_URL=postgresql://…, in a fresh schema of
that database, dropped at the end), finalises and publishes it, then produces each document
once and prints its time, size and pages (PDF)."""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.documents.catalogue import produce
from api.documents.sources import Sources
from bench.synthetic import CAMPAIGN, EVENTS_PER_UNIT, build, fresh_schema
from bench.verify import publish
from projections.read_models.queries import ReadModels


def pages(data: bytes) -> str:
    try:
        import pypdf
    except ImportError:  # a development extra
        return "?"
    return str(len(pypdf.PdfReader(io.BytesIO(data)).pages))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=700)
    args = parser.parse_args()
    url = os.environ.get("PARLEDGER_DATABASE_URL", "")
    drop = None
    with tempfile.TemporaryDirectory() as home:
        if url.startswith("postgres"):
            url, drop = fresh_schema(url)
        else:
            url = f"sqlite:///{home}/bench.sqlite3"
        try:
            started = time.perf_counter()
            synthetic = build(url, home, args.units * EVENTS_PER_UNIT, lambda n: None)
            print(
                f"generated {synthetic.events} signed events for {len(synthetic.units)} units "
                f"in {time.perf_counter() - started:.0f} s on {url.split(':')[0]}",
                flush=True,
            )
            publishing = publish(synthetic)
            reads = ReadModels(publishing.projector.views, owner=synthetic.ledger)
            sources = Sources(reads, publishing.tables, "bench", "https://par.example.vn")
            for kind in ("appraisal-report", "results-annex"):
                for fmt in ("xlsx", "pdf"):
                    started = time.perf_counter()
                    _, data = produce(sources, kind, CAMPAIGN, None, fmt)
                    elapsed = time.perf_counter() - started
                    extra = f", {pages(data)} pages" if fmt == "pdf" else ""
                    print(
                        f"{kind} of {len(synthetic.units)} units as {fmt}: {elapsed:.1f} s "
                        f"({len(data) / 1e6:.2f} MB{extra})",
                        flush=True,
                    )
            synthetic.ledger.close()
        finally:
            if drop is not None:
                drop()


if __name__ == "__main__":
    main()
