"""Sub-commands `harden` and `verify-hosts` (register them with `register(subparsers)`).

Exit codes: 0 clean, 2 findings (a control failed, an add-on missing), 1 error.
Wired into `govcloud` through `register` (govcloud/cli.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from govcloud.cliargs import add_format
from govcloud.console import make_console
from govcloud.hosts.controls import DEFAULT_CONTROL_MAP, load_control_map
from govcloud.hosts.evidence import Evidence
from govcloud.hosts.harden import harden


def register(subparsers: argparse._SubParsersAction) -> None:
    h = subparsers.add_parser(
        "harden", help="harden hosts with playbooks/site.yml and write evidence",
        description="Run playbooks/site.yml and the evidence play through ansible-runner in one run; "
                    "write per-host evidence (schemas/harden-evidence.schema.json). "
                    "Exit 0 all controls pass/waived, 2 a control failed (or would change in --check), 1 error.")
    src = h.add_mutually_exclusive_group(required=True)
    src.add_argument("--stack", help="stack whose outputs list the hosts (inventory/<stack>-hosts.json)")
    src.add_argument("--inventory", type=Path, help="an Ansible inventory file (e.g. a lab's inventory.yml)")
    mode = h.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="dry run (ansible --check): report what would change")
    mode.add_argument("--verify-only", action="store_true",
                      help="the evidence of --check from one read-only probe per host (no ansible-runner run; "
                           "for the nightly drift job): every host at once, --concurrency at a time")
    h.add_argument("--limit", help="Ansible host pattern")
    h.add_argument("--tags", help="comma-separated tags, e.g. djbh_8.1.4.1a,addon_antivirus_clamd")
    h.add_argument("--playbook", type=Path, action="append", help="playbook(s) instead of playbooks/site.yml")
    h.add_argument("--run-dir", type=Path, help="where to keep the run (default runs/harden-...)")
    h.add_argument("--evidence", type=Path, help="evidence output path (default RUN_DIR/evidence.json)")
    h.add_argument("--control-map", type=Path, default=DEFAULT_CONTROL_MAP)
    h.add_argument("--forks", type=int, default=10)
    h.add_argument("--concurrency", type=int, default=20, help="--verify-only: hosts probed at once (default 20)")
    h.add_argument("--timeout", type=float, default=60.0,
                   help="--verify-only: seconds per host before it is reported unreachable (default 60)")
    h.add_argument("-v", "--verbose", action="store_true", help="a line per changed host and task")
    h.set_defaults(func=cmd_harden)

    v = subparsers.add_parser(
        "verify-hosts", help="compliance table per host and per clause from harden evidence",
        description="The registered host checks (the add-on and control checks of `govcloud check --evidence`) "
                    "over the evidence, with the hosts and the control map's controls as tables. JSON: "
                    "schemas/verify-hosts.schema.json. Exit 0 every control pass/waived/manual/n.a. and every "
                    "add-on installed and active; 2 a control failed or has no result, an add-on missing, inactive "
                    "or not measured; 1 error.")
    v.add_argument("evidence", type=Path, metavar="EVIDENCE.json")
    add_format(v, "table", "json")
    v.add_argument("--control-map", type=Path, default=DEFAULT_CONTROL_MAP)
    v.set_defaults(func=cmd_verify_hosts)


def cmd_harden(args: argparse.Namespace) -> int:
    tags = [t for t in (args.tags or "").split(",") if t]
    if args.verify_only:
        return _verify_only(args, tags)
    outcome = harden(inventory=args.inventory, stack=args.stack, check=args.check, limit=args.limit, tags=tags,
                     playbooks=args.playbook, run_dir=args.run_dir, evidence_out=args.evidence,
                     control_map=args.control_map, console=make_console(stderr=True), verbose=args.verbose,
                     forks=args.forks)
    print(outcome.evidence_path)
    return outcome.exit_code


def _verify_only(args: argparse.Namespace, tags: list[str]) -> int:
    from govcloud.errors import GovcloudError
    from govcloud.hosts.fastpath.collect import verify_only

    if tags or args.playbook:
        raise GovcloudError("harden --verify-only reads every control of playbooks/site.yml: drop --tags/--playbook "
                            "(use --check for a filtered run)")
    if args.concurrency < 1 or not 0 < args.timeout <= 3600:
        raise GovcloudError("harden --verify-only: --concurrency must be at least 1 and --timeout 0..3600 seconds")
    outcome = verify_only(inventory=args.inventory, stack=args.stack, limit=args.limit, run_dir=args.run_dir,
                          evidence_out=args.evidence, control_map=args.control_map,
                          console=make_console(stderr=True), concurrency=args.concurrency, timeout=args.timeout)
    print(outcome.evidence_path)
    return outcome.exit_code


def cmd_verify_hosts(args: argparse.Namespace) -> int:
    from govcloud.checks.hostreport import print_table, verify_hosts, write_json

    rep = verify_hosts(Evidence.load(args.evidence), load_control_map(args.control_map))
    if args.format == "json":
        print(write_json(rep))
    else:
        print_table(rep, make_console())
    return rep.exit_code
