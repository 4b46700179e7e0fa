"""``govcloud contract validate|show|cost``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from govcloud.console import make_console
from govcloud.paths import DEFAULT_CONTRACT


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from govcloud.cliargs import add_format, parse_date

    p = sub.add_parser("contract", help="the contract as data: validate, show, cost")
    csub = p.add_subparsers(dest="contract_command", metavar="ACTION", required=True)

    v = csub.add_parser("validate", help="schema and semantics; every printed figure must reproduce",
                        description="Exit 0 valid and every figure reproduces; 2 a printed figure does not "
                                    "reproduce; 1 invalid document.")
    v.add_argument("file", type=Path, nargs="?", default=DEFAULT_CONTRACT)
    v.add_argument("--amendment", type=Path, action="append", default=[], metavar="FILE")
    v.set_defaults(func=run_validate)

    s = csub.add_parser("show", help="what is contracted (on a date, amendments applied)")
    s.add_argument("file", type=Path, nargs="?", default=DEFAULT_CONTRACT)
    s.add_argument("--on", type=parse_date, metavar="DATE",
                   help="the day (default: today, clipped to the term: the ledger's rule)")
    s.add_argument("--amendment", type=Path, action="append", default=[], metavar="FILE")
    add_format(s, "table", "json")
    s.set_defaults(func=run_show)

    c = csub.add_parser("cost", help="recompute every figure in Decimal; exit 2 if any printed figure differs")
    c.add_argument("file", type=Path, nargs="?", default=DEFAULT_CONTRACT)
    c.add_argument("--amendment", type=Path, action="append", default=[], metavar="FILE")
    add_format(c, "table", "json")
    c.set_defaults(func=run_cost)


def _load(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from govcloud.contract import apply_amendments, load_amendment, load_contract

    contract = load_contract(args.file)
    amended = apply_amendments(contract, [load_amendment(f) for f in args.amendment])
    return contract, amended


def run_validate(args: argparse.Namespace) -> int:
    from govcloud.contract import cost_contract

    contract, amended = _load(args)
    cost = cost_contract(contract)
    if cost.mismatches:
        for m in cost.mismatches:
            print(f"{contract.source}: {m}", file=sys.stderr)
        return 2
    extra = f", {len(amended.amendments)} amendment(s) consistent" if amended.amendments else ""
    print(f"{contract.source}: contract {contract.number} valid: {len(contract.line_items)} line items in "
          f"{len(contract.sections)} sections; every printed figure reproduces{extra}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from govcloud.contract.report import print_show, show_json
    from govcloud.ledger.day import ContractSource, contracted

    in_force = contracted(ContractSource(args.file), args.on, list(args.amendment))  # the ledger's day rule
    report = show_json(in_force.contract, dict(in_force.items), in_force.on, in_force.amended)
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_show(in_force.contract, report, make_console())
    return 0


def run_cost(args: argparse.Namespace) -> int:
    from govcloud.contract import cost_contract
    from govcloud.contract.report import cost_json, print_cost

    contract, amended = _load(args)
    cost = cost_contract(contract)
    report = cost_json(cost, amended)
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_cost(cost, report, make_console())
    return 0 if cost.reproduces else 2
