"""Incident records (``schemas/sla-incidents.schema.json``) and what the contract asks of each.

Every clock starts at the earlier of ``detected`` and ``reported`` (article 9: "对故障15分钟内响应"): the
response (``acknowledged``) is due within ``sla.response`` minutes, the engineer on site within ``sla.on_site``
hours, the fault located and cleared (``isolated``) within ``sla.fault_isolation`` minutes, fewer for an
important system (article 10). A deadline met to the second is on time; one millisecond later is late.
Outages and records are matched both ways (an outage nobody recorded, a record the monitoring never saw);
a carrier core network failure (article 61) or proven force majeure (article 60) takes its outages out
of the SLA; data reliability (article 6) can only be judged from data-loss records, which are counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from govcloud.contract.model import Contract
from govcloud.errors import InputError, Issue
from govcloud.schemas import load_checked
from govcloud.yamldoc import YamlDocument

from .clock import local_iso
from .model import MS_PER_MINUTE, Interval, Outage
from .records import Reader, instant_ms, per_system, shift_months, system_flags

SCHEMA = "sla-incidents.schema.json"
TZ = ZoneInfo("Asia/Shanghai")
TIMES = ("detected", "reported", "acknowledged", "on_site", "isolated", "resolved")


class Cause(StrEnum):
    PROVIDER = "provider"
    CARRIER = "carrier-core-network"  # article 61: a network operator's core equipment
    FORCE_MAJEURE = "force-majeure"  # article 60, proven (article 62)
    TENANT = "tenant"


#: causes that take an outage out of the SLA, with the clause that does
EXCLUDED_CAUSES: dict[Cause, str] = {Cause.CARRIER: "article-61", Cause.FORCE_MAJEURE: "article-60"}
#: causes annex 3 does not count ("因非不可抗力": article 61 calls a carrier failure force majeure too)
NOT_PROVIDER_FORCE = frozenset(EXCLUDED_CAUSES)


@dataclass(frozen=True)
class DataLoss:
    systems: tuple[str, ...]
    oldest_data_age_days: int
    recoverable: bool


@dataclass(frozen=True)
class Incident:
    """One record; times in epoch milliseconds (None when not written), ``written`` as the file wrote them."""

    id: str
    systems: tuple[str, ...]
    cause: Cause
    detected_ms: int | None
    reported_ms: int | None
    acknowledged_ms: int | None
    on_site_ms: int | None
    isolated_ms: int | None
    resolved_ms: int | None
    written: Mapping[str, str]
    proof_date: date | None = None
    data_lost: DataLoss | None = None
    notes: str = ""
    line: int | None = None

    @property
    def start_ms(self) -> int:
        """The earlier of detection and report: where every article 9/10 clock starts."""
        return min(t for t in (self.detected_ms, self.reported_ms) if t is not None)

    @property
    def started_by(self) -> str:
        """Which field the clocks start from."""
        if self.reported_ms is not None and (self.detected_ms is None or self.reported_ms < self.detected_ms):
            return "reported"
        return "detected"

    def interval(self, until_ms: int) -> Interval:
        """``[start, resolved)``; an open record runs to ``until_ms`` (the end of the period judged)."""
        end = self.resolved_ms if self.resolved_ms is not None else max(until_ms, self.start_ms)
        return Interval(self.start_ms, end)

    @property
    def excluded_by(self) -> str | None:
        """The clause that takes this record's outages out of the SLA, if one does."""
        return EXCLUDED_CAUSES.get(self.cause)


@dataclass(frozen=True)
class IncidentRecords:
    path: Path
    incidents: tuple[Incident, ...]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.incidents)

    def __len__(self) -> int:
        return len(self.incidents)

    def overlapping(self, period: Interval) -> list[Incident]:
        return touching(self.incidents, period)


def touching(records: Iterable[Incident], period: Interval) -> list[Incident]:
    """The records whose ``[start, resolved)`` touch the period (an open one runs to its end)."""
    return [r for r in records if r.interval(period.end_ms).overlap(period) > 0
            or period.start_ms <= r.start_ms < period.end_ms]


