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
COMMAND_MODULES = (
    "govcloud.contract.commands",
    "govcloud.commands.deadline",
    "govcloud.plan.commands",
    "govcloud.plan.automation",
    "govcloud.checks.commands",
    "govcloud.checks.diff_commands",
    "govcloud.hosts.cli",
    "govcloud.runbook.commands",
)


def parse_date(text: str) -> date:
    """argparse type for YYYY-MM-DD dates."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govcloud",
        description="Contract-as-code for the government-cloud tenancy of contract 2025095.",
        epilog="Exit codes: 0 compliant/clean, 2 findings, 1 error.",
    )
    parser.add_argument("--version", action="version", version=f"govcloud {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
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
