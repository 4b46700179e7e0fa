"""Writers over one timeline: JSON (schemas/exit-timeline.schema.json), a terminal table, iCalendar.

The iCalendar file (RFC 5545, written with the ``icalendar`` library) holds one all-day VEVENT
per deadline; its UID is derived from the contract, the trigger and the term, so importing a
recomputed timeline updates the office calendar's events instead of duplicating them.

Built-ins for a runbook: action ``timeline.write`` with {trigger, on, notice?, out? (default
timeline), contract?} writes ``timeline.json`` and ``timeline.ics``; check ``timeline.valid`` with
{out?} recomputes the timeline and is not ok when it differs or the trigger is late (article 57).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from icalendar import Calendar, Event
from rich.console import Console
from rich.table import Table

from govcloud.contract.model import Contract
from govcloud.jsondoc import load_json
from govcloud.runbook.engine import output
from govcloud.runbook.engine.context import RunContext
from govcloud.runbook.engine.registry import ActionResult, CheckResult, action, check
from govcloud.schemas import check_output
from govcloud.workdays import known_years

from .stack_contract import run_contract
from .timeline import TRIGGER_ZH, Deadline, Omitted, plan

SCHEMA = "exit-timeline.schema.json"
PRODID = "-//govcloud//exit timeline//ZH"
BY_ZH = {"tenant": "甲方 (tenant)", "provider": "乙方 (provider)"}


def to_json(contract: Contract, trigger: str, on: date, notice: date | None, deadlines: list[Deadline],
            omitted: list[Omitted]) -> dict[str, Any]:
    """The machine report, validated against its schema."""
    doc = {"kind": "govcloud/exit-timeline", "version": 1, "contract": contract.number,
           "term": {"start": contract.term_start.isoformat(), "end": contract.term_end.isoformat(),
                    "clause": contract.term.clause},
           "trigger": trigger, "trigger_zh": TRIGGER_ZH[trigger], "on": on.isoformat(),
           "notice": notice.isoformat() if notice else None, "calendar_years": list(known_years()),
           "deadlines": [d.to_json() for d in deadlines],
           "omitted": [{"term": o.term, "clause": o.clause, "why": o.why} for o in omitted],
           "late": [d.term for d in deadlines if d.on_time is False]}
    check_output(doc, SCHEMA)
    return doc


def uid(contract: Contract, trigger: str, d: Deadline) -> str:
    return f"{contract.number}-{trigger}-{d.term}@govcloud.invalid"


def to_ics(contract: Contract, trigger: str, on: date, deadlines: list[Deadline], *,
           stamp: datetime | None = None) -> bytes:
    """An iCalendar file an office can import: one all-day event per deadline."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"合同{contract.number} 退出时间表 ({trigger})")
    stamp = stamp or datetime.now(timezone.utc)
    for d in deadlines:
        ev = Event()
        ev.add("uid", uid(contract, trigger, d))
        ev.add("dtstamp", stamp)
        ev.add("dtstart", d.date)
        ev.add("dtend", d.date + timedelta(days=1))
        ev.add("summary", f"{d.clause} {d.term}: {BY_ZH.get(d.by, d.by)}")
        ev.add("description", "\n".join([
            f"{d.clause} ({d.term}), contract {contract.number}, trigger {trigger} ({TRIGGER_ZH[trigger]}) "
            f"on {on.isoformat()}",
            d.text_zh,
            f"owed by: {BY_ZH.get(d.by, d.by)}",
            f"anchor: {d.anchor} {d.anchor_date.isoformat()}; {d.offset_value} {d.offset_unit} "
            f"({'工作日 working days' if d.day_kind == 'working' else '自然日 natural days'})",
            d.rule + (f" (nominal {d.nominal.isoformat()})" if d.moved else ""),
        ]))
        ev.add("categories", [d.clause])
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return cal.to_ical()


def render_table(contract: Contract, trigger: str, on: date, deadlines: list[Deadline], omitted: list[Omitted],
                 console: Console) -> None:
    t = Table(title=f"contract {contract.number}: exit timeline, trigger {trigger} ({TRIGGER_ZH[trigger]}) "
                    f"on {on.isoformat()}", show_lines=True)
    for col in ("date", "clause", "term", "by", "days", "anchor", "rule", "text"):
        t.add_column(col, overflow="fold")
    for d in deadlines:
        when = d.date.isoformat() + (f"\n(nominal {d.nominal.isoformat()})" if d.moved else "")
        if d.on_time is False:
            when += "\n[red]LATE: --on is after it[/red]"
        t.add_row(when, d.clause, d.term, BY_ZH.get(d.by, d.by),
                  "工作日 working" if d.day_kind == "working" else "天/日 natural",
                  f"{d.anchor}\n{d.anchor_date.isoformat()}", d.rule, d.text_zh)
    console.print(t)
    for o in omitted:
        console.print(f"  not on this timeline: {o.clause} {o.term}: {o.why}", highlight=False)


# ------------------------------------------------------------------ built-ins
@action("timeline.write")
def timeline_step(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """The exit timeline into ``out``/timeline.json and timeline.ics: {trigger, on, notice?, out?, contract?}."""
    contract = run_contract(ctx.params, args)
    on = date.fromisoformat(str(args["on"]))
    notice = date.fromisoformat(str(args["notice"])) if args.get("notice") else None
    deadlines, omitted = plan(contract, args["trigger"], on, notice=notice)
    out = ctx.path(args.get("out", "timeline"))
    doc = to_json(contract, args["trigger"], on, notice, deadlines, omitted)
    output.write_json(out / "timeline.json", doc)
    output.write_bytes(out / "timeline.ics", to_ics(contract, args["trigger"], on, deadlines))
    for d in deadlines:
        ctx.note(f"{d.date} {d.clause} {d.term} ({d.by})")
    return ActionResult({"deadlines": {d.term: d.date.isoformat() for d in deadlines}, "late": doc["late"]})


@check("timeline.valid")
def timeline_valid(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    """The written timeline matches its schema and a recomputation; a late trigger (article 57) is a finding."""
    doc = load_json(ctx.path(args.get("out", "timeline")) / "timeline.json")
    check_output(doc, SCHEMA)
    contract = run_contract(ctx.params, args)
    notice = date.fromisoformat(doc["notice"]) if doc["notice"] else None
    again = plan(contract, doc["trigger"], date.fromisoformat(doc["on"]), notice=notice)[0]
    if [d.to_json() for d in again] != doc["deadlines"]:
        return CheckResult(False, "timeline.json differs from the timeline recomputed from the contract")
    if doc["late"]:
        return CheckResult(False, f"the trigger is late for: {', '.join(doc['late'])}")
    return CheckResult(True, f"{len(doc['deadlines'])} exit deadline(s) for {doc['trigger']} on {doc['on']}")
