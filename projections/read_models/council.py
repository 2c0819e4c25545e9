"""The council's progress in a campaign: per appraiser, the appraisals done in each round
(from the scorecards' events, by the key that signed them) and those still to do."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ledger.domain.keyring import Grant

ROUNDS = {
    "AppraisalRecorded": "preliminary",
    "AppraisalConfirmed": "final",
    "AppraisalRevised": "final",
}


def appraisals_done(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Per key id, the leaves (unit, criterion) it appraised in each round; a leaf
    appraised again in the same round counts once. ``rows`` are rows of pv_card_events."""
    leaves: dict[str, dict[str, set[tuple[str, str]]]] = {}
    for row in rows:
        found = ROUNDS.get(row["event_type"])
        if found is None:
            continue
        body = json.loads(row["body"])
        rounds = leaves.setdefault(body["by"], {"preliminary": set(), "final": set()})
        rounds[found].add((row["unit"], body["criterion"]))
    return {key: {r: len(done) for r, done in rounds.items()} for key, rounds in leaves.items()}


def appraiser_progress(
    key: Mapping[str, Any],
    grants: list[Grant],
    cards: list[dict[str, Any]],
    phase: str,
    done: Mapping[str, int],
) -> dict[str, Any]:
    """What an appraiser did and can still do: preliminary appraisals until that round
    closes, final appraisals of contested criteria until the final round closes."""

    def mine(codes: list[str]) -> list[str]:
        return [code for code in codes if any(g.covers(code) for g in grants)]

    units: dict[str, int] = {}
    preliminary = final = 0
    for card in cards:
        if not (card["submitted_at"] or card["locked_at"]):
            continue
        if phase in ("planned", "self_assessment", "preliminary_appraisal"):
            waiting = mine(card["pending_preliminary"])
            if waiting:
                units[card["unit"]] = len(waiting)
            preliminary += len(waiting)
        if phase not in ("closing", "finalised"):
            final += len(mine(card["pending_final"]))
    return {
        "key_id": key["key_id"],
        "name": key["name"],
        "title": key["title"],
        "scope": sorted({c for g in grants for c in g.scope}),
        "done_preliminary": done.get("preliminary", 0),
        "remaining_preliminary": preliminary,
        "done_final": done.get("final", 0),
        "remaining_final": final,
        "units_waiting": units,
    }
