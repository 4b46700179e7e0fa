"""What every command shares is declared once (issue 14): the exit codes (``govcloud/exitcodes.py``),
``--format`` and its choices (``govcloud/cliargs.py``), the command table (``govcloud/commandtable.py``)."""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

from govcloud.cli import build_parser
from govcloud.cliargs import FORMATS
from govcloud.exitcodes import Exit

PACKAGE = Path(__file__).resolve().parents[1] / "govcloud"


def _sources() -> dict[str, str]:
    return {str(p.relative_to(PACKAGE.parent)): p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py")}


def test_exit_codes_are_assigned_in_one_module() -> None:
    where = []
    for name, text in _sources().items():
        for node in ast.walk(ast.parse(text)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
                if isinstance(node, ast.AnnAssign) else []
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name) and re.fullmatch(r"EXIT_(OK|ERROR|FINDINGS|WAITING)", n.id):
                        where.append(f"{name}:{node.lineno}")
    assert where and all(w.startswith("govcloud/exitcodes.py:") for w in where), where
    assert [int(e) for e in Exit] == [0, 1, 2, 3]


def test_format_is_declared_by_one_helper() -> None:
    literal = [name for name, text in _sources().items() if '"--format"' in text or "'--format'" in text]
    assert literal == ["govcloud/cliargs.py"], literal


def _subparsers(parser: argparse.ArgumentParser, path: str = "govcloud"):  # type: ignore[no-untyped-def]
    yield path, parser
    for act in parser._actions:
        if isinstance(act, argparse._SubParsersAction):
            for name, sub in act.choices.items():
                yield from _subparsers(sub, f"{path} {name}")


def test_every_format_option_offers_known_formats_with_their_help() -> None:
    seen = {}
    for path, p in _subparsers(build_parser()):
        for act in p._actions:
            if "--format" in act.option_strings:
                assert act.choices and set(act.choices) <= set(FORMATS), (path, act.choices)
                assert act.default in act.choices, (path, act.default)
                assert all(FORMATS[c] in act.help for c in act.choices), (path, act.help)
                seen[path] = tuple(act.choices)
    # the commands that print reports: a new one without --format is a deliberate choice, not an accident
    assert {"govcloud check", "govcloud plan", "govcloud diff", "govcloud verify-hosts", "govcloud deadline",
            "govcloud contract show", "govcloud runbook status", "govcloud runbook timeline"} <= set(seen), seen
