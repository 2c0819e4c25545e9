"""What the public results pages show, from a campaign's published table (kept by its hash)
and, for the unit pages, the scorecards as they stood at the publication: worked out once
per publication and kept in memory, so that a page costs one look-up of the campaign's
publications. Pages and their CSV/JSON twins carry an ETag of their bytes."""

from __future__ import annotations

import csv
import hashlib
import io
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response

from api.http.service import Service
from ledger.core.errors import NotFoundError
from projections.read_models.queries import AsOf


@dataclass(frozen=True)
class Area:
    code: str
    title: str


@dataclass
class Published:
    """One publication of a campaign, with what its pages need."""

    campaign: str
    sequence: int
    table_sha256: str
    published_at: str
    position: int
    publications: int
    table: dict[str, Any]
    areas: list[Area]
    cards: dict[str, dict[str, Any]]
    previous: dict[tuple[str, str], int]
    previous_campaign: str | None
    rendered: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    @property
    def precision(self) -> int:
        return int(self.table["precision"])

    def groups(self) -> list[tuple[str, list[dict[str, Any]]]]:
        by_group: dict[str, list[dict[str, Any]]] = {}
        for row in self.table["units"]:
            by_group.setdefault(row["ranking_group"], []).append(row)
        return list(by_group.items())

    def row(self, unit: str) -> dict[str, Any]:
        for row in self.table["units"]:
            if row["unit"] == unit:
                found: dict[str, Any] = row
                return found
        raise NotFoundError(f"unit {unit} is not in the published results", field="unit")

    def rank_change(self, row: dict[str, Any]) -> int | None:
        before = self.previous.get((row["ranking_group"], row["unit"]))
        return None if before is None else before - int(row["rank"])

    def area_index(self, unit: str, area: str) -> str | None:
        card = self.cards.get(unit)
        found = card and card["totals"]["final"]["areas"].get(area)
        return str(found["index"]) if found else None

    def grades(self) -> list[tuple[str, int]]:
        counted = Counter(row["grade"] or "Chưa xếp loại" for row in self.table["units"])
        return sorted(counted.items())

    def chart_data(self) -> dict[str, Any]:
        """What the charts draw (the page's tables show the same numbers)."""
        return {
            "groups": [
                {
                    "group": group,
                    "units": [r["name"] for r in rows],
                    "index": [float(Decimal(r["index"])) for r in rows],
                    "grades": [r["grade"] or "" for r in rows],
                }
                for group, rows in self.groups()
            ],
            "areas": {
                "labels": [f"{a.code}. {a.title}" for a in self.areas],
                "units": [
                    {
                        "name": r["name"],
                        "index": [
                            float(Decimal(v)) if (v := self.area_index(r["unit"], a.code)) else 0
                            for a in self.areas
                        ],
                    }
                    for r in self.table["units"]
                ],
            },
            "grades": {
                "labels": [g for g, _ in self.grades()],
                "counts": [n for _, n in self.grades()],
            },
        }


T = TypeVar("T")


