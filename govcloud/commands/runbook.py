"""``govcloud runbook run|status`` and the named runbooks (runbook_migrate, runbook_exit, runbook_timeline).

Exit codes: 0 every step verified (or a dry run), 2 a step blocked or not verified (e.g. the
article-24 security gate), 1 an error (bad runbook, action failed, run locked by another pid),
3 waiting for an outside party (e.g. the court's acceptance of an exit): ``--resume`` later.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from govcloud.cliargs import add_format
from govcloud.console import make_console
from govcloud.runbook.engine.errors import RunbookError
from govcloud.runbook.engine.status import render_status, run_status

from .runbook_start import add_run_flags, start


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rb = sub.add_parser("runbook", help="runbooks with a journal, resume and evidence (migration, exit)",
                        description="Runbooks are data (playbooks/runbooks/*.yaml, schemas/runbook.schema.json). "
                                    "Exit 0 all steps verified, 2 a step blocked or unverified, 3 waiting for an "
                                    "outside party or paused by --stop-before (--resume continues), 1 error.")
    rsub = rb.add_subparsers(dest="runbook_command", metavar="SUBCOMMAND", required=True)

    r = rsub.add_parser("run", help="run a runbook file", description="Run any runbook file with --param NAME=VALUE.")
    r.add_argument("file", type=Path, metavar="RUNBOOK.yaml")
    r.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    add_run_flags(r)
    r.set_defaults(func=cmd_run)

    s = rsub.add_parser("status", help="where a run stands, from its journal")
    s.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    add_format(s, "table", "json")
    s.set_defaults(func=cmd_status)

    from .runbook_exit import register_exit
    from .runbook_migrate import register_migrate_in, register_rollback

    register_migrate_in(rsub)
    register_rollback(rsub)
    register_exit(rsub)

    from .runbook_timeline import register_timeline

    register_timeline(rsub)


def parse_params(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        if "=" not in item:
            raise RunbookError(f"--param {item!r}: expected NAME=VALUE")
        k, v = item.split("=", 1)
        out[k] = v
    return out


def cmd_run(args: argparse.Namespace) -> int:
    return start(args.file, parse_params(args.param), args)


def cmd_status(args: argparse.Namespace) -> int:
    st = run_status(args.run_dir)
    if args.format == "json":
        print(json.dumps(st, ensure_ascii=False, indent=2))
    else:
        render_status(st, make_console())
    return 0
