"""Fixtures for contract tests: the real seed contract and editable copies of it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest

from govcloud.paths import DEFAULT_CONTRACT


@pytest.fixture(scope="session")
def seed_text() -> str:
    return DEFAULT_CONTRACT.read_text(encoding="utf-8")


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``directory`` with its size and mtime: proves a command wrote nothing."""
    out = {}
    for root, _dirs, files in os.walk(directory):
        for name in files:
            p = Path(root) / name
            st = p.stat()
            out[str(p.relative_to(directory))] = (st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture
def write_copy(tmp_path: Path, seed_text: str) -> Callable[..., Path]:
    """Write the seed with text replacements applied; each replacement must match exactly once."""

    def _write(*replacements: tuple[str, str], name: str = "contract.yaml", text: str | None = None) -> Path:
        body = seed_text if text is None else text
        for old, new in replacements:
            assert body.count(old) == 1, f"replacement target must occur once: {old!r}"
            body = body.replace(old, new)
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        return path

    return _write
