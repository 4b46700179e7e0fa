"""The SLA checks (stage ``sla``), registered in the one registry (``govcloud.checks.registry``, which imports
this module by name). Each takes a ``govcloud.sla.context.SlaContext`` and returns findings; the figures
are the contract's (``sla``, ``incidents``), never written here.

Subjects: a system ``litigation (system)``, a record ``INC-7 (incident)``, a change ``CHG-3 (change)``, an
annex 3 event ``outage-platform-30pct (annex 3 A)``; ``item`` is that system, record, change or event id.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from govcloud.checks.findings import Finding
from govcloud.checks.registry import check

from .changes import unapproved
from .context import SlaContext, event_id
from .incidents import Deadline, describe
from .clock import local_iso
from .model import MS_PER_MINUTE
from .termination import start_of

APPLIES = ("system",)


def _get(obj: Any, *names: str, default: Any = "") -> Any:
    for n in names:
        v = getattr(obj, n, None)
        if v is not None:
            return v
    return default


def _system(r: Any) -> str:
    """A result's system id: ``system`` (an id, or an object with ``.id``) or ``system_id``."""
    s = _get(r, "system", "system_id")
    return str(getattr(s, "id", s))


def _target(ctx: SlaContext) -> str:
    return f">= {ctx.contract.sla.availability_percent}%"


def _figures(r: Any) -> str:
    return (f"availability {_get(r, 'availability')}, coverage {_get(r, 'coverage')}, "
            f"down {_get(r, 'down_minutes')} min of a {_get(r, 'budget_minutes')} min budget")


# ------------------------------------------------------------------------------------------ article 6
@check("sla.availability", kind="availability-breached", severity="high", clause="article-6", stage="sla",
       title="a system's availability in the calendar month is below the contract's figure", applies_to=APPLIES,
       remediation="ask the provider for the outages' causes and remedy (article 55); record carrier or force "
                   "majeure causes in the incident records if they apply (articles 60-61)")
def availability(ctx: SlaContext) -> Iterator[Finding]:
    for r in ctx.availability:
        if str(_get(r, "verdict")) == "breached":
            system = _system(r)
            yield availability.finding(
                system, f"{system} (system)", _target(ctx), str(_get(r, "availability")),
                f"{system} {ctx.label}: breached even with unknown time counted as up; {_figures(r)}")


@check("sla.coverage", kind="unverifiable", severity="medium", clause="article-6", stage="sla",
       title="unknown time (no probe samples) leaves a system's availability undecided", applies_to=APPLIES,
       remediation="find the scrape gaps (a dead exporter, Prometheus down) and close them; unknown time is never "
                   "counted as up")
def coverage(ctx: SlaContext) -> Iterator[Finding]:
    for r in ctx.availability:
        if str(_get(r, "verdict")) == "unverifiable":
            system = _system(r)
            yield coverage.finding(
                system, f"{system} (system)", f"availability {_target(ctx)} decided", "unverifiable",
                f"{system} {ctx.label}: met only if the unknown time was up; {_figures(r)}")


@check("sla.data-loss", kind="data-loss", severity="high", clause="article-6", stage="sla",
       title="an incident record says data was lost (data reliability, article 6; annex 3)", applies_to=("incident",),
       remediation="establish what was lost and whether it can be recovered; data reliability has no measure but "
                   "these records")
def data_loss(ctx: SlaContext) -> Iterator[Finding]:
    judged = ctx.data_losses
    for j in judged:
        rec, lost = j.incident, j.incident.data_lost
        assert lost is not None
        what = (f"{len(lost.systems)} system(s) ({', '.join(lost.systems)}), oldest data {lost.oldest_data_age_days} "
                f"days old, {'recoverable' if lost.recoverable else 'unrecoverable'}")
        event = f"; annex 3 {j.level}-level event {j.core_event}" if j.core_event else ""
        yield data_loss.finding(
            rec.id, f"{rec.id} (incident)", f"data reliability >= {ctx.contract.sla.data_reliability_percent}%",
            f"data lost: {what}",
            f"{describe(rec)}: {what}{event}. Data reliability is judged only from data-loss records: "
            f"{len(judged)} in {ctx.label or 'the period'}")


