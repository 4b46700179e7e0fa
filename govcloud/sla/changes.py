"""Change records and their maintenance windows (``schemas/sla-changes.schema.json``).

Article 6 names no maintenance allowance: downtime is left out of availability only inside the window of a
change the court approved, by a named person, before the window began. Every other window excludes nothing
and is listed with its reason (not approved, no approver or time recorded, approved after it began).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govcloud.errors import InputError, Issue
from govcloud.schemas import load_checked
from govcloud.yamldoc import YamlDocument

from .clock import local_iso
from .model import Interval
from .records import Reader, instant_ms, per_system, system_flags

SCHEMA = "sla-changes.schema.json"


@dataclass(frozen=True)
class Approval:
    by: str
    at_ms: int | None  # None: not recorded
    reference: str = ""


@dataclass(frozen=True)
class Change:
    """One change: its window ``[start, end)`` on its systems, and its approval as recorded."""

    id: str
    systems: tuple[str, ...]
    window: Interval
    change: str
    approved: bool  # what the record says
    approval: Approval | None  # who and when, when recorded
    written: dict[str, str]
    notes: str = ""
    line: int | None = None

    @property
    def refused(self) -> str | None:
        """Why the window excludes nothing; None when it is an approved window."""
        if not self.approved:
            return "not approved (approved: false)"
        if self.approval is None or not self.approval.by:
            return "approved: true, but no approver (approved_by) recorded"
        if self.approval.at_ms is None:
            return "approved: true, but no approval time (approved_at) recorded"
        if self.approval.at_ms > self.window.start_ms:
            return (f"approved at {local_iso(self.approval.at_ms)}, after the window began at "
                    f"{local_iso(self.window.start_ms)}")
        return None


@dataclass(frozen=True)
class ChangeRecords:
    path: Path
    changes: tuple[Change, ...]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.changes)

    def __len__(self) -> int:
        return len(self.changes)


def _semantic(known: dict[str, bool] | None):  # type: ignore[no-untyped-def]
    def check(doc: YamlDocument) -> list[Issue]:
        r = Reader(doc)
        records = doc.data["changes"]
        r.unique_ids("changes", records)
        for i, c in enumerate(records):
            at = ("changes", i)
            r.known_systems((*at, "systems"), c["systems"], known)
            start, end = r.time((*at, "start"), c["start"]), r.time((*at, "end"), c["end"])
            if start is not None and end is not None and end <= start:
                r.issue((*at, "end"), f"expected a time after start ({c['start']}), got {c['end']}")
            r.time((*at, "approved_at"), c.get("approved_at"))
            if isinstance(c["approved"], dict):
                r.time((*at, "approved", "at"), c["approved"]["at"])
                for k in ("approved_by", "approved_at"):
                    if k in c:
                        r.issue((*at, k), "expected the approval once: either `approved: {by, at}` or "
                                          "`approved: true` with approved_by and approved_at, not both")
            elif c["approved"] is False and ("approved_by" in c or "approved_at" in c):
                r.issue((*at, "approved"), "expected true when approved_by/approved_at are given (or remove them)")
        return r.sorted_issues
    return check


def _change(c: dict[str, Any], line: int | None) -> Change:
    a = c["approved"]
    if isinstance(a, dict):
        approved, approval = True, Approval(a["by"], instant_ms(a["at"]), a.get("reference", ""))
    elif a and ("approved_by" in c or "approved_at" in c):
        approved, approval = True, Approval(c.get("approved_by", ""), instant_ms(c.get("approved_at")))
    else:
        approved, approval = bool(a), None
    written = {k: c[k] for k in ("start", "end", "approved_at") if k in c}
    if isinstance(a, dict):
        written["approved_at"] = a["at"]
    window = Interval(instant_ms(c["start"]) or 0, instant_ms(c["end"]) or 0)  # both there: the schema requires them
    return Change(c["id"], tuple(c["systems"]), window, c["change"], approved, approval, written,
                  " ".join(str(c.get("notes", "")).split()), line)


def load_changes(path: str | Path, systems: Any = None) -> ChangeRecords:
    """Read a changes file: schema, then unique ids, known systems (``systems``: ids, ``id → important`` or a
    systems file; None checks none), each window ending after it starts, the approval written once."""
    path = Path(path)
    if not path.exists():
        raise InputError.one(path, "", "changes file not found")
    known = system_flags(systems) if systems is not None else None
    doc = load_checked(path, SCHEMA, semantic=_semantic(known))
    return ChangeRecords(path, tuple(_change(c, doc.line_of(("changes", i)))
                                     for i, c in enumerate(doc.data["changes"])))


def approved(changes: Iterable[Change]) -> list[Change]:
    return [c for c in changes if c.refused is None]


def unapproved(changes: Iterable[Change], within: Interval | None = None) -> list[tuple[Change, str]]:
    """Windows that exclude nothing, with the reason; only those touching ``within`` when it is given."""
    return [(c, c.refused) for c in changes
            if c.refused is not None and (within is None or c.window.overlap(within) > 0)]


def maintenance_intervals(changes: Iterable[Change], within: Interval | None = None) -> dict[str, list[Interval]]:
    """``system → merged intervals`` of approved windows, clipped to ``within``: what availability leaves out."""
    return per_system(((s, c.window) for c in approved(changes) for s in c.systems), within)
