"""``govcloud runbook timeline``: the exit deadlines of one trigger as a table, JSON or iCalendar.

Exit codes: 0 the timeline, 2 the trigger itself is late (article 57: a provider's exit
application after 6 months before the term end), 1 an error (a date outside the term or the
holiday calendar, a bad contract).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from rich.console import Console

from govcloud.cliargs import add_format, output_file
from govcloud.console import make_console
from govcloud.runbook.steps.timeline import TRIGGERS, TimelineError, plan
from govcloud.runbook.steps.timeline_out import render_table, to_ics, to_json

from .contract_source import add_contract_source, contract_of


def register_timeline(rsub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    t = rsub.add_parser(
        "timeline", help="exit deadlines as dates (articles 14, 57-59, 68, 71, 73), table/JSON/iCalendar",
        description="Every exit deadline that applies to the trigger, with its clause, anchor, who owes it and "
                    "whether it counts natural days (天, 日) or working days (工作日). --on must fall inside the "
                    "term; a natural-day deadline whose last day is a holiday moves to the next working day "
                    "(民法典 203). Exit 0 ok, 2 the trigger is late (article 57), 1 error.")
    add_contract_source(t)
    t.add_argument("--trigger", required=True, metavar="|".join(TRIGGERS),
                   help="what ends the tenancy (checked like the dates: a wrong value is an error, exit 1)")
    t.add_argument("--on", required=True, metavar="DATE",
                   help="expiry: non-renewal settled; ordered: the court's migration request; provider-exit: the "
                        "provider's application; early-termination: the termination day (YYYY-MM-DD)")
    t.add_argument("--notice", metavar="DATE", help="the court's written notice to return materials (article 68)")
    add_format(t, "table", "json", "ics")
    t.add_argument("--out", type=output_file, metavar="FILE", help="write to FILE instead of standard output")
    t.set_defaults(func=cmd_timeline)


def _date(text: str | None, arg: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise TimelineError(f"{arg} {text!r}: expected a date as YYYY-MM-DD") from None


def cmd_timeline(args: argparse.Namespace) -> int:
    on = _date(args.on, "--on")
    assert on is not None
    notice = _date(args.notice, "--notice")
    contract = contract_of(args)
    deadlines, omitted = plan(contract, args.trigger, on, notice=notice)
    late = any(d.on_time is False for d in deadlines)
    if args.format == "ics":
        data = to_ics(contract, args.trigger, on, deadlines)
    elif args.format == "json":
        doc = to_json(contract, args.trigger, on, notice, deadlines, omitted)
        data = (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode()
    else:
        if args.out:
            with open(args.out, "w", encoding="utf-8") as fh:
                render_table(contract, args.trigger, on, deadlines, omitted, Console(file=fh, width=160, no_color=True))
        else:
            render_table(contract, args.trigger, on, deadlines, omitted, make_console())
        return 2 if late else 0
    if args.out:
        args.out.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 2 if late else 0
