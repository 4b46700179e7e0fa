"""Working days (工作日) on the Chinese State Council holiday calendar, make-up workdays included.

Article 12: resources within 30 working days of a unified work order; article 19: invoice
within 10 working days of a payment; articles 58 and 68 count natural days (天, 日).
A date outside the years the calendar knows is an error, never a guess.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar

from govcloud.errors import CalendarError


def known_years() -> tuple[int, int]:
    """First and last year the installed ``chinese-calendar`` has holiday data for."""
    years = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    return min(years), max(years)


def _check(day: date) -> None:
    first, last = known_years()
    if not first <= day.year <= last:
        raise CalendarError(
            f"{day.isoformat()}: the holiday calendar (chinese-calendar {_version()}) knows the years "
            f"{first}-{last} only; a working-day deadline outside them cannot be computed"
        )


def _version() -> str:
    return getattr(chinese_calendar, "__version__", "?")


def is_workday(day: date) -> bool:
    """True on a working day: weekdays that are not holidays, plus make-up workdays (调休上班)."""
    _check(day)
    return bool(chinese_calendar.is_workday(day))


def add_working_days(start: date, n: int) -> date:
    """The date of the ``n``-th working day after ``start`` (the start day itself not counted)."""
    if n < 1:
        raise ValueError("working days must be at least 1")
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        if is_workday(day):
            counted += 1
    return day


def add_natural_days(start: date, n: int) -> date:
    """``start`` + ``n`` calendar days (天, 日): holidays do not move it."""
    return start + timedelta(days=n)


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_workday(day):
            count += 1
    return count
