"""govcloud's own monthly results (``schemas/sla-history.schema.json``): per calendar month the annex 3 events
found and, when recorded, the month's figures.

Articles 53-54 count events in any 12 months (A: one; B: three). A month's report reads the earlier months'
events from here, so the rolling count needs no year of raw samples, and the term's figures add up the months'
milliseconds. The windows and counts are ``termination``'s (one owner per rule); this module only keeps the
record and says where each level stands at a month's end.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from govcloud.contract.model import Contract
from govcloud.errors import InputError
from govcloud.jsondoc import json_issues, load_json
from govcloud.schemas import check_output

from .availability import PLATFORM, Availability, PeriodAvailability, summed, target_of
from .clock import Period, local_iso, month
from .model import ms_of
from .termination import Trigger, level_of, months_later, start_of, triggers

SCHEMA = "sla-history.schema.json"
KIND = "govcloud/sla-history"
FIGURES = ("period_ms", "up_ms", "down_ms", "unknown_ms", "excluded_ms", "maintenance_ms", "exclusion_ms")


@dataclass(frozen=True)
class HistoryEvent:
    """An annex 3 event as the history keeps it."""

    month: str
    level: str
    event: str
    start_ms: int
    end_ms: int | None = None
    share: str | None = None
    systems: tuple[str, ...] = ()
    source: str = "monitoring"


@dataclass(frozen=True)
class HistoryMonth:
    label: str
    events: tuple[HistoryEvent, ...] = ()
    verdict: str | None = None
    availability: str | None = None
    coverage: str | None = None
    systems: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    platform: Mapping[str, int] | None = None
    recorded: str | None = None


@dataclass(frozen=True)
class History:
    path: Path | None
    months: Mapping[str, HistoryMonth]
    contract: str = ""

    @property
    def events(self) -> tuple[HistoryEvent, ...]:
        """Every event of every month, oldest first."""
        return tuple(sorted((e for m in self.months.values() for e in m.events), key=lambda e: e.start_ms))

    def before(self, period: Period) -> tuple[HistoryEvent, ...]:
        """The events of the months before ``period`` (its own month's are the report's)."""
        return tuple(e for e in self.events if month(e.month).start_ms < period.start_ms)

    def record(self, period: Period, events: Iterable[Any], result: PeriodAvailability | None = None, *,
               recorded_ms: int | None = None) -> History:
        """A new history with ``period``'s month written (replacing what it held): its events (anything with
        ``level``, ``event``/``id`` and a start) and, with ``result``, its figures."""
        evs = tuple(_history_event(period.label, e) for e in events)
        m = HistoryMonth(period.label, evs)
        if result is not None:
            m = HistoryMonth(period.label, evs, result.platform.verdict, result.platform.availability,
                             result.platform.coverage, {r.system: _figures(r) for r in result.systems},
                             _figures(result.platform), local_iso(recorded_ms) if recorded_ms is not None else None)
        months = dict(self.months)
        months[period.label] = m
        return History(self.path, dict(sorted(months.items())), self.contract)

    def figures(self, system: str, periods: Iterable[Period], target: Any) -> Availability | None:
        """A system's (or the platform's, ``availability.PLATFORM``) figures added up over the recorded months among ``periods`` (e.g. the
        term's); None when none of them is recorded."""
        rows = []
        for p in periods:
            m = self.months.get(p.label)
            fig = None if m is None else (m.platform if system == PLATFORM else m.systems.get(system))
            if fig:
                rows.append(Availability(system, p.label, fig["period_ms"], fig["up_ms"], fig["down_ms"],
                                         fig["unknown_ms"], fig["excluded_ms"], target_of(target),
                                         fig.get("maintenance_ms", 0), fig.get("exclusion_ms", 0)))
        return summed(rows, ", ".join(r.period for r in rows)) if rows else None

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"kind": KIND, "version": 1}
        if self.contract:
            doc["contract"] = self.contract
        doc["months"] = {label: _month_json(m) for label, m in sorted(self.months.items())}
        return doc


def _figures(r: Availability) -> dict[str, int]:
    return {"period_ms": r.period_ms, "up_ms": r.up_ms, "down_ms": r.down_ms, "unknown_ms": r.unknown_ms,
            "excluded_ms": r.excluded_ms, "maintenance_ms": r.maintenance_ms, "exclusion_ms": r.exclusion_ms}


def _history_event(label: str, e: Any) -> HistoryEvent:
    if isinstance(e, HistoryEvent):
        return HistoryEvent(label, e.level, e.event, e.start_ms, e.end_ms, e.share, e.systems, e.source)
    end = getattr(e, "end_ms", None)
    if end is None and getattr(e, "interval", None) is not None:
        end = e.interval.end_ms
    share = getattr(e, "share", None)
    inc = getattr(e, "incident", None)
    return HistoryEvent(label, level_of(e), str(getattr(e, "event", None) or getattr(e, "id", "")), start_of(e),
                        end, str(share) if share is not None else None, tuple(getattr(e, "systems", ()) or ()),
                        f"incident {inc.id}" if inc is not None else "monitoring")


