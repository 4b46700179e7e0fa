"""One month's SLA report (``govcloud sla report``): the calendar month judged from the monitoring (article 6),
the quarter and the term so far beside it, outages, annex 3 events and where articles 53-54 stand, the incident
clocks of articles 9-10, the maintenance taken out, and every SLA check's findings from the one registry.

Data flows one way: Prometheus → ``monthly.evaluate`` → ``SlaContext`` → the ``sla`` checks → this report →
its writers (``reportwriters``) and plots (``plots``). The verdict is the calendar month's (article 6 names no
period); the quarter and the term are added up from govcloud's history of earlier months (``history``) and are
shown, not judged, with the months the history lacks named.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from govcloud.checks.findings import SEVERITY_ORDER, Finding
from govcloud.checks.registry import of_stage
from govcloud.contract.model import Contract
from govcloud.exitcodes import EXIT_FINDINGS, EXIT_OK

from .availability import PLATFORM, Availability, minutes, summed
from .changes import Change, maintenance_intervals
from .clock import Period, local_iso, months, quarter_of, term
from .context import SlaContext
from .history import History, LevelStanding, standing
from .incidents import Incident, excluded_outages, excluded_intervals
from .model import Outage
from .monthly import PeriodResult, evaluate
from .prom import PromClient
from .systems import SystemsFile

KIND = "govcloud/sla-report"
VERDICT_BASIS = ("the calendar month in Asia/Shanghai: article 6 names no period; the quarter and the term so far "
                 "are shown beside it, added up from the history, and not judged")
SHARE_NOTE = "annex 3 shares are over the systems govcloud knows (the systems file), not every system of the court"
RELIABILITY_NOTE = ("data reliability (article 6, 99.9999%) has no measure but the incident records of lost data: "
                    "they are counted here, never inferred from the monitoring")


@dataclass(frozen=True)
class Rollup:
    """The platform's figures over a longer period up to the month's end, from the history and the month."""

    label: str  # 2026-Q1 to 2026-03 | term 2025-06-01..2026-05-31 to 2026-03
    months: tuple[str, ...]  # the months added up
    missing: tuple[str, ...]  # months of the period up to this one the history does not hold
    platform: Availability | None


@dataclass(frozen=True)
class CountedOutage:
    """An outage of the month and, when a record of articles 60-61 covers it, which one."""

    outage: Outage
    excluded_by: str = ""  # "INC-3 (article-61)" when excluded


@dataclass(frozen=True)
class Sources:
    prometheus: str
    systems: str
    incidents: str | None = None
    changes: str | None = None
    history: str | None = None


@dataclass(frozen=True)
class SlaReport:
    contract: Contract
    systems: SystemsFile
    result: PeriodResult
    context: SlaContext
    findings: tuple[Finding, ...]
    standings: tuple[LevelStanding, ...]
    rollups: tuple[Rollup, ...]
    outages: tuple[CountedOutage, ...]
    sources: Sources
    generated_ms: int
    complete: bool  # False: the month has not ended; what is shown is up to ``result.period.end_ms``
    history: History = field(default_factory=lambda: History(None, {}))

    @property
    def period(self) -> Period:
        return self.result.period

    @property
    def verdict(self) -> str:
        """The platform's verdict for the month (met | breached | unverifiable)."""
        return self.result.availability.verdict

    @property
    def exit_code(self) -> int:
        """0: nothing found (met, every clock on time, no event or trigger); 2: any finding."""
        return EXIT_FINDINGS if self.findings else EXIT_OK

    @property
    def changes(self) -> tuple[Change, ...] | None:
        return self.context.changes

    def months_shown(self) -> list[tuple[str, dict[str, Availability]]]:
        """The term's months up to this one with figures (the history's and this month's), for the plots:
        ``[(label, {system or PLATFORM: figures})]``."""
        target = self.result.target
        out = []
        for p in months(term(self.contract).interval):
            if p.start_ms > self.period.start_ms:
                break
            if p.label == self.period.label:
                rows = {a.system: a for a in self.result.availability.systems}
                rows[PLATFORM] = self.result.availability.platform
                out.append((p.label, rows))
                continue
            m = self.history.months.get(p.label)
            if m is None or not m.platform:
                continue
            rows = {s: f for s in [*m.systems, PLATFORM] if (f := self.history.figures(s, [p], target)) is not None}
            out.append((p.label, rows))
        return out


def _rollup(label: str, span: Period, period: Period, month_figures: Availability, history: History,
            target: Any) -> Rollup:
    """``span``'s months up to ``period`` added up: the earlier ones from the history, ``period`` from its figures."""
    earlier = [p for p in months(span.interval) if p.start_ms < period.start_ms]
    held = [p for p in earlier if (m := history.months.get(p.label)) is not None and m.platform]
    missing = tuple(p.label for p in earlier if p not in held)
    before = history.figures(PLATFORM, held, target)
    rows = [*([before] if before is not None else []), month_figures]
    return Rollup(f"{label} to {period.label}", (*(p.label for p in held), period.label), missing,
                  summed(rows, f"{label} to {period.label}"))