# ------------------------------------------------------------------------------------------------ reading
def _semantic(known: Mapping[str, bool] | None):  # type: ignore[no-untyped-def]
    def check(doc: YamlDocument) -> list[Issue]:
        r = Reader(doc)
        records = doc.data["incidents"]
        r.unique_ids("incidents", records)
        for i, rec in enumerate(records):
            at = ("incidents", i)
            r.known_systems((*at, "systems"), rec["systems"], known)
            if "data_lost" in rec:
                r.known_systems((*at, "data_lost", "systems"), rec["data_lost"]["systems"], known)
            if "proof_date" in rec and rec["cause"] != Cause.FORCE_MAJEURE:
                r.issue((*at, "proof_date"), "expected proof_date only with cause force-majeure (article 60); "
                                             f"the cause is {rec['cause']}")
            ms = {k: r.time((*at, k), rec.get(k)) for k in TIMES}
            known_starts = [(k, ms[k]) for k in ("detected", "reported") if ms[k] is not None]
            if not known_starts:
                continue
            first, start = min(known_starts, key=lambda kv: kv[1])
            for k in ("acknowledged", "on_site", "isolated", "resolved"):
                r.not_before((*at, k), ms[k], rec.get(k), first, start, rec.get(first))
            for k in ("acknowledged", "isolated"):
                if ms["resolved"] is not None and ms[k] is not None and ms[k] > ms["resolved"]:
                    r.issue((*at, k), f"expected a time not after resolved ({rec['resolved']}), got {rec[k]}")
        return r.sorted_issues
    return check


def load_incidents(path: str | Path, systems: Any = None) -> IncidentRecords:
    """Read an incidents file: schema, then unique ids, known systems (``systems``: ids, ``id → important`` or a
    systems file; None checks none) and times in order. Problems are one ``InputError`` naming file and field."""
    path = Path(path)
    if not path.exists():
        raise InputError.one(path, "", "incidents file not found")
    known = system_flags(systems) if systems is not None else None
    doc = load_checked(path, SCHEMA, semantic=_semantic(known))
    out = []
    for i, rec in enumerate(doc.data["incidents"]):
        lost = rec.get("data_lost")
        out.append(Incident(
            id=rec["id"], systems=tuple(rec["systems"]), cause=Cause(rec["cause"]),
            **{f"{k}_ms": instant_ms(rec.get(k)) for k in TIMES},  # type: ignore[arg-type]
            written={k: rec[k] for k in TIMES if k in rec},
            proof_date=date.fromisoformat(rec["proof_date"]) if "proof_date" in rec else None,
            data_lost=DataLoss(tuple(lost["systems"]), int(lost["oldest_data_age_days"]), bool(lost["recoverable"]))
            if lost else None,
            notes=" ".join(str(rec.get("notes", "")).split()), line=doc.line_of(("incidents", i))))
    return IncidentRecords(path, tuple(out))


# ------------------------------------------------------------------------------------ articles 9 and 10
@dataclass(frozen=True)
class Deadline:
    """One clock of one record: from ``start_ms`` (the field ``started_by``) to ``at_ms`` (the field ``field``),
    due within ``limit_minutes``.

    ``status``: ``on-time``; ``late``; ``missing`` (not written and already due by ``as_of``); ``open`` (not
    written, not yet due); ``not-recorded`` (an on-site visit is not always needed: absent is not judged)."""

    incident: str
    clock: str  # response | on-site | isolation
    field: str
    clause: str
    started_by: str
    start_ms: int
    limit_minutes: int
    at_ms: int | None
    status: str
    important: bool = False

    @property
    def due_ms(self) -> int:
        return self.start_ms + self.limit_minutes * MS_PER_MINUTE

    @property
    def late(self) -> bool:
        return self.status in ("late", "missing")

    @property
    def taken(self) -> str:
        """``16m 00s`` from start to the recorded time; ``—`` when none is."""
        return "—" if self.at_ms is None else minutes_seconds(self.at_ms - self.start_ms)

    @property
    def overrun(self) -> str:
        """``0m 01s`` past the deadline, for a late one; ``""`` otherwise."""
        return minutes_seconds(self.at_ms - self.due_ms) if self.at_ms is not None and self.at_ms > self.due_ms else ""


