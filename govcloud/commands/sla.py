"""``govcloud sla systems|rules``: the systems the SLA is measured over, and the Prometheus rules file the
contract gives (articles 6, 9, 10, 53-54).

``systems`` derives a starting systems file from a stack's outputs (review it: which systems are important
under article 10 is the court's to say); ``rules`` writes the recording rules and alerts, checked with
``promtool check rules``. Exit 0 written, 1 an error (a bad systems file names file and field).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from govcloud.cliargs import output_file

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
