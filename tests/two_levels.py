"""Two levels on one ledger: a province P with districts D1, D2 and a department S1, and
communes X1, X2 (of D1) and X3 (of D2); the province's campaign and the districts' commune
campaigns, each with its own secretariat, survey body, publisher and council, all appointed
by authority (and year) or by campaign (docs/FORMATS.md §6). Built through any sender: the
ledger itself (tests.world) or the HTTP API (tests.e2e.http_support)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledger.core.crypto import SigningKey
from tests.world import schedule

Send = Callable[[SigningKey, str, dict[str, Any]], Any]
Enrol = Callable[[str, list[dict[str, Any]]], SigningKey]

# code -> (kind, parent); D1, D2 and S1 are registered by tests.world without a parent
UNITS: dict[str, tuple[str, str | None]] = {
    "P": ("province", None),
    "D1": ("district", "P"),
    "D2": ("district", "P"),
    "S1": ("department", "P"),
    "X1": ("commune", "D1"),
    "X2": ("commune", "D1"),
    "X3": ("commune", "D2"),
}


def _authority(role: str, unit: str, year: int | None = None, **more: Any) -> dict[str, Any]:
    grant: dict[str, Any] = {"role": role, "authority": unit, **more}
    if year is not None:
        grant["year"] = year
    return grant


GRANTS: dict[str, list[dict[str, Any]]] = {
    **{f"sec_{u}": [_authority("secretariat", u)] for u in ("P", "D1", "D2")},
    "sec_D1_2024": [_authority("secretariat", "D1", 2024)],
    **{f"survey_{u}": [_authority("survey_body", u)] for u in ("P", "D1", "D2")},
    "survey_D1_2024": [_authority("survey_body", "D1", 2024)],
    **{f"pub_{u}": [_authority("publisher", u)] for u in ("P", "D1", "D2")},
    "pub_D1_2024": [_authority("publisher", "D1", 2024)],
    **{f"inspector_{u}": [_authority("inspector", u)] for u in ("P", "D1", "D2")},
    # the district D1's council for 2023: one member by authority and year, one by campaign
    "council_a": [_authority("appraiser", "D1", 2023, scope=["1"])],
    "council_b": [{"role": "appraiser", "scope": ["1", "2"], "campaigns": ["D1-2023"]}],
    "council_D2": [_authority("appraiser", "D2", 2023, scope=["1"])],
    "council_D1_2024": [_authority("appraiser", "D1", 2024, scope=["1"])],
    "council_D1_camp2024": [{"role": "appraiser", "scope": ["1"], "campaigns": ["D1-2024"]}],
    "council_P": [_authority("appraiser", "P", 2023, scope=["1"])],
    **{f"staff_{u}": [{"role": "unit_staff", "scope": [u]}] for u in ("X1", "X2", "D1")},
    **{f"head_{u}": [{"role": "unit_head", "scope": [u]}] for u in ("X1", "X2", "D1")},
}
BONUS = [{"code": "T1", "title": "Sáng kiến", "kind": "bonus", "cap": "1"}]


def campaign_args(code: str, owner: str, year: int, units: list[str]) -> dict[str, Any]:
    return {
        "code": code,
        "year": year,
        "title": f"Kỳ đánh giá {code}",
        "indicator_set": "T-SET",
        "indicator_set_version": 1,
        "units": units,
        "owner": owner,
        "schedule": schedule(),
        "adjustments": BONUS,
        "grade_bands": [{"min": "50", "grade": "Tốt"}, {"min": "0", "grade": "Khá"}],
    }


CAMPAIGNS = {
    "P-2023": campaign_args("P-2023", "P", 2023, ["D1", "D2", "S1"]),
    "D1-2023": campaign_args("D1-2023", "D1", 2023, ["X1", "X2"]),
    "D2-2023": campaign_args("D2-2023", "D2", 2023, ["X3"]),
    "D1-2024": campaign_args("D1-2024", "D1", 2024, ["X1"]),
}
CREATED_BY = {"P-2023": "sec_P", "D1-2023": "sec_D1", "D2-2023": "sec_D2", "D1-2024": "sec_D1"}


def build_units_and_keys(
    send: Send, enrol: Enrol, admin: SigningKey, *, registered: tuple[str, ...] = ()
) -> dict[str, SigningKey]:
    """The units in their hierarchy (those in ``registered`` updated to it), and a key for
    every name of GRANTS."""
    for code, (kind, parent) in UNITS.items():
        args: dict[str, Any] = {"code": code, "name": f"Đơn vị {code}", "kind": kind}
        if parent is not None:
            args["parent"] = parent
        send(admin, "update_unit" if code in registered else "register_unit", args)
    return {name: enrol(name, grants) for name, grants in GRANTS.items()}


def create_campaigns(send: Send, keys: dict[str, SigningKey]) -> None:
    for code, args in CAMPAIGNS.items():
        send(keys[CREATED_BY[code]], "create_campaign", args)
