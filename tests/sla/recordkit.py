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


#: the carrier month's records (scenarios.CARRIER, 18 March 14:00-16:30): INC-61 the carrier's core network
#: (article 61) on hearing and disclosure, INC-7 the provider's on archive, acknowledged 18 minutes after detection
CARRIER_INCIDENTS = """
    kind: govcloud/sla-incidents
    version: 1
    incidents:
      - id: INC-61
        systems: [hearing, disclosure]
        cause: carrier-core-network
        detected: "2026-03-18T14:05:00+08:00"
        acknowledged: "2026-03-18T14:10:00+08:00"
        isolated: "2026-03-18T14:12:00+08:00"
        resolved: "2026-03-18T16:20:00+08:00"
      - id: INC-7
        systems: [archive]
        cause: provider
        detected: "2026-03-18T14:02:00+08:00"
        acknowledged: "2026-03-18T14:20:00+08:00"
        isolated: "2026-03-18T14:25:00+08:00"
        resolved: "2026-03-18T16:30:00+08:00"
    """


def maint_changes() -> str:
    """The maint month's change records (scenarios.MAINTENANCE): CHG-1 approved two days before its window,
    CHG-2 not approved."""
    from .scenarios import MAINT_WINDOW, UNAPPROVED_WINDOW

    def at(seconds: int) -> str:
        return datetime.fromtimestamp(seconds, BJ).isoformat()

    return f"""
    kind: govcloud/sla-changes
    version: 1
    changes:
      - id: CHG-1
        systems: [records]
        start: "{at(MAINT_WINDOW[0])}"
        end: "{at(MAINT_WINDOW[1])}"
        change: 数据库补丁
        approved: {{by: 李娜, at: "2026-03-05T10:00:00+08:00"}}
      - id: CHG-2
        systems: [records]
        start: "{at(UNAPPROVED_WINDOW[0])}"
        end: "{at(UNAPPROVED_WINDOW[1])}"
        change: 未经批准的重启
        approved: false
    """
