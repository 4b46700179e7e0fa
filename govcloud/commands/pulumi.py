"""``govcloud preview|up|refresh --stack NAME``: the real thing through Pulumi's Automation API.

Uses the local ``pulumi`` CLI with a local file backend by default
(``file://~/.pulumi-govcloud``; ``--backend`` or ``PULUMI_BACKEND_URL`` to change) and the
contract policy pack in ``policy/`` for preview and up. Without the CLI this exits 1 and
names the offline path, ``govcloud plan``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from govcloud.cliargs import output_file
from govcloud.paths import PROJECT_ROOT

DEFAULT_BACKEND = "file://~/.pulumi-govcloud"
POLICY_DIR = PROJECT_ROOT / "policy"
ACTIONS = ("preview", "up", "refresh")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for action in ACTIONS:
        p = sub.add_parser(action, help=f"pulumi {action} through the Automation API (needs the pulumi CLI)",
                           description=f"Runs `pulumi {action}` on the stack through the Automation API. Exit 0 "
                                       "success, 1 error (including: no pulumi CLI on PATH — then use "
                                       "`govcloud plan`).")
        p.add_argument("--stack", required=True)
        p.add_argument("--backend", default=os.environ.get("PULUMI_BACKEND_URL", DEFAULT_BACKEND),
                       help=f"state backend URL (default: {DEFAULT_BACKEND})")
        if action != "refresh":
            p.add_argument("--no-policy", action="store_true", help="do not run the contract policy pack")
        else:
            p.add_argument("--export-state", type=output_file, metavar="FILE",
                           help="after the refresh, write `pulumi stack export` (deployment version 3) here: "
                                "the deployed side for `govcloud check --state`")
        p.set_defaults(func=run_action, action=action)


def backend_url(url: str) -> str:
    """Expand ``~`` in a file backend and create its directory."""
    if url.startswith("file://"):
        path = Path(os.path.expanduser(url[len("file://"):]))
        path.mkdir(parents=True, exist_ok=True)
        return f"file://{path}"
    return url


def run_action(args: argparse.Namespace) -> int:
    if shutil.which("pulumi") is None:
        print(f"govcloud: error: no `pulumi` CLI on PATH: `govcloud {args.action}` drives it through the "
              f"Automation API. Without the CLI, run the program offline with `govcloud plan --stack "
              f"{args.stack}` (mock runtime, no cloud).", file=sys.stderr)
        return 1
    from pulumi import automation as auto

    env = {"PULUMI_BACKEND_URL": backend_url(args.backend)}
    opts = auto.LocalWorkspaceOptions(work_dir=str(PROJECT_ROOT), env_vars=env)
    try:
        stack = auto.create_or_select_stack(stack_name=args.stack, work_dir=str(PROJECT_ROOT), opts=opts)
        policy = [] if getattr(args, "no_policy", True) else [str(POLICY_DIR)]
        if args.action == "preview":
            stack.preview(on_output=print, policy_packs=policy)
        elif args.action == "up":
            stack.up(on_output=print, policy_packs=policy)
        else:
            stack.refresh(on_output=print)
            if args.export_state:
                dep = stack.export_stack()
                args.export_state.parent.mkdir(parents=True, exist_ok=True)
                args.export_state.write_text(json.dumps({"version": dep.version, "deployment": dep.deployment},
                                                        ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except auto.errors.CommandError as exc:
        print(f"govcloud: error: pulumi {args.action} failed: {exc}", file=sys.stderr)
        return 1
    return 0
