"""How documents write things for Vietnamese officials: numbers with a decimal comma at the
set's places, dates in the administrative form, roman numerals for areas, short hashes,
and the issuing body and place of the heading."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from api.documents.model import Issuer
from ledger.core.canonical import parse_time
from ledger.domain.points import display

ROMAN = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)
# the people's committee is written in full in a heading (Nghị định 30/2020, Phụ lục I)
COMMITTEE = "ỦY BAN NHÂN DÂN"
_COMMITTEE_SHORT = re.compile(r"^(UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+", re.IGNORECASE)
_PLACE_PREFIX = re.compile(
    r"^(thành phố|tỉnh|quận|huyện|thị xã|xã|phường|thị trấn)\s+", re.IGNORECASE
)
MINISTRY_OF_HOME_AFFAIRS = "BỘ NỘI VỤ"
CAPITAL = "Hà Nội"


def number(value: Decimal | str | None, precision: int) -> str:
    """Points or a percentage for people: the set's places, trailing zeros dropped down to
    two, decimal comma (8,424; 88,54; 100,00)."""
    if value is None:
        return ""
    return display(Decimal(value), precision).replace(".", ",")


def roman(value: int) -> str:
    text = ""
    for amount, letters in ROMAN:
        while value >= amount:
            text += letters
            value -= amount
    return text


def short_hash(sha256: str) -> str:
    return sha256[:8]


def local_time(text: str | None, timezone: str) -> datetime | None:
    return None if text is None else parse_time(text).astimezone(ZoneInfo(timezone))


def date_words(moment: datetime) -> str:
    """ "ngày 02 tháng 4 năm 2024": days below 10 and the months January and February take a
    leading zero, as the decree writes them."""
    month = f"{moment.month:02d}" if moment.month < 3 else str(moment.month)
    return f"ngày {moment.day:02d} tháng {month} năm {moment.year}"


def date_time(text: str | None, timezone: str) -> str:
    """dd/mm/yyyy HH:mm in the campaign's time zone."""
    moment = local_time(text, timezone)
    return "" if moment is None else moment.strftime("%H:%M ngày %d/%m/%Y")


def place_of(name: str) -> str:
    """The place a body's name names: "UBND Thành phố Hà Nội" -> "Hà Nội"."""
    rest = _COMMITTEE_SHORT.sub("", name.strip())
    return _PLACE_PREFIX.sub("", rest).strip() or rest


def _upper(name: str) -> str:
    """The body above, in capitals; a people's committee keeps its short form (UBND)."""
    return _COMMITTEE_SHORT.sub("UBND ", name.strip()).upper()


def unit_issuer(unit: Mapping[str, Any], parent: Mapping[str, Any] | None) -> Issuer:
    """The heading of a unit's own document: a people's committee as ỦY BAN NHÂN DÂN over
    its place, any other body under the body it belongs to."""
    name = str(unit["name"])
    if _COMMITTEE_SHORT.match(name):
        return Issuer(COMMITTEE, _COMMITTEE_SHORT.sub("", name).upper(), place_of(name))
    above = "" if parent is None else _upper(str(parent["name"]))
    place = place_of(str(parent["name"])) if parent is not None else place_of(name)
    return Issuer(above, name.upper(), place)


def authority_of(
    units: Iterable[Mapping[str, Any]], registry: Mapping[str, Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """The body that runs a campaign: the unit every unit of the campaign belongs to, or
    None (provinces and ministries are scored by the Ministry of Home Affairs)."""
    parents = {u.get("parent") for u in units}
    if len(parents) == 1:
        code = parents.pop()
        if code is not None:
            return registry.get(str(code))
    return None


def authority_issuer(authority: Mapping[str, Any] | None, body: str = "") -> Issuer:
    """The heading of a campaign's document: the authority itself, or ``body`` (the
    appraisal council) under it."""
    if authority is None:
        if body:
            return Issuer(MINISTRY_OF_HOME_AFFAIRS, body, CAPITAL)
        return Issuer("", MINISTRY_OF_HOME_AFFAIRS, CAPITAL)
    name = str(authority["name"])
    if body:
        return Issuer(_upper(name), body, place_of(name))
    if _COMMITTEE_SHORT.match(name):
        return Issuer(COMMITTEE, _COMMITTEE_SHORT.sub("", name).upper(), place_of(name))
    return Issuer("", name.upper(), place_of(name))


FORMS = {
    "department": "Mẫu 02",
    "ministry": "Mẫu 02",
    "province": "Mẫu 02",
    "district": "Mẫu 03",
    "commune": "Mẫu 04",
}


def form_of(unit_kind: str) -> str:
    """The scoring table's form number for a kind of unit (ADR 9)."""
    return FORMS.get(unit_kind, "Mẫu 02")


def sheet_name(text: str) -> str:
    """A worksheet name: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "-", text)[:31]
