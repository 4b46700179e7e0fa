"""``govcloud diff --preview PREVIEW.json``: a proposed change priced against the contract.

Exit 0 when every changed line item stays within the contract, 2 when the change takes an
item over it (needs a supplementary agreement) or under it, 1 on error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from govcloud.paths import PROJECT_ROOT


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from govcloud.cliargs import add_format, parse_date

    p = sub.add_parser("diff", help="what a `pulumi preview --json` does to the contract (quantities and cost)",
                       description="Per line item: quantity and monthly and term cost before and after the change, "
                                   "and whether it takes the tenancy over the contract (needs a supplementary "
                                   "agreement) or under it. Exit 0 within the contract, 2 over or under, 1 error.")
    p.add_argument("--preview", type=Path, required=True, metavar="PREVIEW.json",
                   help="`pulumi preview --json` of the stack; a preview of another stack or project is refused")
    p.add_argument("--stack", default="prod")
    p.add_argument("--on", type=parse_date, metavar="DATE",
                   help="the day whose contract prices the change (default: the stack's govcloud:on, else today "
                        "clipped to the term)")
    p.add_argument("--amendment", type=Path, action="append", default=[], metavar="FILE")
    add_format(p, "markdown", "json")
    p.add_argument("--project-dir", type=Path, default=PROJECT_ROOT, metavar="DIR")
    p.set_defaults(func=run)


def emit(report, fmt: str) -> int:  # type: ignore[no-untyped-def]
    """Print a diff report; the exit code says whether it stays within the contract."""
    from govcloud.checks.diff import to_json, to_markdown

    if fmt == "json":
        sys.stdout.write(json.dumps(to_json(report), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(to_markdown(report))
    leaves = any(i.leaves_contract for i in report.items)
    return 2 if leaves else 0


def run(args: argparse.Namespace) -> int:
    from govcloud.checks.diff import from_preview
    from govcloud.errors import InputError
    from govcloud.state.identity import stack_identity
    from govcloud.state.preview import read_preview

    from .check import contract_for_stack

    project_dir = args.project_dir.resolve()
    contract, contracted, on = contract_for_stack(project_dir, args.stack, list(args.amendment), args.on)
    preview = read_preview(args.preview, stack_identity(project_dir, args.stack))  # a preview of this stack only
    if preview.unlisted_sames:
        raise InputError.one(args.preview, "steps", f"expected a step for every resource (`pulumi preview --json "
                                                    f"--show-sames`): changeSummary counts {preview.unlisted_sames} "
                                                    f"unchanged resources the steps do not list, and the quantities "
                                                    f"before and after need them")
    report = from_preview(preview, contract.number, args.stack, contracted, on)
    return emit(report, args.format)
