"""``govcloud runbook run|status|migrate-in|timeline``.

Exit codes: 0 every step verified (or a dry run), 2 a step blocked or not verified (e.g. the
article-24 security gate), 1 an error (bad runbook, action failed, run locked by another pid),
3 waiting for an outside party (e.g. the court's acceptance of an exit): ``--resume`` later.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from govcloud.console import make_console
from govcloud.paths import PROJECT_ROOT

from .engine import check_step_id, dry_run, execute
from .errors import RunbookError
from .loader import load_runbook
from .status import render_status, run_status

RUNS_DIR = PROJECT_ROOT / "runs"


def default_run_dir(runbook: str, system: str) -> Path:
    """``runs/<runbook>/<system>``: stable, so ``--resume`` finds the run without ``--run-dir``."""
    return RUNS_DIR / runbook / system


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="print the steps and what each would touch; touch nothing")
    p.add_argument("--resume", action="store_true", help="continue the run in --run-dir at its first unverified step")
    p.add_argument("--run-dir", type=Path, help="run directory (default runs/<runbook>/<system>)")
    p.add_argument("--stop-before", metavar="STEP",
                   help="pause (exit 3) on reaching this step, before it starts; --resume continues "
                        "(e.g. the bulk copy ahead of the maintenance window, the cut-over in it)")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rb = sub.add_parser("runbook", help="runbooks with a journal, resume and evidence (migration, exit)",
                        description="Runbooks are data (playbooks/runbooks/*.yaml, schemas/runbook.schema.json). "
                                    "Exit 0 all steps verified, 2 a step blocked or unverified, 3 waiting for an "
                                    "outside party or paused by --stop-before (--resume continues), 1 error.")
    rsub = rb.add_subparsers(dest="runbook_command", metavar="SUBCOMMAND", required=True)

    r = rsub.add_parser("run", help="run a runbook file", description="Run any runbook file with --param NAME=VALUE.")
    r.add_argument("file", type=Path, metavar="RUNBOOK.yaml")
    r.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    _common(r)
    r.set_defaults(func=cmd_run)

    s = rsub.add_parser("status", help="where a run stands, from its journal")
    s.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    s.add_argument("--format", choices=("table", "json"), default="table")
    s.set_defaults(func=cmd_status)

    from .migrate import register_migrate_in, register_rollback

    register_migrate_in(rsub, _common)
    register_rollback(rsub, _common)

    from .exit import register_exit

    register_exit(rsub, _common)

    from .timeline_cli import register_timeline

    register_timeline(rsub)


def parse_params(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        if "=" not in item:
            raise RunbookError(f"--param {item!r}: expected NAME=VALUE")
        k, v = item.split("=", 1)
        out[k] = v
    return out


def start(file: Path, params: dict[str, str], args: argparse.Namespace, *,
          resume_may_change: tuple[str, ...] = ()) -> int:
    """Load, then dry-run or execute; shared by `run` and the named runbooks."""
    runbook = load_runbook(file)
    run_dir = (args.run_dir or default_run_dir(runbook.name, params.get("system", "default"))).resolve()
    console = make_console()
    if args.dry_run:
        missing = [p for p in runbook.params if p not in params]
        if missing:
            raise RunbookError(f"runbook {runbook.name}: parameters missing: {', '.join(missing)}")
        check_step_id(runbook, args.stop_before, "--stop-before")
        return dry_run(runbook, params, run_dir, console).exit_code
    return execute(runbook, params, run_dir, resume=args.resume, console=console,
                   resume_may_change=resume_may_change, stop_before=args.stop_before).exit_code


def cmd_run(args: argparse.Namespace) -> int:
    return start(args.file, parse_params(args.param), args)


def cmd_status(args: argparse.Namespace) -> int:
    st = run_status(args.run_dir)
    if args.format == "json":
        print(json.dumps(st, ensure_ascii=False, indent=2))
    else:
        render_status(st, make_console())
    return 0