@check("sla.unapproved-maintenance", kind="unapproved-maintenance", severity="low", clause="article-6", stage="sla",
       title="a maintenance window without an approval given before it began: its downtime counts",
       applies_to=("change",),
       remediation="have the court approve changes (who, when) before their windows; the window's downtime counts "
                   "against availability")
def unapproved_maintenance(ctx: SlaContext) -> Iterator[Finding]:
    for c, why in unapproved(ctx.changes or (), ctx.window):
        yield unapproved_maintenance.finding(
            c.id, f"{c.id} (change)", "approved before the window", why,
            f"{c.id} {c.change!r} on {', '.join(c.systems)} {local_iso(c.window.start_ms)}..{local_iso(c.window.end_ms)}: {why}; "
            "nothing excluded")


# --------------------------------------------------------------------------------- articles 9 and 10
def _late(ctx: SlaContext, clock: str, c: Any) -> Iterator[Finding]:
    d: Deadline
    for d in ctx.deadlines:
        if d.clock != clock or not d.late:
            continue
        limit = f"{d.limit_minutes} min" if d.limit_minutes % 60 else f"{d.limit_minutes // 60} h"
        actual = f"{d.field} {local_iso(d.at_ms)} ({d.taken})" if d.at_ms is not None else f"no {d.field} recorded"
        imp = " (an important system)" if d.important else ""
        yield c.finding(
            d.incident, f"{d.incident} (incident)", f"{d.field} within {limit} of {d.started_by}{imp}", actual,
            f"{d.incident}: {clock} due {local_iso(d.due_ms)} ({limit} from {d.started_by} {local_iso(d.start_ms)}); "
            + (f"{d.field} at {local_iso(d.at_ms)}, {d.overrun} late"
               if d.at_ms is not None else f"none recorded by {local_iso(ctx.window.end_ms)}"),
            clause=d.clause)


@check("sla.response", kind="late", severity="high", clause="article-9", stage="sla",
       title="a fault not responded to within the contract's minutes of its detection or report",
       applies_to=("incident",),
       remediation="ask the provider why the response was late (article 9); check the paging rules "
                   "(govcloud sla rules)")
def response(ctx: SlaContext) -> Iterator[Finding]:
    return _late(ctx, "response", response)


@check("sla.on-site", kind="late", severity="high", clause="article-9", stage="sla",
       title="an engineer reached the cloud centre later than the contract's hours", applies_to=("incident",),
       remediation="ask the provider why the on-site visit was late (article 9)")
def on_site(ctx: SlaContext) -> Iterator[Finding]:
    return _late(ctx, "on-site", on_site)


@check("sla.isolation", kind="late", severity="high", clause="article-10", stage="sla",
       title="a fault not located and cleared within the contract's minutes (fewer for an important system)",
       applies_to=("incident",),
       remediation="ask the provider for the fault's timeline and how isolation will be faster (article 10)")
def isolation(ctx: SlaContext) -> Iterator[Finding]:
    return _late(ctx, "isolation", isolation)


@check("sla.unrecorded-outage", kind="unrecorded", severity="medium", clause="article-9", stage="sla",
       title="an outage in the monitoring data that no incident record covers", applies_to=APPLIES,
       remediation="ask the provider for the incident record of this outage (when detected, acknowledged, "
                   "isolated, its cause)")
def unrecorded_outage(ctx: SlaContext) -> Iterator[Finding]:
    m = ctx.matching
    for o in m.unrecorded if m is not None else ():
        span = f"{local_iso(o.interval.start_ms)}..{local_iso(o.interval.end_ms)}"
        yield unrecorded_outage.finding(
            o.system, f"{o.system} (system)", "an incident record", "none",
            f"{o.system} down {span} ({o.interval.ms / MS_PER_MINUTE:.1f} min): no incident record overlaps it")