def _month_json(m: HistoryMonth) -> dict[str, Any]:
    out: dict[str, Any] = {"events": []}
    for e in m.events:
        ev: dict[str, Any] = {"level": e.level, "event": e.event, "start": local_iso(e.start_ms)}
        if e.end_ms is not None:
            ev["end"] = local_iso(e.end_ms)
        if e.share is not None:
            ev["share"] = e.share
        if e.systems:
            ev["systems"] = list(e.systems)
        ev["source"] = e.source
        out["events"].append(ev)
    for k in ("verdict", "availability", "coverage"):
        if getattr(m, k) is not None:
            out[k] = getattr(m, k)
    if m.systems:
        out["systems"] = {s: dict(f) for s, f in sorted(m.systems.items())}
    if m.platform:
        out["platform"] = dict(m.platform)
    if m.recorded:
        out["recorded"] = m.recorded
    return out


def _ms(text: str, path: Path, where: str) -> int:
    try:
        dt = datetime.fromisoformat(text)
        return ms_of(dt)
    except ValueError:
        raise InputError.one(path, where, f"expected a real time such as 2026-03-08T01:00:00+08:00, got {text!r}") from None


def load_history(path: str | Path, *, missing_ok: bool = False) -> History:
    """Read a history file (an absent one is an empty history with ``missing_ok``, for the first month)."""
    path = Path(path)
    if not path.exists():
        if missing_ok:
            return History(path, {})
        raise InputError.one(path, "", "history file not found")
    data = load_json(path)
    issues = json_issues(path, data, SCHEMA)
    if issues:
        raise InputError(issues)
    months = {}
    for label, m in sorted(data["months"].items()):
        evs = tuple(
            HistoryEvent(label, e["level"], e["event"], _ms(e["start"], path, f"months.{label}.events[{i}].start"),
                         _ms(e["end"], path, f"months.{label}.events[{i}].end") if "end" in e else None,
                         e.get("share"), tuple(e.get("systems", ())), e.get("source", "monitoring"))
            for i, e in enumerate(m["events"]))
        months[label] = HistoryMonth(label, evs, m.get("verdict"), m.get("availability"), m.get("coverage"),
                                     {s: {k: int(v) for k, v in f.items()} for s, f in m.get("systems", {}).items()},
                                     {k: int(v) for k, v in m["platform"].items()} if "platform" in m else None,
                                     m.get("recorded"))
    return History(path, months, data.get("contract", ""))


def write_history(history: History, path: str | Path | None = None) -> Path:
    """Write the history (validated against its schema) to ``path`` or where it was read, atomically."""
    target = Path(path) if path is not None else history.path
    if target is None:
        raise ValueError("no path to write the history to")
    doc = history.as_json()
    check_output(doc, SCHEMA)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(target)
    return target


# ---------------------------------------------------------------------------------- articles 53-54
@dataclass(frozen=True)
class LevelStanding:
    """Where one annex 3 level stands at ``at_ms``: the events within its window of months ending there."""

    level: str
    clause: str
    needed: int  # events that give the right to terminate
    window_months: int
    at_ms: int
    events: tuple[Any, ...]  # those counted in the window ending at ``at_ms``
    triggers: tuple[Trigger, ...]  # the rights that arose in the period judged

    @property
    def count(self) -> int:
        return len(self.events)

    @property
    def reached(self) -> bool:
        return self.count >= self.needed or bool(self.triggers)


def rolling(events: Iterable[Any], level: str, window_months: int, at_ms: int) -> list[Any]:
    """The ``level`` events that started at or before ``at_ms`` and whose window of ``window_months`` (from their
    start, as ``termination`` opens windows) still holds ``at_ms``."""
    return sorted((e for e in events if level_of(e) == level.upper()
                   and start_of(e) <= at_ms < months_later(start_of(e), window_months)), key=start_of)


def standing(contract: Contract, history: History, events: Iterable[Any], period: Period) -> list[LevelStanding]:
    """Per annex 3 level of the contract: the events in the rolling window at the end of ``period`` (earlier
    months from ``history``, the period's own ``events``), and the termination rights that arose in it
    (``termination.triggers``)."""
    all_events = [*history.before(period), *events]
    at = period.end_ms - 1
    trig = triggers(contract, all_events, period.interval)
    return [LevelStanding(lv.level, lv.clause, lv.termination_after, lv.window_months, at,
                          tuple(rolling(all_events, lv.level, lv.window_months, at)),
                          tuple(t for t in trig if t.level == lv.level))
            for lv in contract.incidents]