def minutes_seconds(ms: int) -> str:
    """``61_500`` → ``1m 01s`` (whole seconds, rounded down); hours stay minutes (``125m 00s``)."""
    s = ms // 1000
    return f"{s // 60}m {s % 60:02d}s"


def _clock(rec: Incident, clock: str, field: str, clause: str, limit: int, as_of_ms: int, *,
           optional: bool = False, important: bool = False) -> Deadline:
    at = getattr(rec, f"{field}_ms")
    due = rec.start_ms + limit * MS_PER_MINUTE
    if at is not None:
        status = "late" if at > due else "on-time"
    elif optional:
        status = "not-recorded"
    else:
        status = "missing" if as_of_ms > due else "open"
    return Deadline(rec.id, clock, field, clause, rec.started_by, rec.start_ms, limit, at, status, important)


def deadlines(rec: Incident, contract: Contract, important: Mapping[str, bool], as_of_ms: int) -> list[Deadline]:
    """The record's three clocks, with the figures of the contract's ``sla``: response and on site (article 9),
    isolation (article 10: the shorter limit when any of its systems is important)."""
    sla = contract.sla
    imp = any(important.get(s, False) for s in rec.systems)
    isolation = sla.fault_isolation_important_minutes if imp else sla.fault_isolation_minutes
    return [
        _clock(rec, "response", "acknowledged", "article-9", sla.response_minutes, as_of_ms),
        _clock(rec, "on-site", "on_site", "article-9", sla.on_site_hours * 60, as_of_ms, optional=True),
        _clock(rec, "isolation", "isolated", "article-10", isolation, as_of_ms, important=imp),
    ]


def judge(records: Iterable[Incident], contract: Contract, important: Mapping[str, bool], as_of_ms: int
          ) -> list[Deadline]:
    """Every clock of every record (a record's open clocks judged as of ``as_of_ms``)."""
    return [d for r in records for d in deadlines(r, contract, important, as_of_ms)]


# ---------------------------------------------------------------------------- both ways against monitoring
@dataclass(frozen=True)
class Matching:
    """Outages and records paired where they overlap (same system, intervals widened by ``slack_ms``)."""

    pairs: tuple[tuple[Outage, Incident], ...]
    unrecorded: tuple[Outage, ...]  # an outage in the monitoring data no record covers
    untraced: tuple[Incident, ...]  # a record none of whose systems was down in the monitoring data


def _touch(a: Interval, b: Interval, slack_ms: int) -> bool:
    return a.start_ms < b.end_ms + slack_ms and b.start_ms < a.end_ms + slack_ms


def match(outages: Iterable[Outage], records: Iterable[Incident], until_ms: int, slack_ms: int = 0) -> Matching:
    """Match both ways. ``until_ms`` closes open records; ``slack_ms`` (e.g. one probe interval, since an outage's
    edges are that exact) lets a record that starts just after an outage ends still cover it."""
    outages, records = list(outages), list(records)
    pairs = [(o, r) for o in outages for r in records
             if o.system in r.systems and _touch(o.interval, r.interval(until_ms), slack_ms)]
    covered = {id(o) for o, _ in pairs}
    traced = {r.id for _, r in pairs}
    return Matching(tuple(pairs), tuple(o for o in outages if id(o) not in covered),
                    tuple(r for r in records if r.id not in traced))


# ---------------------------------------------------------------------------------- articles 60 and 61
@dataclass(frozen=True)
class Exclusion:
    """Time of one system taken out of the SLA by one record."""

    incident: str
    system: str
    interval: Interval
    cause: Cause
    clause: str


