"""The command table of govcloud/cli.py: a command's run imports only its own module, so the table
must name exactly what each module registers."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from govcloud import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", cli.COMMAND_MODULES)
def test_table_names_what_each_module_registers(module: str) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    importlib.import_module(module).register(sub)
    assert tuple(sub.choices) == cli.COMMANDS[module]


def test_a_command_builds_only_its_module_and_help_lists_all() -> None:
    assert cli._module_of(["check", "--state", "x"]) == "govcloud.commands.check"
    assert cli._module_of(["verify-hosts", "e.json"]) == "govcloud.commands.hosts"
    assert cli._module_of(["--version"]) is None and cli._module_of([]) is None and cli._module_of(["nope"]) is None
    every = {n for names in cli.COMMANDS.values() for n in names}
    assert set(cli.build_parser()._subparsers._group_actions[0].choices) == every  # type: ignore[union-attr]
    probe = ("import sys, govcloud.cli as c; c.build_parser(c._module_of(['check'])); "
             "print(sorted(m for m in ('ansible_runner', 'pulumi', 'rich', 'jsonschema', 'govcloud.runbook.engine.run') "
             "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"`govcloud check` imports more than it needs: {out.stdout}"
