"""What the record tests share: the real contract, a systems table, and record files written as a person
writes them (times in Beijing time, +08:00)."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path

from govcloud.contract.loader import load_contract
from govcloud.contract.model import Contract
from govcloud.sla.model import ms_of

ROOT = Path(__file__).resolve().parents[2]
BJ = timezone(timedelta(hours=8))
#: system id -> important (article 10)
SYSTEMS = {"litigation": True, "trial": True, "public": False, "archive": False, "office": False}


@cache
def contract() -> Contract:
    return load_contract(ROOT / "contracts" / "2025095.yaml")


def bj(text: str) -> int:
    """``2026-03-04 10:00:00`` Beijing time as epoch ms."""
    return ms_of(datetime.fromisoformat(text).replace(tzinfo=BJ))


def t(text: str) -> str:
    """``2026-03-04 10:00:00`` → ``2026-03-04T10:00:00+08:00``, as the files write it."""
    return datetime.fromisoformat(text).replace(tzinfo=BJ).isoformat()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path
