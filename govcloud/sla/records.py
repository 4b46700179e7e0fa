"""What the incident and change records share: times written in ISO 8601 with their UTC offset read into
epoch milliseconds, record ids unique, systems known, and per-system interval sets merged."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from govcloud.errors import Issue
from govcloud.yamldoc import PathKey, YamlDocument, format_path

from .model import Interval, ms_of

#: the pattern the record schemas give a time; the semantic stage then reads it as a real instant
TIME_EXAMPLE = "2026-03-04T10:15:00+08:00"


def system_flags(systems: Any) -> dict[str, bool]:
    """Systems as ``id → important`` from what a caller has: such a mapping, ids alone (none important), objects
    with ``.id``/``.important`` (a systems file's entries) or mappings with those keys."""
    if systems is None:
        return {}
    if isinstance(systems, Mapping):
        if all(isinstance(v, bool) for v in systems.values()):
            return dict(systems)
        systems = systems.get("systems", ())
    if hasattr(systems, "systems"):
        systems = systems.systems
    out: dict[str, bool] = {}
    for s in systems:
        if isinstance(s, str):
            out[s] = False
        elif isinstance(s, Mapping):
            out[str(s["id"])] = bool(s.get("important", False))
        else:
            out[str(s.id)] = bool(getattr(s, "important", False))
    return out


def instant_ms(text: str | None) -> int | None:
    """A time the schema and ``Reader.time`` have passed, as epoch milliseconds (None stays None)."""
    return None if text is None else ms_of(datetime.fromisoformat(text))


class Reader:
    """Collects the semantic issues of one records document, in the words of ``govcloud.errors.Issue``."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.issues: list[Issue] = []

    @property
    def sorted_issues(self) -> list[Issue]:
        """The issues in the order of the file."""
        return sorted(self.issues, key=lambda i: (i.line or 0, i.path))

    def issue(self, path: PathKey, expected: str) -> None:
        self.issues.append(Issue(str(self.doc.file), format_path(path), expected, self.doc.line_of(path)))

    def time(self, path: PathKey, text: str | None) -> int | None:
        """``text`` as epoch milliseconds; an issue (and None) when it is no real instant or lacks its offset."""
        if text is None:
            return None
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            self.issue(path, f"expected a real time such as {TIME_EXAMPLE}, got {text!r}")
            return None
        if dt.tzinfo is None:
            self.issue(path, f"expected a time with its UTC offset such as {TIME_EXAMPLE}, got {text!r}")
            return None
        return ms_of(dt)

    def not_before(self, path: PathKey, ms: int | None, text: str | None, earlier: str, earlier_ms: int | None,
                   earlier_text: str | None) -> None:
        """An issue when the time at ``path`` comes before the one named ``earlier``."""
        if ms is not None and earlier_ms is not None and ms < earlier_ms:
            self.issue(path, f"expected a time not before {earlier} ({earlier_text}), got {text}")

    def unique_ids(self, section: str, records: list[dict[str, Any]]) -> None:
        seen: dict[str, int] = {}
        for i, r in enumerate(records):
            if r["id"] in seen:
                self.issue((section, i, "id"), f"expected a unique id; {r['id']!r} is also {section}[{seen[r['id']]}]")
            seen.setdefault(r["id"], i)

    def known_systems(self, path: PathKey, ids: Iterable[str], known: Mapping[str, bool] | None) -> None:
        if known is None:
            return
        names = ", ".join(sorted(known)) or "none known"
        for j, s in enumerate(ids):
            if s not in known:
                self.issue((*path, j), f"expected the id of a known system ({names}); {s!r} is not")


def merged(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping and touching intervals joined."""
    out: list[Interval] = []
    for iv in sorted(i for i in intervals if i.ms > 0):
        if out and iv.start_ms <= out[-1].end_ms:
            if iv.end_ms > out[-1].end_ms:
                out[-1] = Interval(out[-1].start_ms, iv.end_ms)
        else:
            out.append(iv)
    return out


def per_system(pairs: Iterable[tuple[str, Interval]], within: Interval | None = None) -> dict[str, list[Interval]]:
    """``(system, interval)`` pairs as merged intervals per system, clipped to ``within`` when given."""
    acc: dict[str, list[Interval]] = {}
    for system, iv in pairs:
        clipped = iv.clip(within) if within is not None else iv
        if clipped is not None and clipped.ms > 0:
            acc.setdefault(system, []).append(clipped)
    return {s: merged(ivs) for s, ivs in sorted(acc.items())}


def shift_months(d: date, months: int) -> date:
    """``d`` moved by whole calendar months, the day clamped to the month's last (Jan 31 + 1 → Feb 28/29)."""
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))