def exclusions(records: Iterable[Incident], outages: Iterable[Outage] = (), *, until_ms: int,
               slack_ms: int = 0) -> list[Exclusion]:
    """Per record of an excluded cause and per system it names: the record's ``[start, resolved)`` joined with
    every outage of that system it overlaps (monitoring sees a fault before a person records it)."""
    outages = list(outages)
    out = []
    for r in records:
        clause = r.excluded_by
        if clause is None:
            continue
        span = r.interval(until_ms)
        for s in r.systems:
            ivs = [span] + [o.interval for o in outages if o.system == s and _touch(o.interval, span, slack_ms)]
            out.append(Exclusion(r.id, s, Interval(min(i.start_ms for i in ivs), max(i.end_ms for i in ivs)),
                                 r.cause, clause))
    return out


def excluded_intervals(records: Iterable[Incident], outages: Iterable[Outage] = (), *, until_ms: int,
                       within: Interval | None = None, slack_ms: int = 0) -> dict[str, list[Interval]]:
    """``system → merged intervals`` the availability code leaves out (articles 60, 61), clipped to ``within``."""
    return per_system(((e.system, e.interval) for e in exclusions(records, outages, until_ms=until_ms,
                                                                  slack_ms=slack_ms)), within)


def excluded_outages(outages: Iterable[Outage], records: Iterable[Incident], *, until_ms: int,
                     slack_ms: int = 0) -> tuple[list[Outage], list[tuple[Outage, Exclusion]]]:
    """Outages split into those that count and those an exclusion covers (with the exclusion)."""
    outages = list(outages)
    ex = exclusions(records, outages, until_ms=until_ms, slack_ms=slack_ms)
    counted, excluded = [], []
    for o in outages:
        by = next((e for e in ex if e.system == o.system and e.interval.overlap(o.interval) > 0), None)
        (counted.append(o) if by is None else excluded.append((o, by)))
    return counted, excluded


# ------------------------------------------------------------------------------- article 6, annex 3
def _core_thresholds(contract: Contract) -> tuple[int, int, str, str] | None:
    """Annex 3's data-loss event: (systems above, months of data, event id, level), from the contract."""
    for level in contract.incidents:
        for ev in level.events:
            t = dict(ev.thresholds)
            if "systems_above" in t and "data_older_than_months" in t:
                return int(t["systems_above"]), int(t["data_older_than_months"]), ev.id, level.level
    return None


@dataclass(frozen=True)
class DataLossJudgement:
    """A data-loss record and what annex 3 makes of it."""

    incident: Incident
    systems_beyond: tuple[str, ...]  # systems that lost more than the annex's months, unrecoverably
    core_event: str | None  # the annex 3 event id when it is one (A level), else None
    level: str | None


def data_losses(records: Iterable[Incident], contract: Contract) -> list[DataLossJudgement]:
    """Every record that lost data. Annex 3's core data-loss event: not by force majeure, more than N systems
    (contract) losing data older than M months (contract), confirmed unrecoverable. Data reliability
    (article 6, 99.9999%) has no measure but these records: the report counts them and says so."""
    th = _core_thresholds(contract)
    out = []
    for r in records:
        if r.data_lost is None:
            continue
        beyond: tuple[str, ...] = ()
        event = level = None
        if th is not None:
            above, months, ev_id, lvl = th
            began = datetime.fromtimestamp(r.start_ms / 1000, TZ).date()
            oldest = date.fromordinal(began.toordinal() - r.data_lost.oldest_data_age_days)
            if not r.data_lost.recoverable and oldest < shift_months(began, -months):
                beyond = r.data_lost.systems
            if len(beyond) > above and r.cause not in NOT_PROVIDER_FORCE:
                event, level = ev_id, lvl
        out.append(DataLossJudgement(r, beyond, event, level))
    return out


def describe(rec: Incident) -> str:
    """``INC-7 (litigation, cause provider, from 2026-03-04T02:00:00Z)``."""
    return f"{rec.id} ({', '.join(rec.systems)}, cause {rec.cause}, from {local_iso(rec.start_ms)})"


def clip_records(records: Iterable[Incident], period: Interval) -> list[Incident]:
    """The records that start in the period: the ones whose clocks the period judges."""
    return [r for r in records if period.start_ms <= r.start_ms < period.end_ms]
