"""``govcloud deliverables build|status``: the acceptance documents of articles 15-16.

``build`` writes a period's generated documents (Excel, PDF) and a manifest into a folder; ``status`` lists all
of article 16's documents with their due date and, for a package folder, whether each is there and unaltered.
Exit 0 done or nothing due is missing, 2 something due is missing or altered, 1 an error.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from govcloud.cliargs import add_format, parse_date

PHASES = ("survey", "operation", "acceptance")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("deliverables", help="the acceptance documents of articles 15-16: generate, track")
    dsub = p.add_subparsers(dest="deliverables_command", metavar="SUBCOMMAND", required=True)

    b = dsub.add_parser("build", help="write a period's generated documents and a manifest into a folder",
                        description="The documents data can fill (deliverables/map.yaml: status generated), from the "
                                    "stack's hosts, harden evidence and an SLA report; the same inputs give "
                                    "byte-identical files. Documents whose inputs were not given are listed, not "
                                    "invented.")
    b.add_argument("--stack", required=True, metavar="NAME")
    b.add_argument("--period", required=True, metavar="YYYY-MM|YYYY-QN|term",
                   help="a calendar month, a quarter, or the whole term (article 13)")
    b.add_argument("--out", type=Path, required=True, metavar="DIR", help="the package folder")
    b.add_argument("--evidence", type=Path, metavar="FILE", help="`govcloud harden` evidence of the stack's hosts")
    b.add_argument("--state", type=Path, metavar="EXPORT.json", help="`pulumi stack export` of the stack")
    b.add_argument("--declared", type=Path, metavar="PLAN_EXPORT.json",
                   help="what the program declares (`govcloud plan --export-state`): the capacity report compares it")
    b.add_argument("--sla-report", type=Path, metavar="FILE",
                   help="`govcloud sla report --format json` of the same month")
    b.add_argument("--incidents", type=Path, metavar="FILE", help="SLA incident records (schemas/sla-incidents)")
    b.add_argument("--changes", type=Path, metavar="FILE", help="SLA change records (schemas/sla-changes)")
    b.add_argument("--prometheus", metavar="URL", help="a Prometheus-compatible query endpoint (node exporter usage)")
    b.add_argument("--previews", type=Path, action="append", default=[], metavar="FILE|DIR",
                   help="`govcloud diff --format json` of the stack (repeatable; a folder: its *.json): the change "
                        "documents list those dated in the period with their cost effect")
    b.add_argument("--journals", type=Path, metavar="DIR",
                   help="a folder of runbook run directories (e.g. runs/): the change documents list the runs of "
                        "the period from their journals")
    b.add_argument("--scans", type=Path, metavar="DIR",
                   help="the folder the vuln_scan role fetches scan reports into (one folder per host, e.g. "
                        "runs/vuln-scan): the security report's lynis index, OpenSCAP counts per profile and "
                        "scan dates")
    b.add_argument("--phase", action="append", choices=PHASES, default=[], help="only these phases (repeatable)")
    b.add_argument("--only", action="append", default=[], metavar="ID", help="only these map ids (repeatable)")
    b.add_argument("--map", type=Path, metavar="FILE", help="the deliverables map (default deliverables/map.yaml)")
    b.set_defaults(func=cmd_build)

    s = dsub.add_parser("status", help="all of article 16's documents: due date, generated, missing",
                        description="Exit 2 when a document due within --within days (or past due) is missing or "
                                    "altered in the package folder.")
    s.add_argument("--stack", required=True, metavar="NAME")
    s.add_argument("--package", type=Path, metavar="DIR", help="a package folder `deliverables build` wrote")
    s.add_argument("--on", type=parse_date, metavar="DATE", help="the day to judge on (default today)")
    s.add_argument("--within", type=int, default=30, metavar="DAYS",
                   help="a document counts as due this many days before the due date (default 30)")
    s.add_argument("--map", type=Path, metavar="FILE", help="the deliverables map (default deliverables/map.yaml)")
    add_format(s, "table", "json")
    s.set_defaults(func=cmd_status)


def _map(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from govcloud.deliverables.catalog import DEFAULT_MAP, load_map
    from govcloud.ledger import contracted
    from govcloud.tenancy.config import load_stack_settings

    contract = contracted(load_stack_settings(args.stack)).contract
    return contract, load_map(contract, args.map or DEFAULT_MAP)


def cmd_build(args: argparse.Namespace) -> int:
    from govcloud.deliverables.inputs import gather
    from govcloud.deliverables.package import build_all, manifest, write_package

    contract, dmap = _map(args)
    inputs, sources = gather(contract, args.stack, args.period, evidence=args.evidence, state=args.state,
                             declared=args.declared, sla_report=args.sla_report, incidents=args.incidents,
                             changes=args.changes,
                             prometheus=args.prometheus, previews=args.previews, journals=args.journals,
                             scans=args.scans)
    built = build_all(dmap, inputs, only=args.only, phases=args.phase,
                      progress=lambda text: print(f"building {text}", file=sys.stderr))
    doc = manifest(dmap, inputs, built, sources)
    write_package(args.out, doc, built)
    for d in doc["documents"]:
        print(f"{d['file']}  {d['sha256'][:12]}  {d['bytes']:,} bytes")
    for n in doc["not_generated"]:
        print(f"not generated: {n['name_zh']} ({n['reason']})")
    print(f"{args.out / 'manifest.json'}: {len(doc['documents'])} documents, {len(doc['not_generated'])} not generated")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    import json

    from govcloud.deliverables.status import standings
    from govcloud.exitcodes import EXIT_FINDINGS, EXIT_OK

    contract, dmap = _map(args)
    on = args.on or date.today()
    rows, manifest = standings(dmap, on, folder=args.package, window_days=args.within)
    gaps = [r for r in rows if r.gap]
    if args.format == "json":
        doc = {"contract": contract.number, "stack": args.stack, "on": on.isoformat(), "due": dmap.due.isoformat(),
               "package": str(args.package) if args.package else None,
               "period": manifest["period"]["label"] if manifest else None,
               "documents": [{"id": r.entry.id, "name_zh": r.entry.name_zh, "phase": r.entry.phase,
                              "status": r.entry.status, "state": r.state, "file": r.file or None,
                              "due": dmap.due.isoformat(), "due_now": r.due_now} for r in rows],
               "gaps": len(gaps)}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    else:
        _print_status(rows, dmap.due, on, manifest)
    return EXIT_FINDINGS if gaps else EXIT_OK


def _print_status(rows, due: date, on: date, manifest) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    from govcloud.console import make_console

    console = make_console()
    left = (due - on).days
    when = f"{left} days left" if left >= 0 else f"{-left} days past"
    t = Table(title=f"Acceptance deliverables (article 16), due {due} (article 15: before the term ends; {when})"
                    + (f"; package {manifest['period']['label']}" if manifest else ""), title_justify="left")
    for h in ("phase", "document", "how", "state", "file"):
        t.add_column(h)
    for r in rows:
        style = "red" if r.gap else ("green" if r.state in ("present", "supplied") else "")
        t.add_row(r.entry.phase_zh, r.entry.name_zh, r.entry.status, r.state, r.file or "—", style=style)
    console.print(t)
    gaps = sum(1 for r in rows if r.gap)
    console.print(f"{gaps} due and missing" if gaps else "nothing due is missing", highlight=False)
