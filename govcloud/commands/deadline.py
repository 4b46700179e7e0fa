"""``govcloud deadline``: working-day (工作日) and natural-day deadlines (articles 12, 19, 58, 68)."""

from __future__ import annotations

import argparse
import json

from govcloud.schemas import check_output
from govcloud.workdays import add_natural_days, add_working_days, known_years


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from govcloud.cliargs import add_format, parse_date

    p = sub.add_parser("deadline", help="a deadline N working days (or natural days) after a date",
                       description="Article 12: 30 working days after a work order; article 19: 10 working days "
                                   "after a payment. Working days follow the State Council holiday calendar, "
                                   "make-up workdays included.")
    p.add_argument("--from", dest="start", type=parse_date, required=True, metavar="DATE")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--working-days", type=int, metavar="N")
    g.add_argument("--days", type=int, metavar="N", help="natural days (天, 日)")
    p.add_argument("--clause", default="", help="clause to cite in the output, e.g. article-12")
    add_format(p, "text", "json")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    n = args.working_days if args.working_days is not None else args.days
    if n is None or n < 1:
        raise SystemExit("govcloud deadline: expected N >= 1")
    if args.working_days is not None:
        due, cal = add_working_days(args.start, n), "working"
    else:
        due, cal = add_natural_days(args.start, n), "natural"
    if args.format == "json":
        out = {"from": args.start.isoformat(), "count": n, "calendar": cal, "deadline": due.isoformat(),
               "calendar_years": list(known_years())}
        if args.clause:
            out["clause"] = args.clause
        check_output(out, "deadline.schema.json")
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        kind = "working days (工作日)" if cal == "working" else "natural days (日)"
        print(f"{due.isoformat()}  ({n} {kind} after {args.start.isoformat()}, {due.strftime('%A')})")
    return 0