class Recent:
    """Answers kept for a few seconds: what changes only when something is published or a
    witness cosigns is not read from the database on every request of a busy public page."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._kept: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any, make: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            found = self._kept.get(key)
        if found is not None and now - found[0] < self.seconds:
            kept: T = found[1]
            return kept
        made = make()
        with self._lock:
            if len(self._kept) > 1000:
                self._kept.clear()
            self._kept[key] = (now, made)
        return made

    def forget(self, key: Any) -> None:
        with self._lock:
            self._kept.pop(key, None)


class PublicResults:
    """Publications worked out once, by the hash of their table."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[tuple[str, int, str], Published] = {}
        # a new publication shows within two seconds; an unpublished campaign is asked again
        self._listed = Recent(2.0)

    def get(self, svc: Service, code: str, sequence: int | None = None) -> Published:
        publications = self._listed.get((id(svc), code), lambda: svc.reads.publications(code))
        if not publications:
            self._listed.forget((id(svc), code))
            publications = svc.reads.publications(code)
        if not publications:
            raise NotFoundError(
                f"the results of campaign {code} have not been published",
                code="not_published",
                field="campaign",
            )
        if sequence is not None and not 1 <= sequence <= len(publications):
            raise NotFoundError(f"campaign {code} has no publication {sequence}", field="sequence")
        chosen = publications[-1 if sequence is None else sequence - 1]
        key = (code, int(chosen["sequence"]), str(chosen["table_sha256"]))
        with self._lock:
            found = self._kept.get(key)
        if found is not None and found.publications == len(publications):
            return found
        made = self._work_out(svc, code, chosen, len(publications))
        with self._lock:
            self._kept[key] = made
        return made

    def _work_out(self, svc: Service, code: str, chosen: dict[str, Any], count: int) -> Published:
        table = svc.publishing.tables.get(str(chosen["table_sha256"]))
        set_doc = svc.reads.indicator_set(
            table["indicator_set"]["code"], int(table["indicator_set"]["version"])
        )
        nodes = set_doc["definition"]["nodes"] if set_doc else []
        areas = [Area(n["code"], n["title"]) for n in nodes if n.get("level") == "area"]
        at = AsOf(position=int(chosen["position"]))
        cards = {c["unit"]: c for c in svc.reads.scorecards_at(code, at)}
        previous_code = (svc.reads.previous_campaign(code) or {}).get("code")
        previous: dict[tuple[str, str], int] = {}
        if previous_code and (earlier := svc.reads.publications(previous_code)):
            old = svc.publishing.tables.get(str(earlier[-1]["table_sha256"]))
            previous = {(r["ranking_group"], r["unit"]): int(r["rank"]) for r in old["units"]}
        return Published(
            campaign=code,
            sequence=int(chosen["sequence"]),
            table_sha256=str(chosen["table_sha256"]),
            published_at=str(chosen["published_at"]),
            position=int(chosen["position"]),
            publications=count,
            table=table,
            areas=areas,
            cards=cards,
            previous=previous,
            previous_campaign=previous_code if previous else None,
        )


def unit_rows(published: Published, unit: str) -> list[dict[str, Any]]:
    """Every leaf of a unit: its final score beside the self-score and preliminary appraisal."""
    card = published.cards.get(unit) or {"leaves": []}
    final = published.row(unit)["scores"]
    rows = []
    for leaf in card["leaves"]:
        if leaf["code"] not in final:
            continue
        preliminary = leaf.get("preliminary_appraisal") or {}
        rows.append(
            {
                "code": leaf["code"],
                "title": leaf["title"],
                "area": leaf["area"],
                "max_points": leaf["max_points"],
                "self_score": (leaf.get("self_score") or {}).get("points")
                or (leaf.get("external") or {}).get("points"),
                "preliminary": preliminary.get("points"),
                "final": final[leaf["code"]],
            }
        )
    return rows


UNIT_COLUMNS = ["code", "title", "max_points", "self_score", "preliminary", "final"]


def unit_csv(published: Published, unit: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(UNIT_COLUMNS)
    for row in unit_rows(published, unit):
        writer.writerow([row[c] if row[c] is not None else "" for c in UNIT_COLUMNS])
    return "\ufeff" + out.getvalue()


def etagged(
    request: Request, published: Published, name: str, make: Any, media_type: str
) -> Response:
    """The response ``make()`` gives, kept per publication under ``name``; a 304 when the
    browser already holds it."""
    kept = published.rendered.get(name)
    if kept is None:
        made = make()
        body = made if isinstance(made, bytes) else str(made).encode("utf-8")
        kept = (body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        published.rendered[name] = kept
    body, tag = kept
    headers = {"etag": tag, "cache-control": "public, max-age=60"}
    if tag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
