"""``govcloud plan``: the program offline under the SDK's mock runtime, against the contract.

Exit codes: 0 every line item declared as contracted; 2 any item under or over; 1 error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from govcloud.cliargs import add_format, output_file
from govcloud.paths import PROJECT_ROOT


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "plan", help="run the Pulumi program offline (mock runtime) and compare what it declares with the contract",
        description="Runs stacks/ under Pulumi's mock runtime (no CLI, no cloud) and reports, per contract line "
                    "item, contracted vs declared quantity, status ok/under/over, the monthly and term cost of "
                    "what is declared, and the resources declared. Exit 0 compliant, 2 any item under or over, "
                    "1 error.")
    p.add_argument("--stack", default="prod", help="stack name: reads Pulumi.<stack>.yaml (default: prod)")
    add_format(p, "table", "json")
    p.add_argument("--outputs", type=output_file, metavar="FILE",
                   help="write the stack outputs (hosts, declared totals) as JSON, secrets as [secret]")
    p.add_argument("--export-state", type=output_file, metavar="FILE",
                   help="write what the mock run registered as a `pulumi stack export` (deployment version 3): "
                        "the declared side for `govcloud check --declared`")
    p.add_argument("--against", type=Path, metavar="EXPORT.json",
                   help="instead of the compliance table, the steps `pulumi preview` would take from this "
                        "`pulumi stack export` (of this stack: another stack's is refused), priced against the "
                        "contract (as `govcloud diff`)")
    p.add_argument("--project-dir", type=Path, default=PROJECT_ROOT, metavar="DIR",
                   help="directory holding Pulumi.<stack>.yaml (default: the project)")
    p.set_defaults(func=run_plan)


def write_outputs(path: Path, outputs: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(outputs, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def run_plan(args: argparse.Namespace) -> int:
    from govcloud.errors import GovcloudError
    from govcloud.plan.report import PlanError, build_report
    from govcloud.plan.runner import run_program
    from govcloud.plan.writers import print_table, write_json
    from govcloud.tenancy.config import read_stack_config, settings_from_config, stack_file
    from govcloud.tenancy.model import stack_contracted

    project_dir = args.project_dir.resolve()
    config = read_stack_config(project_dir, args.stack)
    settings = settings_from_config(config.data, args.stack, str(stack_file(project_dir, args.stack)), project_dir)
    in_force = stack_contracted(settings)  # the ledger's day: govcloud:on, else today clipped to the term
    contract, contracted = in_force.contract, dict(in_force.items)
    export_doc = None
    try:
        if args.export_state or args.against:
            from govcloud.plan.mockexport import export_mock_run

            run, export_doc = export_mock_run(args.stack, project_dir)
        else:
            run = run_program(args.stack, project_dir, config=config)
    except GovcloudError:
        raise
    except Exception as exc:  # noqa: BLE001 - the program failed under the runtime: one message, exit 1
        raise PlanError(f"the program failed under the mock runtime: {type(exc).__name__}: {exc}") from exc
    if args.against:
        from govcloud.checks.diff import from_states
        from govcloud.plan.mockexport import export_mock_run
        from govcloud.state.export import parse_export, read_export

        from .diff import emit

        if export_doc is None:
            run, export_doc = export_mock_run(args.stack, project_dir)
        declared = parse_export(export_doc, Path(f"<program {args.stack}>"))
        from govcloud.state.identity import stack_identity

        deployed = read_export(args.against, stack_identity(project_dir, args.stack))  # this stack's export only
        diff = from_states(deployed, declared, contract.number, args.stack, contracted, in_force.on)
        return emit(diff, "json" if args.format == "json" else "markdown")
    report = build_report(run, contract, contracted)
    if args.outputs:
        write_outputs(args.outputs, run.outputs_document())
    if export_doc is not None:
        write_outputs(args.export_state, export_doc)
    if args.format == "json":
        sys.stdout.write(write_json(report) + "\n")
    else:
        from govcloud.console import make_console

        print_table(report, make_console())
    return report.exit_code
