"""``govcloud check``: is what is deployed what the contract bought, in both directions?"""

from __future__ import annotations

import argparse
import gc
import sys
from datetime import date
from pathlib import Path

from govcloud.cliargs import add_format, output_file
from govcloud.paths import PROJECT_ROOT

FORMATS = ("table", "json", "junit", "markdown")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from govcloud.cliargs import parse_date

    p = sub.add_parser(
        "check", help="contract ⇄ declared ⇄ deployed: quantities, resources, hosts and add-ons",
        description="Compares the contract (on DATE, amendments applied), what the program declares (run "
                    "offline, or a `plan --export-state` file) and what is deployed (a `pulumi stack export` "
                    "and the harden evidence). Exit 0 compliant and no drift, 2 findings, 1 error.")
    p.add_argument("--stack", default="prod")
    p.add_argument("--state", type=Path, required=True, metavar="EXPORT.json",
                   help="`pulumi stack export` of the deployed stack (deployment version 3); an export of another "
                        "stack or project is refused")
    p.add_argument("--declared", type=Path, metavar="PLAN_EXPORT.json",
                   help="what `govcloud plan --export-state` saved; default: run the program offline now")
    p.add_argument("--evidence", type=Path, metavar="EVIDENCE.json", help="`govcloud harden` evidence")
    p.add_argument("--on", type=parse_date, metavar="DATE",
                   help="the day to check against (default: the stack's govcloud:on, else today clipped to the "
                        "term)")
    p.add_argument("--amendment", type=Path, action="append", default=[], metavar="FILE")
    p.add_argument("--ignore", type=Path, metavar="FILE", help="accepted findings, each with reason and expiry")
    add_format(p, *FORMATS)
    p.add_argument("--output", type=output_file, metavar="FILE", help="write the report here instead of stdout")
    p.add_argument("--project-dir", type=Path, default=PROJECT_ROOT, metavar="DIR")
    p.set_defaults(func=run)


def contract_for_stack(project_dir: Path, stack: str, amendments: list[Path], on: date | None):  # type: ignore[no-untyped-def]
    """The stack's contract, the items in force on the day and that day, from the ledger: ``on`` (the
    command line's), else the stack's ``govcloud:on``, else today clipped to the term; the stack's
    amendments, then ``amendments``, applied (articles 7, 77, 79)."""
    from govcloud.ledger.day import contracted
    from govcloud.tenancy.config import load_stack_settings

    in_force = contracted(load_stack_settings(stack, project_dir), on, amendments)  # not tenancy.model: check needs no host or network plan
    return in_force.contract, dict(in_force.items), in_force.on


def run(args: argparse.Namespace) -> int:
    # A short-lived process holding large inputs (a 10,000-resource export, evidence for 2,000 hosts):
    # the cyclic collector would walk them again and again while they are read and compared, for
    # nothing, since the reports hold no cycles worth collecting. Reference counting still frees memory.
    gc.disable()
    from govcloud.checks.engine import run_check
    from govcloud.checks.ignore import load_ignore
    from govcloud.checks.writers import print_table, write_json, write_junit, write_markdown
    from govcloud.state.export import read_export
    from govcloud.state.identity import stack_identity

    project_dir = args.project_dir.resolve()
    contract, contracted, on = contract_for_stack(project_dir, args.stack, list(args.amendment), args.on)
    identity = stack_identity(project_dir, args.stack)  # both files must be this stack's
    deployed = read_export(args.state, identity)
    if args.declared:
        declared = read_export(args.declared, identity)
    else:
        from govcloud.plan.mockexport import declared_deployment

        declared = declared_deployment(args.stack, project_dir)
    evidence = None
    if args.evidence:
        from govcloud.hosts.evidence import load_evidence

        evidence = load_evidence(args.evidence)
    ignore = load_ignore(args.ignore) if args.ignore else None
    sources = {"state": str(args.state), "declared": str(args.declared) if args.declared else "program (mock runtime)"}
    if args.evidence:
        sources["evidence"] = str(args.evidence)
    report = run_check(args.stack, contract.number, contracted, on, declared, deployed, evidence, ignore, sources)
    addons_checked = evidence is not None
    if args.format == "table" and not args.output:
        from govcloud.console import make_console

        print_table(report, make_console(), addons_checked)
        return report.exit_code
    text = {"json": lambda: write_json(report, addons_checked), "junit": lambda: write_junit(report),
            "markdown": lambda: write_markdown(report, addons_checked)}.get(args.format)
    if text is None:  # table to a file
        from rich.console import Console

        with args.output.open("w", encoding="utf-8") as fh:
            print_table(report, Console(file=fh, width=160), addons_checked)
    elif args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text() + ("\n" if args.format == "json" else ""), encoding="utf-8")
    else:
        sys.stdout.write(text() + ("\n" if args.format == "json" else ""))
    return report.exit_code
