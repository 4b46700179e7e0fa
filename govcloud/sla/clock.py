"""Calendar periods in Asia/Shanghai as half-open millisecond intervals ``[start_ms, end_ms)``.

Article 6 names no period for its 99.99%: the report judges the calendar month (Beijing time) and reports the
quarter and the term beside it. A calendar month is not ``[30d]``: 2026-02 has 28 days, 2026-03 has 31, and
each starts at 16:00 UTC of the day before (Asia/Shanghai is UTC+8 all year, no daylight saving).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from govcloud.errors import GovcloudError

from .model import MS_PER_MINUTE, Interval, ms_of

TZ = ZoneInfo("Asia/Shanghai")
MS_PER_DAY = 86_400_000

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-?Q([1-4])", re.IGNORECASE)


class PeriodError(GovcloudError, ValueError):
    """A period written wrongly (``--month 2026-13``). A ValueError too, so argparse types can raise it."""


@dataclass(frozen=True, order=True)
class Period:
    """``[start_ms, end_ms)`` with a label: ``2026-03``, ``2026-Q1``, ``term 2025-06-01..2026-05-31``."""

    start_ms: int
    end_ms: int
    label: str

    def __post_init__(self) -> None:
        if self.end_ms < self.start_ms:
            raise PeriodError(f"period {self.label!r} ends before it starts")

    @property
    def interval(self) -> Interval:
        return Interval(self.start_ms, self.end_ms)

    @property
    def ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def minutes(self) -> int:
        """Whole minutes, rounded down (a calendar period is whole minutes; a month's part up to now may not be)."""
        return self.ms // MS_PER_MINUTE

    def contains(self, ms: int) -> bool:
        return self.start_ms <= ms < self.end_ms


def midnight_ms(day: date) -> int:
    """00:00 Beijing time of ``day`` as epoch milliseconds (16:00 UTC of the day before)."""
    return ms_of(datetime.combine(day, time(0), tzinfo=TZ))


def local_date(ms: int) -> date:
    """The Beijing calendar day an instant falls on."""
    return datetime.fromtimestamp(ms / 1000, TZ).date()


def local_iso(ms: int) -> str:
    """An instant in Beijing time, ``2026-03-01T00:00:00+08:00``."""
    dt = datetime.fromtimestamp(ms // 1000, TZ) + timedelta(milliseconds=ms % 1000)
    return dt.isoformat(timespec="seconds" if ms % 1000 == 0 else "milliseconds")


def _next_month(year: int, mon: int) -> tuple[int, int]:
    return (year + 1, 1) if mon == 12 else (year, mon + 1)


def month(text: str) -> Period:
    """``"2026-03"`` → the calendar month in Beijing time; anything else is a ``PeriodError`` saying what was
    expected."""
    m = _MONTH.fullmatch(str(text).strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1971:
        raise PeriodError(f"expected a calendar month as YYYY-MM (e.g. 2026-03), got {text!r}")
    y, mo = int(m.group(1)), int(m.group(2))
    return Period(midnight_ms(date(y, mo, 1)), midnight_ms(date(*_next_month(y, mo), 1)), f"{y:04d}-{mo:02d}")


def month_of(ms: int) -> Period:
    """The calendar month (Beijing time) an instant falls in."""
    d = local_date(ms)
    return month(f"{d.year:04d}-{d.month:02d}")


def quarter(text: str) -> Period:
    """``"2026-Q1"`` (or ``2026Q1``) → January to March 2026, Beijing time."""
    m = _QUARTER.fullmatch(str(text).strip())
    if not m or int(m.group(1)) < 1971:
        raise PeriodError(f"expected a calendar quarter as YYYY-QN (e.g. 2026-Q1), got {text!r}")
    y, q = int(m.group(1)), int(m.group(2))
    first = date(y, 3 * q - 2, 1)
    end = date(*_next_month(y, 3 * q), 1)
    return Period(midnight_ms(first), midnight_ms(end), f"{y:04d}-Q{q}")


def quarter_of(ms: int) -> Period:
    """The calendar quarter (Beijing time) an instant falls in."""
    d = local_date(ms)
    return quarter(f"{d.year:04d}-Q{(d.month - 1) // 3 + 1}")


def term(contract: object) -> Period:
    """The contract's term (article 13: both end days included) as ``[start 00:00, day after end 00:00)``."""
    t = getattr(contract, "term", contract)
    start, end = t.start, t.end  # type: ignore[attr-defined]
    return Period(midnight_ms(start), midnight_ms(end + timedelta(days=1)), f"term {start}..{end}")


def days(period: Period | Interval) -> list[Period]:
    """The Beijing days of a period, each ``[00:00, next 00:00)`` clipped to the period, labelled
    ``2026-03-01``. A period that does not start at midnight gives a shorter first (or last) day."""
    out: list[Period] = []
    s, e = period.start_ms, period.end_ms
    while s < e:
        d = local_date(s)
        nxt = min(midnight_ms(d + timedelta(days=1)), e)
        out.append(Period(s, nxt, d.isoformat()))
        s = nxt
    return out


def _split(period: Period | Interval, of: Callable[[int], Period]) -> list[Period]:
    """``period`` cut at the ends of the periods ``of(ms)`` gives (the one holding ``ms``), each clipped to it."""
    out: list[Period] = []
    s, e = period.start_ms, period.end_ms
    while s < e:
        whole = of(s)
        out.append(Period(s, min(whole.end_ms, e), whole.label))
        s = min(whole.end_ms, e)
    return out


def months(period: Period | Interval) -> list[Period]:
    """The calendar months a period touches, each clipped to it (a term from 2025-06-01 gives 12 whole months)."""
    return _split(period, month_of)


def quarters(period: Period | Interval) -> list[Period]:
    """The calendar quarters a period touches, each clipped to it."""
    return _split(period, quarter_of)
