"""``govcloud runbook migrate-in`` and ``rollback-in``: a system and its data moved into the cloud
with proof (articles 1-2, 12, 23, 24), and the proof that service can return to the source.

The steps are govcloud.runbook.steps.migrate over playbooks/runbooks/migrate-in.yaml and
migrate-in-rollback.yaml; this module is the command line: each command's parameters declared
once (``MIGRATE_IN_PARAMS``, ``ROLLBACK_PARAMS``). Exit 0 all verified, 2 stopped at a gate or an
unverified step, 1 error.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from govcloud.cliargs import parse_date
from govcloud.hosts.evidence import DEFAULT_MAX_AGE_HOURS, MAX_AGE_ENV, parse_max_age
from govcloud.runbook.engine.errors import RunbookError
from govcloud.runbook.engine.loader import runbook_path
from govcloud.runbook.engine.params import Values, derive, first_start, or_param, param, resolved, resume_may_change, today_or
from govcloud.runbook.steps.migrate import RUNBOOK_FILE

from .runbook_start import add_params, add_run_flags, default_run_dir, default_target, max_age_hours, start

ROLLBACK_FILE = runbook_path("migrate-in-rollback")

#: the runbook parameters of ``govcloud runbook migrate-in``, in the order ``--help`` lists their
#: flags; the evidence age limit applies when the gate runs: a resume that reaches it again may carry
#: another one
MIGRATE_IN_PARAMS = (
    param("stack", "--stack", required=True),
    param("system", "--system", required=True),
    param("source", "--source", required=True, metavar="HOST", help="the host the system leaves (inventory name)"),
    param("target", "--target", metavar="HOST", help="cloud host receiving the data (default: the system's first "
                                                     "--target-role host in the stack outputs)",
          value=lambda given, v: given or default_target(v["stack"], v["system"], v.args.target_role)),
    param("inventory", "--inventory", type=Path, required=True, value=resolved,
          help="Ansible YAML inventory reaching source and target"),
    param("evidence", "--evidence", type=Path, required=True, metavar="HARDEN_EVIDENCE.json", value=resolved,
          help="`govcloud harden` evidence covering the target (the article-24 gate)"),
    param("database", "--database", required=True, help="PostgreSQL database of the system (dump/restore, digests)"),
    param("db_source", "--db-source", metavar="HOST", help="host of the source database (default: --source)",
          value=or_param("source")),
    param("db_target", "--db-target", metavar="HOST",
          help="cloud database host (default: the system's db host in the stack)",
          value=lambda given, v: given or default_target(v["stack"], v["system"], "db")),
    param("evidence_max_age", "--evidence-max-age", type=parse_max_age, default=None, metavar="HOURS",
          value=max_age_hours, resume_may_change=True,
          help="security gate: refuse harden evidence whose run finished longer ago than this "
               f"(default ${MAX_AGE_ENV}, else {DEFAULT_MAX_AGE_HOURS:g})"),
    param("scan_max_warnings", "--scan-max-warnings", type=int, default=0, metavar="N",
          help="security gate: most lynis warnings allowed on the target (default 0)"),
    param("scan_min_index", "--scan-min-index", type=int, default=70, metavar="N",
          help="security gate: lowest lynis hardening index accepted (default 70)"),
    param("source_services", "--source-services", default="", metavar="UNIT,...",
          help="systemd units of the system on the source, stopped at the cut-over freeze"),
    param("target_services", "--target-services", default="", metavar="UNIT,...",
          help="systemd units of the system on the target, started at the cut-over (PostgreSQL on the "
               "database host always)"),
    param("source_path", "--source-path", default="/srv/data"),
    param("target_path", "--target-path", default="/srv/data"),
    param("order_date", "--order-date", type=parse_date, default=None, help="work order date (default today)",
          value=today_or, from_resumed_run=True),
    param("bwlimit", "--bwlimit", type=int, default=0, metavar="KIB_PER_S", help="rsync bandwidth limit (0: none)"),
)


def register_migrate_in(rsub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    m = rsub.add_parser(
        "migrate-in", help="move a system and its data into the cloud (articles 1-2, 12, 23, 24)",
        description="Steps (playbooks/runbooks/migrate-in.yaml): work order (article 23, deadline article 12), "
                    "target in the stack outputs and plan not over the contract, security gate (article 24: "
                    "verify-hosts clean on the target, else stop), verified file transfer, evidence bundle. "
                    "Exit 0 all verified, 2 stopped at a gate or an unverified step, 1 error.")
    # --target-role is no runbook parameter: only the default of --target, listed after it
    add_params(m, MIGRATE_IN_PARAMS, after={"target": lambda p: p.add_argument("--target-role", default="app")})
    add_run_flags(m)
    m.set_defaults(func=cmd_migrate_in)


def cmd_migrate_in(args: argparse.Namespace) -> int:
    run_dir = (args.run_dir or default_run_dir("migrate-in", args.system)).resolve()
    params = derive(MIGRATE_IN_PARAMS, args, run_dir, resume=args.resume)
    return start(RUNBOOK_FILE, params, args, resume_may_change=resume_may_change(MIGRATE_IN_PARAMS))


# ------------------------------------------------------------------ rollback
def _of_migration(name: str) -> Callable[[Any, Values], str]:
    """Parameter ``name`` of the migrate-in run that ``--migration-run`` names."""
    def value(given: Any, values: Values) -> str:
        mig = Path(values["migration_run"])
        first = first_start(mig)
        if first is None or first.get("runbook") != "migrate-in":
            raise RunbookError(f"{mig}: not a migrate-in run (no migrate-in run-start in its journal)")
        return str(first["params"][name])
    return value


#: the runbook parameters of ``govcloud runbook rollback-in``: the system and inventory are the migration's
ROLLBACK_PARAMS = (
    param("migration_run", "--migration-run", type=Path, required=True, metavar="RUN_DIR", value=resolved,
          help="the migrate-in run directory"),
    param("system", value=_of_migration("system")),
    param("inventory", value=_of_migration("inventory")),
)


def register_rollback(rsub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    r = rsub.add_parser("rollback-in", help="prove service can return to the source after a migrate-in",
                        description="Checks that the source's files and database are as the migration recorded "
                                    "them, and writes the rollback record. Exit 0 safe to return, 2 the source "
                                    "changed (named), 1 error.")
    add_params(r, ROLLBACK_PARAMS)
    add_run_flags(r)
    r.set_defaults(func=cmd_rollback)


def cmd_rollback(args: argparse.Namespace) -> int:
    if args.run_dir is None:
        args.run_dir = args.migration_run.resolve() / "rollback"
    params = derive(ROLLBACK_PARAMS, args, args.run_dir.resolve())
    return start(ROLLBACK_FILE, params, args)
