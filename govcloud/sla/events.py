"""Annex 3 outage events from the share of systems down (articles 53-54).

The thresholds are the contract's (``incidents`` levels, events with ``share_of_systems_above_percent``,
``share_of_systems_up_to_percent``, ``min_duration_minutes``), not written here. For 2025095: A-level
``outage-platform-30pct``, more than 30% of systems down for 120 minutes or more; B-level
``outage-platform-10-30pct``, more than 10% up to 30% for 120 minutes or more.

Read as: an event of a level is a stretch where the share stays above the level's lower figure for at least its
minutes. A stretch of a level with an upper figure (B: up to 30%) is that level's event unless it overlaps an
event of a level that starts at or above that figure (A): 20% for three hours with a 40% spike of half an hour is
a B event; 40% for two hours is an A event and not also a B one.

An event belongs to the period in which it qualifies (its start plus its minutes), so a stretch across a month's
end is counted once. The share is over the systems govcloud knows (the systems file). Time excluded from the SLA
(approved maintenance; articles 60-61) is not down: events it alone makes are listed as excluded, not counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from govcloud.contract.model import Contract

from .model import MS_PER_MINUTE, Interval, Span
from .outages import ShareStep, share_down
from .systems import SystemsFile
from .timeline import per_system


@dataclass(frozen=True)
class EventRule:
    """One annex 3 outage event of the contract."""

    level: str
    event: str
    clause: str
    above: Fraction  # share strictly above this
    up_to: Fraction | None  # the level's upper figure, when it has one
    min_ms: int


def event_rules(contract: Contract) -> list[EventRule]:
    """The contract's outage events: those with a share of systems and a duration."""
    out = []
    for level in contract.incidents:
        for ev in level.events:
            t = dict(ev.thresholds)
            if "share_of_systems_above_percent" not in t or "min_duration_minutes" not in t:
                continue
            up = t.get("share_of_systems_up_to_percent")
            out.append(EventRule(level.level, ev.id, level.clause, Fraction(str(t["share_of_systems_above_percent"])) / 100,
                                 Fraction(str(up)) / 100 if up is not None else None,
                                 int(Fraction(str(t["min_duration_minutes"])) * MS_PER_MINUTE)))
    return out


@dataclass(frozen=True)
class Event:
    """An annex 3 event found in the monitoring: ``[start_ms, end_ms)`` with the share above the level's figure."""

    level: str
    event: str
    clause: str
    start_ms: int
    end_ms: int
    peak: Fraction  # the highest share of systems down during it
    systems: tuple[str, ...]  # every system down at some moment of it
    min_ms: int
    ongoing: bool = False  # still above the figure where the data read ends
    excluded_by: str = ""  # for an excluded event: maintenance | exclusion (articles 60-61)

    @property
    def interval(self) -> Interval:
        return Interval(self.start_ms, self.end_ms)

    @property
    def qualified_ms(self) -> int:
        """When it became an event: its start plus the contract's minutes."""
        return self.start_ms + self.min_ms

    @property
    def minutes(self) -> Fraction:
        return Fraction(self.end_ms - self.start_ms, MS_PER_MINUTE)

    @property
    def share(self) -> str:
        """The peak share, e.g. ``40.0%``."""
        pct = self.peak * 100
        tenths = (pct * 10).numerator // (pct * 10).denominator
        return f"{tenths // 10}.{tenths % 10}%"


def _stretches(steps: Sequence[ShareStep], above: Fraction) -> list[list[ShareStep]]:
    out: list[list[ShareStep]] = []
    for st in steps:
        if st.share > above:
            if out and out[-1][-1].interval.end_ms == st.interval.start_ms:
                out[-1].append(st)
                continue
            out.append([st])
    return out


def find_events(steps: Sequence[ShareStep], rules: Sequence[EventRule], *, within: Interval | None = None,
                data_end_ms: int | None = None) -> list[Event]:
    """The events of ``steps`` (see the module docstring); with ``within``, those that qualify in it. A stretch
    reaching ``data_end_ms`` (default: the end of the last step) is ``ongoing``."""
    end = data_end_ms if data_end_ms is not None else (steps[-1].interval.end_ms if steps else 0)
    found: dict[EventRule, list[Event]] = {}
    for r in rules:
        evs = []
        for run in _stretches(steps, r.above):
            a, b = run[0].interval.start_ms, run[-1].interval.end_ms
            if b - a < r.min_ms:
                continue
            systems = tuple(sorted({s for st in run for s in st.down}))
            evs.append(Event(r.level, r.event, r.clause, a, b, max(st.share for st in run), systems, r.min_ms,
                             ongoing=b >= end))
        found[r] = evs
    out = []
    for r, evs in found.items():
        graver = [e for r2, e2 in found.items() if r.up_to is not None and r2.above >= r.up_to for e in e2]
        out += [e for e in evs if not any(e.interval.overlap(g.interval) > 0 for g in graver)]
    if within is not None:
        out = [e for e in out if within.start_ms <= e.qualified_ms < within.end_ms]
    return sorted(out, key=lambda e: (e.start_ms, e.level))


@dataclass(frozen=True)
class Annex3:
    """The period's events: those that count, and those only excluded time made (listed, not counted)."""

    counted: tuple[Event, ...]
    excluded: tuple[Event, ...]
    systems: int  # the share is over this many systems (the systems govcloud knows)

    def of_level(self, level: str) -> tuple[Event, ...]:
        return tuple(e for e in self.counted if e.level == level)


def annex3_events(contract: Contract, systems: SystemsFile, timelines: Mapping[str, Sequence[Span]],
                  read: Interval, period: Interval, *,
                  maintenance: Mapping[str, Iterable[Interval]] | Iterable[Interval] | None = None,
                  exclusions: Mapping[str, Iterable[Interval]] | Iterable[Interval] | None = None) -> Annex3:
    """The outage events that qualify in ``period``, from timelines over ``read`` (the period and at least the
    longest event's minutes before it, so an event that began in the previous month is seen whole).

    Counted: with approved maintenance and articles 60-61 exclusions taken out. Excluded: an event found when
    one of them is left in, with no counted event of its level overlapping it; ``excluded_by`` says which."""
    rules = event_rules(contract)
    ids = systems.ids

    def events(*masks: Mapping[str, Iterable[Interval]] | Iterable[Interval] | None) -> list[Event]:
        merged: dict[str, list[Interval]] = {s: [] for s in ids}
        for m in masks:
            for s, ivs in per_system(m, ids).items():
                merged[s] += ivs
        steps = share_down(systems, timelines, read, excluded=merged)
        return find_events(steps, rules, within=period, data_end_ms=read.end_ms)

    counted = events(maintenance, exclusions)
    only_maint = events(maintenance)
    raw = events()

    def new(evs: list[Event], seen: list[Event]) -> list[Event]:
        return [e for e in evs if not any(c.level == e.level and c.interval.overlap(e.interval) > 0 for c in seen)]

    by_excl = [_tag(e, "exclusion") for e in new(only_maint, counted)]
    by_maint = [_tag(e, "maintenance") for e in new(raw, counted + only_maint)]
    return Annex3(tuple(counted), tuple(sorted(by_excl + by_maint, key=lambda e: e.start_ms)), len(ids))


def _tag(e: Event, why: str) -> Event:
    return replace(e, excluded_by=why)
