"""Where the project's data lives: schemas, contracts, stacks, playbooks."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = PROJECT_ROOT / "schemas"
CONTRACTS_DIR = PROJECT_ROOT / "contracts"
DEFAULT_CONTRACT = CONTRACTS_DIR / "2025095.yaml"
