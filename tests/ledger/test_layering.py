"""The ledger sits below state, tenancy, plan and checks (ARCHITECTURE.md, layers): read from the source,
until import-linter contracts in ``pyproject.toml`` hold it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "govcloud"
ABOVE_LEDGER = ("plan", "checks", "state", "tenancy", "hosts", "runbook", "labhosts", "cli", "cliargs", "commands")


def imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


@pytest.mark.parametrize("module", sorted((PACKAGE / "ledger").glob("*.py")), ids=lambda p: p.name)
def test_the_ledger_imports_nothing_above_it(module: Path) -> None:
    bad = {m for m in imports(module) for layer in ABOVE_LEDGER if m == f"govcloud.{layer}" or
           m.startswith(f"govcloud.{layer}.")}
    assert not bad, f"{module.name} imports {sorted(bad)}"


def test_checks_do_not_import_plan_and_the_counting_table_left_plan() -> None:
    assert not (PACKAGE / "plan" / "mapping.py").exists()
    for module in sorted((PACKAGE / "checks").glob("*.py")):
        assert not {m for m in imports(module) if m.startswith("govcloud.plan")}, module.name