def build(client: PromClient, systems: SystemsFile, contract: Contract, period: Period, *,
          incidents: Iterable[Incident] | None = None, changes: Iterable[Change] | None = None,
          history: History | None = None, sources: Sources, generated_ms: int, complete: bool = True) -> SlaReport:
    """Judge ``period`` (a calendar month, or its part up to now when ``complete`` is False) and run every check
    of stage ``sla`` over it."""
    inc = tuple(incidents) if incidents is not None else None
    chg = tuple(changes) if changes is not None else None
    history = history or History(None, {})
    slack = systems.interval_ms
    result = evaluate(
        client, systems, contract, period,
        maintenance=maintenance_intervals(chg or ()),
        exclusions=(lambda outs: excluded_intervals(inc or (), outs, until_ms=period.end_ms, slack_ms=slack)))
    ctx = SlaContext.build(contract, period, systems.systems, outages=result.outages,
                           availability=result.availability.systems, incidents=inc, changes=chg,
                           events=result.annex3.counted, prior_events=history.before(period), slack_ms=slack)
    found = [f for c in of_stage("sla") for f in c.run(ctx)]
    found.sort(key=lambda f: (SEVERITY_ORDER.index(f.severity), f.check, f.item))
    events = [*result.annex3.counted, *ctx.core_data_loss_events]
    counted, excluded = excluded_outages(result.outages, inc or (), until_ms=period.end_ms, slack_ms=slack)
    outs = sorted([CountedOutage(o) for o in counted]
                  + [CountedOutage(o, f"{e.incident} ({e.clause})") for o, e in excluded],
                  key=lambda c: (c.outage.interval.start_ms, c.outage.system))
    platform = result.availability.platform
    t = term(contract)
    rollups = (_rollup(quarter_of(period.start_ms).label, quarter_of(period.start_ms), period, platform, history,
                       result.target),
               _rollup(t.label, t, period, platform, history, result.target))
    return SlaReport(contract, systems, result, ctx, tuple(found),
                     tuple(standing(contract, history, events, period)), rollups, tuple(outs), sources,
                     generated_ms, complete, history)


# ------------------------------------------------------------------------------------------------ JSON
def _event_json(e: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"level": e.level, "event": e.event, "clause": e.clause, "start": local_iso(e.start_ms),
                           "end": local_iso(e.end_ms), "minutes": str(e.minutes.numerator // e.minutes.denominator),
                           "peak_share": e.share, "systems": list(e.systems), "ongoing": e.ongoing}
    if e.excluded_by:
        out["excluded_by"] = e.excluded_by
    return out


def _standing_json(s: LevelStanding) -> dict[str, Any]:
    return {"level": s.level, "clause": s.clause, "needed": s.needed, "window_months": s.window_months,
            "count": s.count, "reached": s.reached,
            "events": [{"event": str(getattr(e, "event", "")), "start": local_iso(int(getattr(e, "start_ms", 0)))}
                       for e in s.events]}


def as_json(report: SlaReport) -> dict[str, Any]:
    """The report as ``schemas/sla-report.schema.json`` describes it (``finding_json`` for the findings)."""
    from govcloud.checks.writers import finding_json

    r, p = report.result, report.period
    ctx = report.context
    deadlines = ctx.deadlines if ctx.incidents is not None else []
    return {
        "kind": KIND, "version": 1, "contract": report.contract.number,
        "generated": local_iso(report.generated_ms),
        "period": {"label": p.label, "start": local_iso(p.start_ms), "end": local_iso(p.end_ms),
                   "timezone": "Asia/Shanghai", "complete": report.complete},
        "verdict": report.verdict, "verdict_basis": VERDICT_BASIS, "target": r.availability.platform.target_percent,
        "sources": {k: v for k, v in vars(report.sources).items() if v is not None},
        "availability": {"systems": [a.as_dict() for a in r.availability.systems],
                         "platform": r.availability.platform.as_dict()},
        "rollups": [{"label": u.label, "months": list(u.months), "missing_months": list(u.missing),
                     "platform": u.platform.as_dict() if u.platform else None} for u in report.rollups],
        "outages": [{"system": c.outage.system, "start": local_iso(c.outage.interval.start_ms),
                     "end": local_iso(c.outage.interval.end_ms), "minutes": str(minutes(c.outage.interval.ms)),
                     "ongoing": c.outage.ongoing, "excluded_by": c.excluded_by or None} for c in report.outages],
        "annex3": {"systems_known": r.annex3.systems, "note": SHARE_NOTE,
                   "counted": [_event_json(e) for e in r.annex3.counted],
                   "excluded": [_event_json(e) for e in r.annex3.excluded]},
        "termination": [_standing_json(s) for s in report.standings],
        "incidents": None if ctx.incidents is None else {
            "records": len(ctx.incidents), "started_in_period": len(ctx.records_started),
            "clocks": [{"incident": d.incident, "clock": d.clock, "clause": d.clause, "from": d.started_by,
                        "start": local_iso(d.start_ms), "limit_minutes": d.limit_minutes,
                        "at": local_iso(d.at_ms) if d.at_ms is not None else None, "taken": d.taken,
                        "status": d.status} for d in deadlines],
            "data_losses": len(ctx.data_losses), "data_reliability": RELIABILITY_NOTE},
        "maintenance": None if ctx.changes is None else [
            {"change": c.id, "systems": list(c.systems), "start": local_iso(c.window.start_ms),
             "end": local_iso(c.window.end_ms), "approved_by": c.approval.by if c.approval else None,
             "excludes": c.refused is None, "refused": c.refused}
            for c in ctx.changes if c.window.overlap(p.interval) > 0],
        "findings": [finding_json(f) for f in report.findings],
        "summary": {"findings": len(report.findings),
                    **{s: sum(1 for f in report.findings if f.severity == s) for s in SEVERITY_ORDER},
                    "exit_code": report.exit_code},
    }

