"""Real exports for the checks: the prod program run under the SDK's mock runtime and saved by
``govcloud plan --export-state`` as a version 3 deployment (no cloud exists here: that export is
the deployed state the tests then edit to make each kind of finding)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOVCLOUD = [sys.executable, "-m", "govcloud.cli"]


def govcloud(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GOVCLOUD, *args], cwd=ROOT, capture_output=True, text=True, check=check, timeout=300)


@pytest.fixture(scope="session")
def prod_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exports") / "prod-export.json"
    out = govcloud("plan", "--stack", "prod", "--export-state", str(path), "--format", "json")
    assert out.returncode == 0, out.stderr
    return path


@pytest.fixture(scope="session")
def prod_doc(prod_export: Path) -> dict[str, Any]:
    return json.loads(prod_export.read_text(encoding="utf-8"))


@pytest.fixture
def edited(prod_doc: dict[str, Any], tmp_path: Path) -> Callable[[Callable[[dict[str, Any]], None]], Path]:
    """Write a copy of the prod export after ``edit(doc)`` changed it."""

    def _make(edit: Callable[[dict[str, Any]], None], name: str = "deployed.json") -> Path:
        doc = copy.deepcopy(prod_doc)
        edit(doc)
        path = tmp_path / name
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        return path

    return _make


def resources(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["deployment"]["resources"]


def find(doc: dict[str, Any], suffix: str) -> dict[str, Any]:
    return next(r for r in resources(doc) if r["urn"].endswith(suffix))


def check_json(state: Path, declared: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    out = govcloud("check", "--stack", "prod", "--state", str(state), "--declared", str(declared),
                   "--format", "json", *extra)
    report = json.loads(out.stdout) if out.stdout.strip() else {}
    return out.returncode, report, out.stderr
