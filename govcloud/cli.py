"""``govcloud`` command line: one sub-command module per capability.

Exit codes (as ``terraform plan -detailed-exitcode``): 0 clean, 2 findings, 1 error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from datetime import date
from typing import Sequence

from govcloud import __version__
from govcloud.errors import GovcloudError

EXIT_OK, EXIT_ERROR, EXIT_FINDINGS = 0, 1, 2

# Each module exposes ``register(subparsers)``; handlers are ``args.func(args) -> int``.
# The sub-commands each module registers (tests/checks/test_cli.py holds the table to the modules): a run
# of one command imports only its module, so `govcloud check` does not pay for Ansible's or Pulumi's.
COMMANDS: dict[str, tuple[str, ...]] = {
    "govcloud.contract.commands": ("contract",),
    "govcloud.commands.deadline": ("deadline",),
    "govcloud.plan.commands": ("plan",),
    "govcloud.plan.automation": ("preview", "up", "refresh"),
    "govcloud.checks.commands": ("check",),
    "govcloud.checks.diff_commands": ("diff",),
    "govcloud.hosts.cli": ("harden", "verify-hosts"),
    "govcloud.runbook.commands": ("runbook",),
}
COMMAND_MODULES = tuple(COMMANDS)


def parse_date(text: str) -> date:
    """argparse type for YYYY-MM-DD dates."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _module_of(argv: Sequence[str]) -> str | None:
    """The module registering the sub-command ``argv`` names (its first word), if it is one."""
    if not argv or argv[0].startswith("-"):
        return None
    return next((m for m, names in COMMANDS.items() if argv[0] in names), None)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every sub-command, or only those of module ``only``."""
    parser = argparse.ArgumentParser(
        prog="govcloud",
        description="Contract-as-code for the government-cloud tenancy of contract 2025095.",
        epilog="Exit codes: 0 compliant/clean, 2 findings, 1 error.",
    )
    parser.add_argument("--version", action="version", version=f"govcloud {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES if only is None else (only,):
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(_module_of(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except GovcloudError as exc:
        print(f"govcloud: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("govcloud: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
