"""``govcloud`` command line: one sub-command module per capability.

Exit codes (as ``terraform plan -detailed-exitcode``): 0 clean, 2 findings, 1 error. A usage error
(an unknown option, a bad date) is an error too, exit 1, never 2: a pipeline reading 2 as "drift"
must not take a typo for one. No traceback reaches a user: an unexpected exception is one line
naming the command, its input files and what went wrong, exit 1; ``govcloud --debug …`` or
``GOVCLOUD_DEBUG=1`` prints the traceback as well.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from pathlib import Path
from typing import Any, NoReturn, Sequence

from govcloud import __version__
from govcloud.commandtable import COMMANDS
from govcloud.errors import GovcloudError
from govcloud.exitcodes import EXIT_ERROR

# Each module exposes ``register(subparsers)``; handlers are ``args.func(args) -> int``.
COMMAND_MODULES = tuple(COMMANDS)


def _module_of(argv: Sequence[str]) -> str | None:
    """The module registering the sub-command ``argv`` names (its first word after ``--debug``), if any."""
    words = [a for a in argv if a != "--debug"][:1]
    if not words or words[0].startswith("-"):
        return None
    return next((m for m, names in COMMANDS.items() if words[0] in names), None)


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error exiting 1 (argparse's own 2 means findings here)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every sub-command, or only those of module ``only``."""
    parser = _Parser(
        prog="govcloud",
        description="Contract-as-code for the government-cloud tenancy of contract 2025095.",
        epilog="Exit codes: 0 compliant/clean, 2 findings, 1 error (usage errors too).",
    )
    parser.add_argument("--version", action="version", version=f"govcloud {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="print the traceback of an unexpected error (also GOVCLOUD_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    for name in COMMAND_MODULES if only is None else (only,):
        importlib.import_module(name).register(sub)
    return parser


def _inputs(args: argparse.Namespace) -> list[str]:
    """The paths a command was given, for the one line that reports an unexpected error."""
    out: list[str] = []
    for value in vars(args).values():
        for v in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(v, Path):
                out.append(str(v))
    return out


def _unexpected(args: argparse.Namespace | None, exc: BaseException, debug: bool) -> int:
    if debug:
        traceback.print_exception(exc)
    command = " ".join(w for w in (getattr(args, "command", None), getattr(args, "action", None)) if isinstance(w, str))
    inputs = _inputs(args) if args is not None else []
    where = f" (inputs: {', '.join(inputs)})" if inputs else ""
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    hint = "" if debug else "; govcloud --debug (or GOVCLOUD_DEBUG=1) shows the traceback"
    print(f"govcloud: error: {command or 'govcloud'}{where}: unexpected {what}{hint}", file=sys.stderr)
    return EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = os.environ.get("GOVCLOUD_DEBUG", "") not in ("", "0")
    args: Any = None
    try:
        parser = build_parser(_module_of(argv))
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version (0) or a usage error (1)
            return exc.code if isinstance(exc.code, int) else EXIT_ERROR
        debug = debug or args.debug
        return int(args.func(args))
    except GovcloudError as exc:
        print(f"govcloud: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("govcloud: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of our output went away (| head)
        sys.stderr.close()
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the one place an unexpected error becomes a line, not a traceback
        return _unexpected(args, exc, debug)


if __name__ == "__main__":
    sys.exit(main())
