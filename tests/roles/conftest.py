"""Shared fixtures for the static checks of playbooks/ (no hosts needed)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PLAYBOOKS = REPO / "playbooks"
ROLES = PLAYBOOKS / "roles"
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def controls() -> list[dict]:
    return yaml.safe_load((PLAYBOOKS / "controls.yml").read_text())["controls"]


@pytest.fixture(scope="session")
def role_names() -> list[str]:
    return sorted(p.name for p in ROLES.iterdir() if (p / "tasks" / "main.yml").exists())
