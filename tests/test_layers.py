"""The layers, held by a tool (issue 14): import-linter's contracts in pyproject.toml.

base -> contract -> ledger -> state/tenancy -> hosts -> plan/checks/runbook -> the CLI, the runbook
package as steps over remote over engine, and no import cycle between siblings anywhere. The second
test proves the contracts bite: one upward import put into a copy of the package breaks them, and
the report names it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as c; "
                              "sys.exit(c.main(args=sys.argv[1:], standalone_mode=False))", "--no-cache"]


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LINT, str(cwd / "pyproject.toml")], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_import_contracts_kept() -> None:
    out = _lint(ROOT)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "Contracts: 3 kept, 0 broken." in out.stdout, out.stdout[-2000:]


def test_an_upward_import_breaks_them(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "govcloud", tmp_path / "govcloud", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    ledger = tmp_path / "govcloud" / "ledger" / "judgement.py"
    ledger.write_text(ledger.read_text(encoding="utf-8") + "\nfrom govcloud.checks import findings  # upward\n",
                      encoding="utf-8")
    out = _lint(tmp_path)
    assert out.returncode == 1, out.stdout[-2000:]
    assert "govcloud.ledger is not allowed to import govcloud.checks" in out.stdout, out.stdout[-3000:]
    assert "govcloud.ledger.judgement -> govcloud.checks.findings" in out.stdout