@check("sla.untraced-incident", kind="untraced", severity="low", clause="article-9", stage="sla",
       title="an incident record with no outage of its systems in the monitoring data", applies_to=("incident",),
       remediation="check the record's systems and times; a fault the probes cannot see (slow responses, data "
                   "loss) is no outage, so say so in its notes")
def untraced_incident(ctx: SlaContext) -> Iterator[Finding]:
    m = ctx.matching
    started = {r.id for r in ctx.records_started}
    for r in m.untraced if m is not None else ():
        if r.id in started:
            yield untraced_incident.finding(
                r.id, f"{r.id} (incident)", "an outage of its systems in the monitoring data", "none",
                f"{describe(r)}: no outage of {', '.join(r.systems)} overlaps it")


# --------------------------------------------------------------------------- articles 53-54, annex 3
def _event_line(e: Any) -> str:
    start = start_of(e)
    end = _get(e, "end_ms", default=None)
    if end is None and getattr(e, "interval", None) is not None:
        end = e.interval.end_ms
    text = local_iso(start) + (f"..{local_iso(int(end))} ({(int(end) - start) / MS_PER_MINUTE:.0f} min)" if end else "")
    share = _get(e, "share", default=None)
    if share is not None:
        text += f", share of systems down {share}"
    inc = getattr(e, "incident", None)
    if inc is not None:
        text += f", from incident {inc.id}"
    return text


def _events(ctx: SlaContext, level: str, c: Any) -> Iterator[Finding]:
    w = ctx.window
    own = [*ctx.events, *(ctx.core_data_loss_events if level == "A" else ())]
    for e in own:
        if str(_get(e, "level")).upper() == level and w.start_ms <= start_of(e) < w.end_ms:
            eid = event_id(e)
            yield c.finding(eid, f"{eid} (annex 3 {level})", f"no {level}-level event", _event_line(e),
                            f"annex 3 {level}-level event {eid}: {_event_line(e)} (share over the systems govcloud "
                            "knows)")


@check("sla.event-a", kind="event-a", severity="high", clause="article-53", stage="sla",
       title="an annex 3 A-level event (one gives the court the right to terminate)", applies_to=("platform",),
       remediation="notify the court's legal office: article 53 allows termination and damages")
def event_a(ctx: SlaContext) -> Iterator[Finding]:
    return _events(ctx, "A", event_a)


@check("sla.event-b", kind="event-b", severity="high", clause="article-54", stage="sla",
       title="an annex 3 B-level event (three within a year give the right to terminate)", applies_to=("platform",),
       remediation="record it in the history; ask the provider for its remedy (article 54)")
def event_b(ctx: SlaContext) -> Iterator[Finding]:
    return _events(ctx, "B", event_b)


@check("sla.termination", kind="termination-trigger", severity="high", clause="article-53", stage="sla",
       title="a termination right reached: annex 3 events of a level within the contract's window",
       applies_to=("platform",),
       remediation="notify the court's legal office; the right is the court's to use (articles 53-54)")
def termination(ctx: SlaContext) -> Iterator[Finding]:
    for t in ctx.triggers:
        ids = ", ".join(f"{event_id(e)} {local_iso(start_of(e))}" for e in t.events)
        yield termination.finding(
            f"level-{t.level}", f"annex 3 {t.level} x{len(t.events)} (termination)",
            f"fewer than {t.needed} {t.level}-level event(s) in {t.window_months} months",
            f"{len(t.events)} from {local_iso(t.window.start_ms)}",
            f"{t.clause}: {t.needed} {t.level}-level event(s) within {t.window_months} months reached at "
            f"{local_iso(t.reached_ms)}: {ids}", clause=t.clause)
