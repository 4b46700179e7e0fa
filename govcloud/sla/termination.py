"""Termination triggers (articles 53-54): N events of an annex 3 level within any window of M calendar months,
both figures read from the contract's ``incidents`` levels (A: 1 in 12, B: 3 in 12).

An event is anything with ``level`` ("A"/"B") and a start (``start_ms`` or ``interval.start_ms``): the month's
events from the monitoring, earlier months' from the history, the core data-loss events of the incident
records. Windows are calendar months in Asia/Shanghai: an event on 2026-03-15 and one before 2027-03-15
(local time) fall in one window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from govcloud.contract.model import Contract, IncidentLevel

from .model import Interval, ms_of
from .records import shift_months

TZ = ZoneInfo("Asia/Shanghai")


def start_of(event: Any) -> int:
    """An event's start in epoch milliseconds, from ``start_ms`` or ``interval.start_ms``."""
    if getattr(event, "start_ms", None) is not None:
        return int(event.start_ms)
    return int(event.interval.start_ms)


def level_of(event: Any) -> str:
    return str(getattr(event, "level", "")).upper()


def months_later(ms: int, months: int) -> int:
    """The same local wall time ``months`` calendar months later in Asia/Shanghai."""
    dt = datetime.fromtimestamp(ms / 1000, TZ)
    d = shift_months(dt.date(), months)
    return ms_of(dt.replace(year=d.year, month=d.month, day=d.day))


@dataclass(frozen=True)
class Trigger:
    """A termination right: ``count`` events of ``level`` within ``[window.start, window.end)``."""

    level: str
    clause: str
    needed: int
    window_months: int
    events: tuple[Any, ...]
    window: Interval

    @property
    def reached_ms(self) -> int:
        """When the right arose: the start of the event that completed the count."""
        return start_of(self.events[-1])


def _level_triggers(level: IncidentLevel, events: list[Any]) -> list[Trigger]:
    ev = sorted((e for e in events if level_of(e) == level.level.upper()), key=start_of)
    n = level.termination_after
    out = []
    for i in range(len(ev) - n + 1):
        first = start_of(ev[i])
        end = months_later(first, level.window_months)
        if start_of(ev[i + n - 1]) < end:
            out.append(Trigger(level.level, level.clause, n, level.window_months, tuple(ev[i:i + n]),
                               Interval(first, end)))
    return out


def triggers(contract: Contract, events: Iterable[Any], within: Interval | None = None) -> list[Trigger]:
    """Every window in which a level's count is reached (one per first event of such a window); with ``within``,
    only those whose completing event falls in it (the right that arose in the period judged)."""
    events = list(events)
    out = [t for level in contract.incidents for t in _level_triggers(level, events)]
    if within is not None:
        out = [t for t in out if within.start_ms <= t.reached_ms < within.end_ms]
    return out
