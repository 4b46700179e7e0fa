"""Fixtures in the real Pulumi CLI's shapes (``data/``, sources in ``data/README.md``) and the
exports our own writer makes of the same stacks, to hold them against."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
LAB_EXPORT = DATA / "lab-stack-export.json"
LAB_INTERRUPTED = DATA / "lab-stack-export-interrupted.json"
LAB_PREVIEW = DATA / "lab-preview-update.json"
LAB_PREVIEW_DEFAULT = DATA / "lab-preview-default.json"
LAB_REFRESH = DATA / "lab-refresh-preview.json"
GOVCLOUD = [sys.executable, "-m", "govcloud.cli"]


def govcloud(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GOVCLOUD, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def export_of(stack: str, path: Path) -> Path:
    out = govcloud("plan", "--stack", stack, "--export-state", str(path), "--format", "json")
    assert out.returncode in (0, 2), out.stderr  # lab is under the contract by design: exit 2
    return path


@pytest.fixture(scope="session")
def lab_written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lab stack as ``govcloud plan --export-state`` writes it."""
    return export_of("lab", tmp_path_factory.mktemp("written") / "lab-export.json")


@pytest.fixture(scope="session")
def prod_written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_of("prod", tmp_path_factory.mktemp("written") / "prod-export.json")
