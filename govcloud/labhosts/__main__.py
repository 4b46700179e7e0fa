"""CLI for iterating by hand on lab test hosts.

    python -m govcloud.labhosts build                      # build/reuse the base image
    python -m govcloud.labhosts up 3 --names web1,web2,db1 --group db=db1 --state /tmp/mylab
    python -m govcloud.labhosts up --from-stack inventory/lab-hosts.json --group db=lab-db-01 --state /tmp/stacklab
    python -m govcloud.labhosts ssh --state /tmp/mylab db1 -- sudo systemctl status
    python -m govcloud.labhosts status --state /tmp/mylab
    python -m govcloud.labhosts down --state /tmp/mylab
    python -m govcloud.labhosts cleanup [--all] [--prune]  # remove leftovers of dead labs (and old bases)

Exit codes: 0 ok, 1 error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path

from .base import ensure_base
from .cleanup import cleanup
from .errors import LabError
from .lab import Lab


def _groups(values: list[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for v in values:
        name, _, members = v.partition("=")
        if not name or not members:
            raise LabError(f"--group {v!r}: expected GROUP=host1,host2")
        groups.setdefault(name, []).extend(m for m in members.split(",") if m)
    return groups


def cmd_build(args: argparse.Namespace) -> int:
    base = ensure_base(rebuild=args.rebuild)
    print(base.rootfs)
    return 0


def _from_stack(path: Path) -> tuple[list[str], dict[str, list[str]], dict[str, dict]]:
    """Names, groups and host vars (add-ons, role) of a stack-outputs file's hosts."""
    from govcloud.errors import GovcloudError
    from govcloud.hosts.inventory import load_stack_hosts

    try:
        hosts = load_stack_hosts(path)
    except GovcloudError as exc:
        raise LabError(str(exc)) from None
    groups: dict[str, list[str]] = {}
    for h in hosts:
        for g in sorted({*h.groups, *([h.role] if h.role else [])}):
            groups.setdefault(g, []).append(h.name)
    host_vars = {h.name: {"govcloud_addons": list(h.addons), "govcloud_role": h.role,
                          "govcloud_flavor": h.flavor, "govcloud_system": h.system} for h in hosts}
    return [h.name for h in hosts], groups, host_vars


def cmd_up(args: argparse.Namespace) -> int:
    names = [n for n in args.names.split(",") if n] if args.names else None
    groups, host_vars = _groups(args.group), {}
    if args.from_stack:
        names, stack_groups, host_vars = _from_stack(args.from_stack)
        for g, members in stack_groups.items():
            groups.setdefault(g, []).extend(members)
    elif args.n is None:
        raise LabError("up: give N, or --from-stack FILE")
    lab = Lab.start(None if args.from_stack else args.n, names=names, groups=groups, host_vars=host_vars,
                    state_dir=args.state, persistent=True)
    inv = lab.state_dir / "inventory.yml"
    print(f"lab {lab.id} up: {len(lab.hosts)} host(s), subnet {lab.record.subnet}")
    print(f"inventory: {inv}")
    print(f"  .venv/bin/govcloud harden --inventory {inv}     # site.yml + evidence")
    print("  (plain ansible: add inventory/group_vars with a source beside a group_vars link; see .lab-ready)")
    for h in lab.hosts:
        print(f"  ssh -F {lab.state_dir / 'ssh_config'} {h.name}    # {h.address}")
    print(f"down: python -m govcloud.labhosts down --state {lab.state_dir}")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    lab = Lab.attach(args.state)
    problems = lab.stop()
    print(f"lab {lab.id} down" + (f" with problems: {problems}" if problems else ""))
    return 1 if problems else 0


def cmd_status(args: argparse.Namespace) -> int:
    lab = Lab.attach(args.state)
    out = []
    for h in lab.hosts:
        r = lab.ssh(h, "systemctl is-system-running", check=False, timeout=15)
        out.append({"name": h.name, "address": h.address, "state": r.stdout.strip() or r.stderr.strip()})
    print(json.dumps({"id": lab.id, "subnet": lab.record.subnet, "hosts": out}, indent=2))
    return 0


def cmd_ssh(args: argparse.Namespace) -> int:
    lab = Lab.attach(args.state)
    if not args.command:
        os.execvp("ssh", list(lab.host(args.host).ssh_args))
    r = lab.ssh(args.host, " ".join(args.command), check=False)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    return r.returncode


def cmd_cleanup(args: argparse.Namespace) -> int:
    for line in cleanup(everything=args.all, prune=args.prune) or ["nothing to clean"]:
        print(line)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m govcloud.labhosts", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build (or reuse) the cached Debian 12 base")
    b.add_argument("--rebuild", action="store_true")
    b.set_defaults(func=cmd_build)
    u = sub.add_parser("up", help="boot N hosts and leave them running")
    u.add_argument("n", type=int, nargs="?", help="number of hosts (not with --from-stack)")
    u.add_argument("--from-stack", type=Path, metavar="HOSTS.json",
                   help="boot the hosts of a stack-outputs file (e.g. inventory/lab-hosts.json): "
                        "their names, groups, role and add-ons (govcloud_addons)")
    u.add_argument("--names", help="comma-separated host names (default host1..hostN)")
    u.add_argument("--group", action="append", default=[], metavar="GROUP=h1,h2",
                   help="inventory group (repeatable)")
    u.add_argument("--state", required=True, type=Path, help="state dir (overlays, key, inventory)")
    u.set_defaults(func=cmd_up)
    d = sub.add_parser("down", help="power off and remove a lab")
    d.add_argument("--state", required=True, type=Path)
    d.set_defaults(func=cmd_down)
    s = sub.add_parser("status", help="systemctl is-system-running on each host")
    s.add_argument("--state", required=True, type=Path)
    s.set_defaults(func=cmd_status)
    x = sub.add_parser("ssh", help="ssh to a host (interactive without a command)")
    x.add_argument("--state", required=True, type=Path)
    x.add_argument("host")
    x.add_argument("command", nargs=argparse.REMAINDER)
    x.set_defaults(func=cmd_ssh)
    c = sub.add_parser("cleanup", help="remove leftovers of dead labs")
    c.add_argument("--all", action="store_true", help="also labs of live owners and `up` labs")
    c.add_argument("--prune", action="store_true", help="delete cached bases no live lab uses (old package lists)")
    c.set_defaults(func=cmd_cleanup)
    args = p.parse_args(argv)
    if getattr(args, "command", None) and args.command[:1] == ["--"]:
        args.command = args.command[1:]
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run finalizers on SIGTERM too
    try:
        return args.func(args)
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
