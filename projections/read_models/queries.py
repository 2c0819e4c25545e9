"""What people read: scorecards, traces, rankings, progress, gaps and targets, and any of
them as it stood at an earlier time or log position. Everything comes from the read-model
tables; nothing loads an aggregate."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ledger.core.canonical import format_time
from ledger.domain.campaign import MILESTONE_TITLES, MILESTONES, PHASE_TITLES, Campaign
from ledger.domain.derivations import accepted_self_scores
from ledger.domain.indicators import IndicatorTree, build_tree
from ledger.domain.keyring import grants_from_json
from ledger.domain.points import plain
from ledger.domain.results import (
    competition_ranks,
    final_totals,
    grade_of,
    result_table,
)
from ledger.domain.scopes import RunningFacts, facts_of_campaign, reaches
from ledger.domain.unit import UnitRecord
from projections.read_models.council import ROUNDS, appraisals_done, appraiser_progress
from projections.read_models.replaying import campaign_from_doc, replay_card
from projections.read_models.scorecard_view import render
from projections.read_models.trace import row_from_table
from projections.store import ViewStore


@dataclass(frozen=True)
class AsOf:
    """A point in the past: a log position, a time, or both (the earlier wins)."""

    position: int | None = None
    at: datetime | None = None

    def clause(self) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        if self.position is not None:
            parts.append("position <= ?")
            params.append(self.position)
        if self.at is not None:
            parts.append("recorded_at <= ?")
            params.append(format_time(self.at))
        return ("".join(f" AND {p}" for p in parts), params)

    def describe(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "at": None if self.at is None else format_time(self.at),
        }


class ReadModels:
    def __init__(self, views: ViewStore, owner: object = None) -> None:
        self.views = views
        # the views share the ledger's connections, which close when the ledger goes
        self._owner = owner
        # indicator trees by the text of their definition: validating a set is most of the
        # time a scorecard view takes, and a definition's text names its tree
        self._trees: dict[str, IndicatorTree] = {}

    # -- registries ---------------------------------------------------------------------

    def _docs(self, statement: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        return [json.loads(r["doc"]) for r in self.views.rows(statement, params)]

    def units(self) -> list[dict[str, Any]]:
        return self._docs("SELECT doc FROM {pv_units} ORDER BY code")

    def unit(self, code: str) -> dict[str, Any] | None:
        docs = self._docs("SELECT doc FROM {pv_units} WHERE code = ?", (code,))
        return docs[0] if docs else None

    def keys(self) -> list[dict[str, Any]]:
        return self._docs("SELECT doc FROM {pv_keys} ORDER BY key_id")

    def campaigns(self) -> list[dict[str, Any]]:
        return self._docs("SELECT doc FROM {pv_campaigns} ORDER BY year, code")

    def campaign_doc(self, code: str) -> dict[str, Any] | None:
        docs = self._docs("SELECT doc FROM {pv_campaigns} WHERE code = ?", (code,))
        return docs[0] if docs else None

    def campaign(self, code: str) -> Campaign | None:
        doc = self.campaign_doc(code)
        return campaign_from_doc(doc) if doc else None

    def indicator_sets(self) -> list[dict[str, Any]]:
        return [
            {"code": r["code"], "version": r["version"], **json.loads(r["doc"])}
            for r in self.views.rows("SELECT * FROM {pv_sets} ORDER BY code, version")
        ]

    def tree(self, code: str, version: int) -> IndicatorTree | None:
        """The indicator tree of a set version, built once per definition."""
        rows = self.views.rows(
            "SELECT doc FROM {pv_sets} WHERE code = ? AND version = ?", (code, version)
        )
        if not rows:
            return None
        text = rows[0]["doc"]
        found = self._trees.get(text)
        if found is None:
            found = build_tree(json.loads(text)["definition"])
            if len(self._trees) >= 16:
                self._trees.pop(next(iter(self._trees)))
            self._trees[text] = found
        return found

    def indicator_set(self, code: str, version: int) -> dict[str, Any] | None:
        docs = self._docs(
            "SELECT doc FROM {pv_sets} WHERE code = ? AND version = ?", (code, version)
        )
        return docs[0] if docs else None

    def precision(self, campaign: str) -> int:
        """The decimal places of the campaign's indicator set (2 if it is unknown)."""
        doc = self.campaign_doc(campaign)
        set_doc = doc and self.indicator_set(doc["indicator_set"], doc["indicator_set_version"])
        return int(set_doc["definition"].get("precision", 2)) if set_doc else 2

    # -- scorecards -----------------------------------------------------------------------

    def scorecard(
        self, campaign: str, unit: str, as_of: AsOf | None = None
    ) -> dict[str, Any] | None:
        return self._render(campaign, unit, as_of)

    def scorecards(self, campaign: str) -> list[dict[str, Any]]:
        units = [
            r["unit"]
            for r in self.views.rows(
                "SELECT unit FROM {pv_cards} WHERE campaign = ? ORDER BY unit", (campaign,)
            )
        ]
        return [view for unit in units if (view := self._render(campaign, unit, None))]

    def summaries(self, campaign: str) -> list[dict[str, Any]]:
        return self._docs(
            "SELECT doc FROM {pv_cards} WHERE campaign = ? ORDER BY unit", (campaign,)
        )

    def _render(self, campaign: str, unit: str, as_of: AsOf | None) -> dict[str, Any] | None:
        """The scorecard view, from the card's projected events (up to ``as_of``)."""
        where, params = (as_of or AsOf()).clause()
        rows = self.views.rows(
            "SELECT * FROM {pv_card_events} WHERE campaign = ? AND unit = ?"
            f"{where} ORDER BY position",
            (campaign, unit, *params),
        )
        return self._view(rows, as_of, self.campaign(campaign)) if rows else None

    def acceptances(self, campaign: str) -> dict[str, dict[str, str]]:
        """Per unit, what accepting its self-scores would record now: {criterion: points}
        (FORMATS §5.1, the derivation the ledger itself uses)."""
        by_unit: dict[str, list[dict[str, Any]]] = {}
        for row in self.views.rows(
            "SELECT * FROM {pv_card_events} WHERE campaign = ? ORDER BY position", (campaign,)
        ):
            by_unit.setdefault(row["unit"], []).append(row)
        found = {}
        for unit, rows in by_unit.items():
            card = replay_card(rows)
            tree = self.tree(card.indicator_set, card.indicator_set_version)
            assert tree is not None
            found[unit] = accepted_self_scores(card, tree)
        return found

    def scorecards_at(self, campaign: str, as_of: AsOf) -> list[dict[str, Any]]:
        """Every scorecard of the campaign as it stood at ``as_of``, from one query."""
        where, params = as_of.clause()
        by_unit: dict[str, list[dict[str, Any]]] = {}
        for row in self.views.rows(
            f"SELECT * FROM {{pv_card_events}} WHERE campaign = ?{where} ORDER BY position",
            (campaign, *params),
        ):
            by_unit.setdefault(row["unit"], []).append(row)
        found = self.campaign(campaign)
        return [self._view(by_unit[unit], as_of, found) for unit in sorted(by_unit)]

    def _view(
        self,
        rows: list[dict[str, Any]],
        as_of: AsOf | None,
        campaign: Campaign | None,
    ) -> dict[str, Any]:
        card = replay_card(rows)
        tree = self.tree(card.indicator_set, card.indicator_set_version)
        assert tree is not None
        view = render(card, tree, campaign)
        if as_of is not None:
            view["as_of"] = {**as_of.describe(), "last_position": rows[-1]["position"]}
        return view

    # -- traces -------------------------------------------------------------------------

    def trace(
        self, campaign: str, unit: str | None = None, criterion: str | None = None
    ) -> list[dict[str, Any]]:
        # each row with its event's leaf index in the transparency log (FORMATS §10c),
        # projected with it: the number the log API, proofs and receipts use
        statement = (
            "SELECT t.*, l.leaf_index AS leaf FROM {pv_trace} t "
            "LEFT JOIN {pv_leaves} l ON l.position = t.position WHERE t.campaign = ?"
        )
        params: list[Any] = [campaign]
        if unit is not None:
            statement += " AND t.unit = ?"
            params.append(unit)
        if criterion is not None:
            statement += " AND t.criterion = ?"
            params.append(criterion)
        rows = self.views.rows(statement + " ORDER BY t.position, t.seq", params)
        return [row_from_table(r) for r in rows]

    # -- results and publications ---------------------------------------------------------

    def result_table(self, campaign: str, as_of: AsOf | None = None) -> dict[str, Any] | None:
        """The campaign's result table (ledger.domain.results) from the projected events of
        its scorecards, up to ``as_of``; units are named as they are registered now."""
        doc = self.campaign_doc(campaign)
        if doc is None:
            return None
        set_doc = self.indicator_set(doc["indicator_set"], doc["indicator_set_version"])
        assert set_doc is not None
        where, params = (as_of or AsOf()).clause()
        by_unit: dict[str, list[dict[str, Any]]] = {}
        for row in self.views.rows(
            f"SELECT * FROM {{pv_card_events}} WHERE campaign = ?{where} ORDER BY position",
            (campaign, *params),
        ):
            by_unit.setdefault(row["unit"], []).append(row)
        units = {u["code"]: UnitRecord.of(u) for u in self.units()}
        return result_table(
            campaign_from_doc(doc),
            build_tree(set_doc["definition"]),
            [replay_card(rows) for rows in by_unit.values()],
            units,
        )

    def publications(self, campaign: str) -> list[dict[str, Any]]:
        """Every publication of the campaign's results, the first first."""
        return [
            {**json.loads(r["doc"]), "position": r["position"], "published_at": r["published_at"]}
            for r in self.views.rows(
                "SELECT * FROM {pv_publications} WHERE campaign = ? ORDER BY sequence", (campaign,)
            )
        ]

    # -- rankings -----------------------------------------------------------------------

    def _totals(self, campaign: str, as_of: AsOf | None) -> list[dict[str, Any]]:
        if as_of is None:
            return self.views.rows("SELECT * FROM {pv_totals} WHERE campaign = ?", (campaign,))
        doc = self.campaign_doc(campaign)
        if doc is None:
            return []
        rows = []
        units = {u["code"]: u for u in self.units()}
        for unit in doc["units"]:
            where, params = as_of.clause()
            events = self.views.rows(
                "SELECT * FROM {pv_card_events} WHERE campaign = ? AND unit = ?"
                f"{where} ORDER BY position",
                (campaign, unit, *params),
            )
            if not events:
                continue
            card = replay_card(events)
            set_doc = self.indicator_set(card.indicator_set, card.indicator_set_version)
            assert set_doc is not None
            result = final_totals(card, build_tree(set_doc["definition"]), campaign_from_doc(doc))
            rows.append(
                {
                    "campaign": campaign,
                    "unit": unit,
                    "unit_kind": card.unit_kind,
                    "ranking_group": units.get(unit, {}).get("ranking_group", card.unit_kind),
                    "total": str(result.total),
                    "max_total": str(result.max_total),
                    "idx": str(result.index),
                }
            )
        return rows

    def previous_campaign(self, code: str) -> dict[str, Any] | None:
        """The latest earlier campaign that assessed some of the same units."""
        current = self.campaign_doc(code)
        if current is None:
            return None
        earlier = [
            c
            for c in self.campaigns()
            if c["year"] < current["year"] and set(c["units"]) & set(current["units"])
        ]
        return max(earlier, key=lambda c: (c["year"], c["created_at"]), default=None)

    def ranking(
        self, campaign: str, group: str | None = None, as_of: AsOf | None = None
    ) -> list[dict[str, Any]]:
        doc = self.campaign_doc(campaign)
        if doc is None:
            return []
        bands = [(Decimal(b["min"]), b["grade"]) for b in doc.get("grade_bands", [])]
        set_doc = self.indicator_set(doc["indicator_set"], doc["indicator_set_version"])
        precision = set_doc["definition"].get("precision", 2) if set_doc else 2
        previous = self.previous_campaign(campaign)
        previous_ranks = (
            {(r["ranking_group"], r["unit"]): r["rank"] for r in self.ranking(previous["code"])}
            if previous
            else {}
        )
        names = {u["code"]: u["name"] for u in self.units()}
        rows = [
            r for r in self._totals(campaign, as_of) if group is None or r["ranking_group"] == group
        ]
        ranked: list[dict[str, Any]] = []
        for ranking_group in sorted({r["ranking_group"] for r in rows}):
            members = sorted(
                (r for r in rows if r["ranking_group"] == ranking_group),
                key=lambda r: (-Decimal(r["idx"]), r["unit"]),
            )
            ranks = competition_ranks([Decimal(r["idx"]) for r in members])
            for rank, r in zip(ranks, members, strict=True):
                before = previous_ranks.get((ranking_group, r["unit"]))
                ranked.append(
                    {
                        "ranking_group": ranking_group,
                        "rank": rank,
                        "unit": r["unit"],
                        "name": names.get(r["unit"], r["unit"]),
                        "unit_kind": r["unit_kind"],
                        "total": plain(Decimal(r["total"])),
                        "max_total": plain(Decimal(r["max_total"])),
                        "index": r["idx"],
                        "grade": grade_of(Decimal(r["idx"]), bands),
                        "previous_campaign": previous["code"] if previous else None,
                        "previous_rank": before,
                        "rank_change": None if before is None else before - rank,
                        "of": len(members),
                        "precision": precision,
                    }
                )
        return ranked

    # -- progress -----------------------------------------------------------------------

    def progress(self, campaign_code: str, now: datetime) -> dict[str, Any] | None:
        doc = self.campaign_doc(campaign_code)
        if doc is None:
            return None
        campaign = campaign_from_doc(doc)
        plan = campaign.plan
        phase = campaign.phase(now)
        deadlines = [
            {
                "milestone": name,
                "title": MILESTONE_TITLES[name],
                "at": plan.local(name).isoformat(),
                "seconds_left": int((plan[name] - now).total_seconds()),
                "passed": now >= plan[name],
            }
            for name in MILESTONES
        ]
        names = {u["code"]: u["name"] for u in self.units()}
        cards = self.summaries(campaign_code)
        units = [self._unit_progress(card, names, phase) for card in cards]
        # the council of this campaign: appraisers' grants in force that reach it (FORMATS §6)
        facts = RunningFacts(
            parents={u["code"]: u.get("parent") for u in self.units()},
            campaigns={campaign_code: facts_of_campaign(campaign)},
        )
        council = {
            key["key_id"]: grants
            for key in self.keys()
            if key["revoked_at"] is None
            and (
                grants := [
                    g
                    for g in grants_from_json(key["roles"])
                    if g.role == "appraiser" and reaches(g, facts.campaigns[campaign_code], facts)
                ]
            )
        }
        done = appraisals_done(
            self.views.rows(
                "SELECT unit, event_type, body FROM {pv_card_events} WHERE campaign = ?"
                f" AND event_type IN ({', '.join('?' for _ in ROUNDS)})",
                (campaign_code, *ROUNDS),
            )
        )
        # the council's members, and anyone who appraised in the campaign and is no longer
        appraisers = [
            appraiser_progress(
                key, council.get(key["key_id"], []), cards, phase, done.get(key["key_id"], {})
            )
            for key in self.keys()
            if key["key_id"] in council or key["key_id"] in done
        ]
        return {
            "campaign": campaign_code,
            "phase": phase,
            "phase_title": PHASE_TITLES[phase],
            "now": format_time(now),
            "deadlines": deadlines,
            "units": units,
            "appraisers": appraisers,
        }

    @staticmethod
    def _unit_progress(card: dict[str, Any], names: dict[str, str], phase: str) -> dict[str, Any]:
        state = "submitted" if card["submitted_at"] else "locked" if card["locked_at"] else "open"
        counts = (
            "leaves",
            "scored",
            "without_evidence",
            "unsupported",
            "preliminary_appraised",
            "contested",
            "final_appraised",
            "external_missing",
        )
        return {
            "unit": card["unit"],
            "name": names.get(card["unit"], card["unit"]),
            "unit_kind": card["unit_kind"],
            "state": state,
            "submitted_at": card["submitted_at"],
            "locked_at": card["locked_at"],
            **{name: card[name] for name in counts},
            "explanations_pending": card["unexplained"]
            if phase in ("preliminary_appraisal", "explanation")
            else 0,
            "accepted": card["accepted_at"] is not None,
        }

    # -- gaps and targets ---------------------------------------------------------------

    def gaps(self, campaign: str, unit: str) -> dict[str, Any] | None:
        """Leaves below their maximum, the points lost, grouped by the agency in charge,
        beside the targets recorded for next year."""
        card = self.scorecard(campaign, unit)
        if card is None:
            return None
        groups: dict[str, list[dict[str, Any]]] = {}
        for leaf in card["leaves"]:
            points = Decimal(leaf["points"]) if leaf["points"] is not None else Decimal(0)
            maximum = Decimal(leaf["max_points"])
            target = Decimal(leaf["target"]) if leaf["target"] is not None else None
            if points >= maximum and (target is None or target <= points):
                continue
            groups.setdefault(leaf["lead_agency"] or "(chưa giao cơ quan chủ trì)", []).append(
                {
                    "code": leaf["code"],
                    "title": leaf["title"],
                    "score_source": leaf["score_source"],
                    "max_points": leaf["max_points"],
                    "points": plain(points),
                    "lost": plain(maximum - points),
                    "target": None if target is None else plain(target),
                    "to_gain": None if target is None else plain(max(target - points, Decimal(0))),
                }
            )
        agencies: list[dict[str, Any]] = [
            {
                "agency": agency,
                "lost": plain(sum((Decimal(r["lost"]) for r in rows), Decimal(0))),
                "criteria": sorted(rows, key=lambda r: (-Decimal(r["lost"]), r["code"])),
            }
            for agency, rows in groups.items()
        ]
        agencies.sort(key=lambda a: (-Decimal(a["lost"]), a["agency"]))
        final = card["totals"]["final"]
        return {
            "campaign": campaign,
            "unit": unit,
            "total": final["total"],
            "max_total": final["max_total"],
            "index": final["index"],
            "lost": plain(sum((Decimal(a["lost"]) for a in agencies), Decimal(0))),
            "precision": card["precision"],
            "targets_year": card["targets_year"],
            "agencies": agencies,
        }
