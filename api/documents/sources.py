"""What documents read: the read models and the published tables as of one log position,
and the provenance of that reading."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from api.documents.layout import date_words, local_time
from api.documents.model import Provenance
from ledger.core.errors import NotFoundError, ValidationError
from ledger.domain.indicators import IndicatorTree, build_tree
from projections.publication.publishing import PublishedTables
from projections.read_models.positions import last_change, log_point
from projections.read_models.queries import AsOf, ReadModels


def verify_url(public_url: str, campaign: str) -> str:
    """The public page that checks a campaign's published results."""
    return f"{public_url.rstrip('/')}/cong-bo/{quote(campaign, safe='')}/kiem-tra"


@dataclass(frozen=True)
class Sources:
    """The read models of one ledger and what a document names them by."""

    reads: ReadModels
    tables: PublishedTables
    ledger: str
    public_url: str

    def at(self, campaign: str, position: int | None) -> Reading:
        """A reading of ``campaign`` as of ``position`` (the latest projected by default)."""
        doc = self.reads.campaign_doc(campaign)
        if doc is None:
            raise NotFoundError(f"campaign {campaign} does not exist", field="campaign")
        latest = self.reads.views.position()
        if position is None:
            position = latest
        elif position > latest:
            raise ValidationError(
                f"as_of_position {position} is beyond the log as read here ({latest})",
                field="as_of_position",
            )
        return Reading(self, doc, position)


class Reading:
    """A campaign read at one log position."""

    def __init__(self, sources: Sources, campaign: dict[str, Any], position: int) -> None:
        self.sources = sources
        self.reads = sources.reads
        self.campaign = campaign
        self.code = str(campaign["code"])
        self.position = position
        self.point = log_point(self.reads.views, position)
        set_doc = self.reads.indicator_set(
            campaign["indicator_set"], campaign["indicator_set_version"]
        )
        assert set_doc is not None
        self.tree: IndicatorTree = build_tree(set_doc["definition"])
        self.timezone = str(campaign.get("timezone") or "Asia/Ho_Chi_Minh")
        self.registry = {u["code"]: u for u in self.reads.units()}
        self._keys: dict[str, dict[str, Any]] | None = None

    @property
    def as_of(self) -> AsOf:
        return AsOf(position=self.position)

    def scorecard(self, unit: str) -> dict[str, Any]:
        view = self.reads.scorecard(self.code, unit, self.as_of)
        if view is None:
            raise NotFoundError(
                f"unit {unit} has no scorecard in campaign {self.code} at log position "
                f"{self.position}",
                field="unit",
            )
        return view

    def scorecards(self) -> list[dict[str, Any]]:
        """Every unit's scorecard, in the campaign's order of units."""
        order = {unit: n for n, unit in enumerate(self.campaign["units"])}
        views = self.reads.scorecards_at(self.code, self.as_of)
        return sorted(views, key=lambda view: order.get(view["unit"], len(order)))

    def unit(self, code: str) -> dict[str, Any]:
        return self.registry.get(code) or {"code": code, "name": code, "kind": "", "parent": None}

    def unit_name(self, code: str) -> str:
        return str(self.unit(code)["name"])

    def parent(self, code: str) -> dict[str, Any] | None:
        parent = self.unit(code).get("parent")
        return None if parent is None else self.registry.get(str(parent))

    def key(self, key_id: str | None) -> dict[str, Any]:
        if self._keys is None:
            enrolled = self.reads.keys()
            self._keys = {k["key_id"]: k for k in enrolled}
        return self._keys.get(key_id or "") or {"key_id": key_id or "", "name": "", "title": ""}

    def signer(self, key_id: str | None) -> str:
        """A person as documents name them: name, title (key id)."""
        key = self.key(key_id)
        who = ", ".join(part for part in (key.get("name"), key.get("title")) if part)
        return f"{who} (khóa {str(key['key_id'])[:8]})" if who else str(key["key_id"])[:8]

    def date(self, unit: str | None = None, at: str | None = None) -> str:
        """The date line's date: ``at``, or the day the campaign's scorecards (or one unit's)
        last changed at or before the position read."""
        when = at or last_change(self.reads.views, self.code, self.position, unit)
        moment = local_time(when or self.point.recorded_at, self.timezone)
        return "" if moment is None else date_words(moment)

    def provenance(
        self, table_sha256: str | None = None, publication: int | None = None
    ) -> Provenance:
        checkpoint = self.point.checkpoint
        note = str(checkpoint["note"]) if checkpoint else ""
        return Provenance(
            ledger=self.sources.ledger,
            campaign=self.code,
            campaign_title=str(self.campaign.get("title", "")),
            position=self.position,
            recorded_at=self.point.recorded_at,
            leaf_index=self.point.leaf_index,
            checkpoint_origin=note.split("\n", 1)[0] if checkpoint else None,
            checkpoint_size=int(checkpoint["size"]) if checkpoint else None,
            checkpoint_root=str(checkpoint["root"]) if checkpoint else None,
            checkpoint_signed_at=str(checkpoint["signed_at"]) if checkpoint else None,
            verify_url=verify_url(self.sources.public_url, self.code),
            table_sha256=table_sha256,
            publication=publication,
        )
