"""``govcloud sla systems|rules|report``: the systems the SLA is measured over, the Prometheus rules file the
contract gives, and the month's report from the monitoring and the records (articles 6, 9, 10, 53-54, 60-61).

``systems`` derives a starting systems file from a stack's outputs (review it: which systems are important
under article 10 is the court's to say); ``rules`` writes the recording rules and alerts, checked with
``promtool check rules``; ``report`` judges a calendar month. Exit 0 written or met, 2 a report with findings
(breached, unverifiable, late, an annex 3 event, a termination trigger), 1 an error (a bad file names file and
field; Prometheus unreachable names the URL).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from govcloud.cliargs import add_format, output_file

from .contract_source import add_contract_source


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("sla", help="SLA: the systems measured and the Prometheus rules from the contract "
                                   "(articles 6, 9, 10, 53-54)")
    ssub = p.add_subparsers(dest="sla_command", metavar="SUBCOMMAND", required=True)

    s = ssub.add_parser("systems", help="a starting systems file from a stack's outputs",
                        description="Per host an SSH probe; app and web hosts an HTTP probe, database hosts TCP "
                                    "5432 (critical). Review before use: mark the important systems of article 10.")
    s.add_argument("--stack", required=True)
    s.add_argument("--interval", type=int, default=15, metavar="SECONDS", help="probe interval (default 15)")
    s.add_argument("--output", type=output_file, metavar="FILE", help="write to FILE instead of standard output")
    s.set_defaults(func=cmd_systems)

    r = ssub.add_parser("rules", help="the Prometheus rules file from the contract and a systems file",
                        description="Recording rules per probe and system, alerts that page early enough to answer "
                                    "within article 9's 15 minutes, and the annex 3 share alerts.")
    r.add_argument("--systems", type=Path, required=True, metavar="FILE", help="systems file "
                   "(schemas/sla-systems.schema.json)")
    add_contract_source(r)
    r.add_argument("--output", type=output_file, metavar="FILE", help="write to FILE instead of standard output")
    r.set_defaults(func=cmd_rules)

    m = ssub.add_parser(
        "report", help="one calendar month judged from Prometheus and the records",
        description="Availability per system and for the platform in a calendar month (Asia/Shanghai), the quarter "
                    "and term so far, outages, annex 3 events, the termination count, incident clocks and "
                    "maintenance. Exit 0 nothing found, 2 findings, 1 an error.")
    m.add_argument("--prometheus", required=True, metavar="URL",
                   help="a Prometheus-compatible query endpoint up to /api/v1 (Prometheus, Thanos, Mimir, "
                        "VictoriaMetrics)")
    m.add_argument("--month", type=_month, metavar="YYYY-MM", help="the calendar month (default: the last "
                   "whole month)")
    m.add_argument("--systems", type=Path, required=True, metavar="FILE", help="systems file "
                   "(schemas/sla-systems.schema.json)")
    m.add_argument("--incidents", type=Path, metavar="FILE", help="incident records "
                   "(schemas/sla-incidents.schema.json)")
    m.add_argument("--changes", "--maintenance", dest="changes", type=Path, metavar="FILE",
                   help="change records with maintenance windows (schemas/sla-changes.schema.json)")
    m.add_argument("--history", type=Path, metavar="FILE", help="govcloud's monthly history "
                   "(schemas/sla-history.schema.json): earlier months' events and figures; absent is empty")
    m.add_argument("--record", action="store_true", help="write this month into --history (a whole month only)")
    add_contract_source(m)
    add_format(m, "table", "json", "markdown")
    m.add_argument("--output", type=output_file, metavar="FILE", help="write to FILE instead of standard output")
    m.add_argument("--plots", type=Path, metavar="DIR", help="also draw the plots (PNG and SVG) into DIR")
    m.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="per query (default 30)")
    m.set_defaults(func=cmd_report)


def _month(text: str):  # type: ignore[no-untyped-def]
    from govcloud.sla.clock import PeriodError, month

    try:
        return month(text)
    except PeriodError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _emit(text: str, output: Path | None) -> None:
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def cmd_systems(args: argparse.Namespace) -> int:
    from govcloud.ledger import contracted
    from govcloud.sla.systems import systems_from_stack
    from govcloud.tenancy.config import load_stack_settings

    contract = contracted(load_stack_settings(args.stack)).contract
    _emit(systems_from_stack(args.stack, contract=contract, interval_seconds=args.interval).yaml(), args.output)
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    from govcloud.sla.promrules import render
    from govcloud.sla.systems import load_systems

    from .contract_source import contract_of

    systems = load_systems(args.systems)
    _emit(render(contract_of(args), systems), args.output)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    import time

    from dataclasses import replace

    from govcloud.errors import GovcloudError, InputError
    from govcloud.sla import report as sla_report
    from govcloud.sla.changes import load_changes
    from govcloud.sla.clock import Period, month_of, term
    from govcloud.sla.history import load_history, write_history
    from govcloud.sla.incidents import load_incidents
    from govcloud.sla.prom import PromClient
    from govcloud.sla.systems import load_systems

    from .contract_source import contract_of

    if args.record and not args.history:
        raise GovcloudError("--record writes the month into the history: give --history FILE")
    contract = contract_of(args)
    systems = load_systems(args.systems)
    if args.stack and systems.stack and systems.stack != args.stack:
        raise InputError.one(args.systems, "stack", f"the systems of stack {args.stack}, got {systems.stack}'s")
    incidents = load_incidents(args.incidents, systems) if args.incidents else None
    changes = load_changes(args.changes, systems) if args.changes else None
    history = load_history(args.history, missing_ok=True) if args.history else None
    if history is not None:
        if history.contract and history.contract != contract.number:
            raise InputError.one(args.history, "contract", f"the history of contract {contract.number}, got "
                                                           f"{history.contract}'s")
        history = replace(history, contract=contract.number)
    now = int(time.time() * 1000)
    period = args.month or month_of(month_of(now).start_ms - 1)
    t = term(contract)
    if period.end_ms <= t.start_ms or period.start_ms >= t.end_ms:
        raise GovcloudError(f"--month {period.label} is outside the contract's {t.label} (article 13)")
    complete = period.end_ms <= now
    if not complete:
        if period.start_ms >= now:
            raise GovcloudError(f"--month {period.label} has not begun")
        if args.record:
            raise GovcloudError(f"--record: {period.label} is not over; only a whole month goes into the history")
        period = Period(period.start_ms, now, period.label)
    sources = sla_report.Sources(args.prometheus, str(args.systems), _str(args.incidents), _str(args.changes),
                                 _str(args.history))
    client = PromClient(args.prometheus, timeout=args.timeout)
    rep = sla_report.build(client, systems, contract, period, incidents=incidents, changes=changes, history=history,
                           sources=sources, generated_ms=now, complete=complete)
    doc = sla_report.as_json(rep)
    _write_report(doc, args.format, args.output)
    if args.plots:
        from govcloud.sla.plots import draw

        for path in draw(rep, args.plots):
            print(f"plot: {path}", file=sys.stderr)
    if args.record and history is not None:
        events = [*rep.result.annex3.counted, *rep.context.core_data_loss_events]
        print(f"history: {write_history(history.record(period, events, rep.result.availability, recorded_ms=now))}",
              file=sys.stderr)
    return rep.exit_code


def _str(path: Path | None) -> str | None:
    return str(path) if path is not None else None


def _write_report(doc: dict, fmt: str, output: Path | None) -> None:  # type: ignore[type-arg]
    import json

    from govcloud.schemas import check_output
    from govcloud.sla.reportwriters import markdown, print_table

    check_output(doc, "sla-report.schema.json")
    if fmt == "table":
        if output is None:
            from govcloud.console import make_console

            print_table(doc, make_console())
            return
        from rich.console import Console

        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8") as fh:
            print_table(doc, Console(file=fh, width=160))
        return
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n" if fmt == "json" else markdown(doc)
    _emit(text, output)
