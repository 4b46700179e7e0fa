"""``govcloud runbook exit``: a system leaves the cloud with proof (articles 14, 57-59, 68, 73).

The steps are govcloud.runbook.steps.exit over playbooks/runbooks/exit.yaml; this module is the
command line: its parameters, declared once (``EXIT_PARAMS``), and the input files refused before
anything runs. Exit 0 all verified, 2 stopped at a gate or an unverified step, 3 waiting for the
court, 1 error.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from govcloud.cliargs import parse_date
from govcloud.errors import GovcloudError, InputError
from govcloud.hosts.evidence import DEFAULT_MAX_AGE_HOURS, MAX_AGE_ENV, parse_max_age
from govcloud.runbook.engine.journal import read_journal, step_states
from govcloud.runbook.engine.params import Values, derive, joined, or_param, param, resolved, resume_may_change, today_or
from govcloud.runbook.steps.exit import RUNBOOK_FILE, exit_evidence, old_units
from govcloud.runbook.steps.timeline import TRIGGERS

from .runbook_start import add_params, add_run_flags, default_run_dir, default_target, max_age_hours, start


def _acceptance(given: Path | None, values: Values) -> str:
    return str((given or values.run_dir / "court" / "exit-acceptance.json").resolve())


def _old_units(given: list[str], values: Values) -> str:
    units = ",".join(given) or f"{values['db_source']}=postgresql"
    old_units(units)  # a malformed --old-unit is refused before anything runs
    return units


#: the runbook parameters of ``govcloud runbook exit``, in the order ``--help`` lists their flags;
#: confirm, acceptance, bwlimit and evidence_max_age are given when the run reaches them, so a resume
#: may pass them (or another acceptance path, another bandwidth limit for the rest of a transfer)
EXIT_PARAMS = (
    param("stack", "--stack", required=True),
    param("system", "--system", required=True),
    param("target", "--target", required=True, metavar="HOST", help="the court's host receiving files (and database)"),
    param("inventory", "--inventory", type=Path, required=True, value=resolved,
          help="Ansible YAML inventory reaching old and target hosts"),
    param("evidence", "--evidence", type=Path, required=True, metavar="HARDEN_EVIDENCE.json", value=resolved,
          help="`govcloud harden` evidence of the system's hosts (handover package)"),
    param("evidence_max_age", "--evidence-max-age", type=parse_max_age, default=None, metavar="HOURS",
          value=max_age_hours, resume_may_change=True,
          help="refuse harden evidence whose run finished longer ago than this when the handover "
               f"package is made (default ${MAX_AGE_ENV}, else {DEFAULT_MAX_AGE_HOURS:g})"),
    param("database", "--database", required=True, help="PostgreSQL database of the system"),
    param("volumes", "--volumes", type=Path, required=True, metavar="FILE", value=resolved,
          help="the data volumes to erase (YAML, schemas/erase-volumes.schema.json); --dry-run lists them"),
    param("acceptance", "--acceptance", type=Path, metavar="FILE", value=_acceptance, resume_may_change=True,
          help="where the court's acceptance file is (default RUN_DIR/court/exit-acceptance.json)"),
    param("confirm", "--confirm", metavar="SYSTEM", default="", resume_may_change=True,
          help="name the system to allow the erase"),
    param("materials", "--materials", type=Path, required=True, metavar="FILE", value=resolved,
          help="article 68 materials and their disposition (YAML, schemas/exit-materials.schema.json)"),
    param("source", "--source", metavar="HOST", help="old host holding the files (default: the system's app host)",
          value=lambda given, v: given or default_target(v["stack"], v["system"], "app")),
    param("db_source", "--db-source", metavar="HOST", help="old database host (default: the system's db host)",
          value=lambda given, v: given or default_target(v["stack"], v["system"], "db")),
    param("db_target", "--db-target", metavar="HOST", help="the court's database host (default: --target)",
          value=or_param("target")),
    param("source_path", "--source-path", default="/srv/data"),
    param("target_path", "--target-path", default="/srv/data"),
    param("target_units", "--target-unit", action="append", default=[], metavar="UNIT", value=joined,
          help="a unit that must be active on --target for the stable-run check (repeatable)"),
    param("old_units", "--old-unit", action="append", default=[], metavar="HOST=UNIT", value=_old_units,
          help="an old service to shut down (repeatable; default: postgresql on --db-source)"),
    param("old_hosts", value=lambda _, v: ",".join(old_units(v["old_units"]))),
    param("state", "--state", type=Path, metavar="EXPORT.json",
          help="a `pulumi stack export` of the stack (default: the program's export under the mock runtime)",
          value=lambda given, v: str(given.resolve()) if given else "stack/state.json"),
    param("trigger", "--trigger", choices=TRIGGERS, default="ordered",
          help="why the system leaves (default ordered: article 58)"),
    param("on", "--on", type=parse_date, default=None, help="the trigger date (default: --order-date)",
          value=or_param("order_date", date.isoformat), from_resumed_run=True),
    param("notice", "--notice", type=parse_date, default=None, help="the court's written notice (article 68)",
          value=lambda given, v: given.isoformat() if given else ""),
    param("order_date", "--order-date", type=parse_date, default=None, help="work order date (default today)",
          value=today_or, from_resumed_run=True),
    param("stable_samples", "--stable-samples", type=int, default=2, metavar="N"),
    param("stable_interval", "--stable-interval", type=float, default=5.0, metavar="SECONDS"),
    param("bwlimit", "--bwlimit", type=int, default=0, metavar="KIB_PER_S", resume_may_change=True),
)


def register_exit(rsub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    m = rsub.add_parser(
        "exit", help="take a system out of the cloud with proof, then erase (articles 14, 57-59, 68, 73)",
        description="Steps (playbooks/runbooks/exit.yaml): work order (退出, article 23) and exit deadlines, "
                    "handover package (article 58), verified export of files and database to the court's "
                    "target host, export/manifest.json, the court's acceptance (the run stops with exit 3 "
                    "until the acceptance file is there; --resume continues), stable-run check, old services "
                    "shut down, secure erase (NIST SP 800-88 Rev. 1; refused unless the acceptance carries the "
                    "manifest's digest and --confirm names the system), article 68 checklist, exit report. "
                    "Exit 0 all verified, 2 stopped at a gate or an unverified step, 3 waiting for the court, "
                    "1 error.")
    add_params(m, EXIT_PARAMS)
    add_run_flags(m)
    m.set_defaults(func=cmd_exit)


def cmd_exit(args: argparse.Namespace) -> int:
    run_dir = (args.run_dir or default_run_dir("exit", args.system)).resolve()
    args.run_dir = run_dir
    params = derive(EXIT_PARAMS, args, run_dir, resume=args.resume)
    if not args.dry_run:
        check_inputs(params, fresh=not _handover_done(run_dir) if args.resume else True)
    return start(RUNBOOK_FILE, params, args, resume_may_change=resume_may_change(EXIT_PARAMS))


def _handover_done(run_dir: Path) -> bool:
    """The handover step (which packages the evidence) verified in an earlier attempt of this run."""
    try:
        return step_states(read_journal(run_dir).records).get("handover", {}).get("state") == "verified"
    except GovcloudError:  # the engine reports a missing or broken journal
        return False


def check_inputs(params: dict[str, str], *, fresh: bool = True) -> None:
    """Refuse bad input files before anything runs (each error names the file and the field): the
    inventory, the harden evidence (of this run's hosts; fresh unless the handover package that uses
    it is already made: ``fresh=False`` on a resume past it), the volumes to erase and the article 68
    materials."""
    from govcloud.runbook.remote.transfer import inventory_endpoints
    from govcloud.runbook.steps.erase import load_volumes
    from govcloud.runbook.steps.materials import INPUT_SCHEMA
    from govcloud.schemas import load_checked

    hosts = inventory_endpoints(Path(params["inventory"]))
    vf = load_volumes(params["volumes"])
    load_checked(params["materials"], INPUT_SCHEMA)
    if vf.system != params["system"]:
        raise InputError.one(params["volumes"], "system", f"the volumes of system {params['system']!r}, "
                                                          f"got {vf.system!r}")
    unknown = sorted({v.host for v in vf.volumes} - set(hosts))
    if unknown:
        raise InputError.one(params["volumes"], "hosts", f"hosts of the inventory {params['inventory']}; "
                                                         f"not there: {', '.join(unknown)}")
    exit_evidence(params, fresh=fresh)
