"""Numbers, dates and durations as Vietnamese readers write them: a decimal comma, dd/mm/yyyy,
HH:mm in the campaign's time zone, "Còn 3 ngày 4 giờ". The ledger's own strings are only
ever turned into these for display."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from ledger.core.canonical import parse_time
from ledger.domain.points import display

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


def _decimal(value: str | Decimal | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(value)
    except InvalidOperation:
        return None


def number(value: str | Decimal | None, precision: int = 2) -> str:
    """Points at the indicator set's places, with a decimal comma: "8,424", "1,50"; a
    missing value is a dash."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    return display(amount, precision).replace(".", ",")


def plain_number(value: str | Decimal | None) -> str:
    """A decimal as given, with a comma ("0.25" -> "0,25"); for steps and tier bounds."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    return f"{amount.normalize():f}".replace(".", ",")


def percent(value: str | Decimal | None, precision: int = 2) -> str:
    text = number(value, precision)
    return text if text == "—" else f"{text} %"


def _moment(value: str | datetime) -> datetime:
    return parse_time(value) if isinstance(value, str) else value


def local(value: str | datetime, timezone: str = DEFAULT_TIMEZONE) -> datetime:
    return _moment(value).astimezone(ZoneInfo(timezone))


def date(value: str | datetime | None, timezone: str = DEFAULT_TIMEZONE) -> str:
    if value is None:
        return "—"
    return f"{local(value, timezone):%d/%m/%Y}"


def date_time(value: str | datetime | None, timezone: str = DEFAULT_TIMEZONE) -> str:
    """ "17:00 ngày 30/12/2023" in the campaign's time zone."""
    if value is None:
        return "—"
    moment = local(value, timezone)
    return f"{moment:%H:%M} ngày {moment:%d/%m/%Y}"


def short_date_time(value: str | datetime | None, timezone: str = DEFAULT_TIMEZONE) -> str:
    """ "30/12/2023 17:00", for table cells."""
    if value is None:
        return "—"
    return f"{local(value, timezone):%d/%m/%Y %H:%M}"


def time_left(now: datetime, deadline: str | datetime) -> str:
    """ "Còn 3 ngày 4 giờ", "Còn 2 giờ 15 phút", "Còn 40 phút"; "Đã hết hạn" once passed."""
    seconds = int((_moment(deadline) - now).total_seconds())
    if seconds <= 0:
        return "Đã hết hạn"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"Còn {days} ngày {hours} giờ" if hours else f"Còn {days} ngày"
    if hours:
        return f"Còn {hours} giờ {minutes} phút" if minutes else f"Còn {hours} giờ"
    return f"Còn {max(minutes, 1)} phút"


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{Decimal(size) / 1024:.1f} KB".replace(".", ",")
    return f"{Decimal(size) / (1024 * 1024):.1f} MB".replace(".", ",")


def short_hash(value: str | None, length: int = 12) -> str:
    return "" if not value else f"{value[:length]}…"


def fingerprint(key_id: str) -> str:
    """The short fingerprint read aloud when a key is enrolled: the key id's first 16
    hexadecimal digits in groups of four ("1ddd c53b 5389 eabc")."""
    head = key_id[:16].upper()
    return " ".join(head[i : i + 4] for i in range(0, len(head), 4))
