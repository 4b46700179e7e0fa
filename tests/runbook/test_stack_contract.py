"""A run works under the contract its stack names, never the default behind the stack's back (issue 14)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from govcloud.errors import GovcloudError
from govcloud.paths import DEFAULT_CONTRACT, PROJECT_ROOT
from govcloud.runbook.steps.stack_contract import run_contract, run_contracted

ROOT = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path, number: str) -> Path:
    """A project folder with stack ``alt`` naming a copy of the contract numbered ``number``."""
    text = DEFAULT_CONTRACT.read_text(encoding="utf-8")
    assert 'number: "2025095"' in text
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "alt.yaml").write_text(text.replace('number: "2025095"', f'number: "{number}"', 1),
                                                     encoding="utf-8")
    shutil.copy(PROJECT_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    lab = (PROJECT_ROOT / "Pulumi.lab.yaml").read_text(encoding="utf-8")
    (tmp_path / "Pulumi.alt.yaml").write_text(
        lab.replace("govcloud:contract: contracts/2025095.yaml", "govcloud:contract: contracts/alt.yaml"),
        encoding="utf-8")
    return tmp_path


def test_the_stacks_contract_not_the_default(tmp_path: Path) -> None:
    project = _project(tmp_path, "2025095-ALT")
    assert run_contract({"stack": "alt"}, project_dir=project).number == "2025095-ALT"
    assert run_contract({"stack": "lab"}).number == "2025095"


def test_a_steps_own_contract_file_first(tmp_path: Path) -> None:
    project = _project(tmp_path, "2025095-ALT")
    got = run_contract({"stack": "lab"}, {"contract": str(project / "contracts" / "alt.yaml")})
    assert got.number == "2025095-ALT"


def test_no_stack_the_default_and_the_ledgers_day() -> None:
    c = run_contracted({})
    assert c.contract.number == "2025095" and c.day_from == "today"
    assert c.contract.term.start <= c.on <= c.contract.term.end


def test_a_missing_stack_is_an_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(GovcloudError, match=r"Pulumi\.nope\.yaml.*no such stack file"):
        run_contract({"stack": "nope"}, project_dir=_project(tmp_path, "X"))


def test_timeline_command_takes_the_stacks_contract() -> None:
    out = subprocess.run([sys.executable, "-m", "govcloud.cli", "runbook", "timeline", "--stack", "lab",
                          "--trigger", "expiry", "--on", "2026-05-31", "--format", "json"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert '"contract": "2025095"' in out.stdout
    both = subprocess.run([sys.executable, "-m", "govcloud.cli", "runbook", "timeline", "--stack", "lab",
                           "--contract", str(DEFAULT_CONTRACT), "--trigger", "expiry", "--on", "2026-05-31"],
                          cwd=ROOT, capture_output=True, text=True)
    assert both.returncode == 1 and "not allowed with argument" in both.stderr
