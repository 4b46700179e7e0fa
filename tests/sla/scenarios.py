"""Synthetic months of blackbox probes, one Prometheus job per scenario, at a 60 s probe interval (a month of
one target is ~46k samples: small enough to backfill in seconds, fine enough for minute-exact figures).

Each scenario writes down the times that matter (Beijing time) as constants; the tests compute what they expect
from these, not from the code under test. Every series runs from a day before its first month to a day after
its last, so the report's lookback day and the last sample's reach are covered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from govcloud.sla.clock import month

from .promserver import Series

BJ = timezone(timedelta(hours=8))
STEP = 60  # seconds between probes
DAY = 86_400
MIN = 60


def bj(text: str) -> int:
    """``2026-03-10 10:00`` Beijing time as epoch seconds."""
    return int(datetime.fromisoformat(text).replace(tzinfo=BJ).timestamp())


@dataclass(frozen=True)
class P:
    """A probe of a scenario: id, target, critical; its down and missing stretches (epoch seconds)."""

    id: str
    target: str
    critical: bool = True
    down: tuple[tuple[int, int], ...] = ()
    missing: tuple[tuple[int, int], ...] = ()
    offset: int = 0


@dataclass(frozen=True)
class S:
    id: str
    name_zh: str
    probes: tuple[P, ...]
    important: bool = False
    down_when: str = "any-critical"


@dataclass(frozen=True)
class Scenario:
    job: str
    months: tuple[str, ...]
    systems: tuple[S, ...]
    open_after: int = 2
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def span_s(self) -> tuple[int, int]:
        return month(self.months[0]).start_ms // 1000 - DAY, month(self.months[-1]).end_ms // 1000 + DAY

    def series(self) -> list[Series]:
        a, b = self.span_s
        return [Series(self.job, p.target, a, b, STEP, p.offset, p.down, p.missing)
                for s in self.systems for p in s.probes]

    def systems_doc(self) -> dict[str, Any]:
        return {"kind": "govcloud/sla-systems", "version": 1, "interval_seconds": STEP, "open_after": self.open_after,
                "job": self.job,
                "systems": [{"id": s.id, "name_zh": s.name_zh, "important": s.important, "down_when": s.down_when,
                             "probes": [{"id": p.id, "module": "tcp_connect" if "://" not in p.target else "http_2xx",
                                         "target": p.target, "critical": p.critical} for p in s.probes]}
                            for s in self.systems]}


def five(down: dict[str, list[tuple[int, int]]] | None = None) -> tuple[S, ...]:
    """Five systems, six probes (litigation's SSH probe is not critical)."""
    d = {k: tuple(v) for k, v in (down or {}).items()}
    return (
        S("litigation", "诉讼服务", (P("lit-http", "http://10.0.0.1:80/", True, d.get("lit-http", ())),
                                     P("lit-ssh", "10.0.0.1:22", False, d.get("lit-ssh", ()))), important=True),
        S("hearing", "在线庭审", (P("hear-http", "http://10.0.0.2:80/", True, d.get("hear-http", ())),), important=True),
        S("disclosure", "审判信息网网上公开", (P("disc-http", "http://10.0.0.3:80/", True, d.get("disc-http", ())),)),
        S("archive", "档案管理", (P("arch-pg", "10.0.0.4:5432", True, d.get("arch-pg", ())),)),
        S("office", "协同办公", (P("off-http", "http://10.0.0.5:80/", True, d.get("off-http", ())),)),
    )


# ------------------------------------------------------------------------------------------ scenarios
CLEAN = Scenario("clean", ("2026-03",), five())

GAP20 = (bj("2026-03-10 10:00"), bj("2026-03-10 10:20"))
GAPDOWN_GAP = (bj("2026-03-11 10:00"), bj("2026-03-11 10:20"))
GAPDOWN_DOWN = (bj("2026-03-12 08:00"), bj("2026-03-12 08:10"))
GAP3 = (bj("2026-03-13 10:00"), bj("2026-03-13 10:03"))
ONE_MISSED = (bj("2026-03-14 10:00"), bj("2026-03-14 10:01"))  # one scrape missed: not a gap
GAP = Scenario("gap", ("2026-03",), (
    S("gap20", "二十分钟无样本", (P("g20", "10.1.0.1:22", missing=(GAP20,)),)),
    S("gapdown", "无样本且中断", (P("gd", "10.1.0.2:22", down=(GAPDOWN_DOWN,), missing=(GAPDOWN_GAP,)),)),
    S("gap3", "三分钟无样本", (P("g3", "10.1.0.3:22", missing=(GAP3, ONE_MISSED)),)),
))

BOUNDARY = bj("2026-04-01 00:00")  # 2026-03-31T16:00Z
ALIGNED_DOWN = (BOUNDARY - 60 * MIN, BOUNDARY + 90 * MIN)  # samples on whole minutes: one exactly at the boundary
OFFSET_DOWN = (BOUNDARY - 45 * MIN, BOUNDARY + 15 * MIN)  # samples at :30 of each minute
MIDNIGHT = Scenario("midnight", ("2026-03", "2026-04"), (
    S("aligned", "整分探测", (P("al", "10.2.0.1:443", down=(ALIGNED_DOWN,)),)),
    S("offset", "半分探测", (P("of", "10.2.0.2:443", down=(OFFSET_DOWN,), offset=30),)),
))

FLAP_SINGLES = tuple((bj(f"2026-03-{d:02d} {h:02d}:00"), bj(f"2026-03-{d:02d} {h:02d}:01"))
                     for d in range(1, 26) for h in (2, 8, 14, 20))  # 100 single failed probes
FLAP_DOUBLE = (bj("2026-03-28 12:00"), bj("2026-03-28 12:02"))  # two in a row: one outage
FLAP_MISSED = (bj("2026-03-29 12:00"), bj("2026-03-29 12:01"))
FLAPPING = Scenario("flap", ("2026-03",), (
    S("flappy", "抖动", (P("fl", "10.3.0.1:22", down=FLAP_SINGLES + (FLAP_DOUBLE,), missing=(FLAP_MISSED,)),)),
))

A_DOWN = (bj("2026-03-12 09:00"), bj("2026-03-12 11:30"))  # hearing + disclosure: 2 of 5 = 40% for 150 min
A_SHORT = (bj("2026-03-20 10:00"), bj("2026-03-20 11:00"))  # three of five for 60 min: too short
A_119 = (bj("2026-03-25 09:00"), bj("2026-03-25 10:59"))  # litigation + office 40% for 119 min: too short
A_EVENT = Scenario("aevent", ("2026-03",), five({
    "hear-http": [A_DOWN, A_SHORT], "disc-http": [A_DOWN, A_SHORT], "arch-pg": [A_SHORT],
    "lit-http": [A_119], "off-http": [A_119]}))

B_DOWN = (bj("2026-01-15 02:00"), bj("2026-01-15 04:30"))  # litigation: 1 of 5 = 20% for 150 min
B_120 = (bj("2026-01-25 10:00"), bj("2026-01-25 12:00"))  # hearing: exactly 120 min, an event
B_119 = (bj("2026-01-20 10:00"), bj("2026-01-20 11:59"))  # office: 119 min, not one
B_SSH = (bj("2026-01-05 10:00"), bj("2026-01-05 10:30"))  # litigation's SSH, not critical
B_EVENT = Scenario("bevent", ("2026-01",), five({
    "lit-http": [B_DOWN], "lit-ssh": [B_SSH], "hear-http": [B_120], "off-http": [B_119]}))

MAINT_DOWN = (bj("2026-03-08 01:00"), bj("2026-03-08 03:40"))
MAINT_WINDOW = (bj("2026-03-08 00:30"), bj("2026-03-08 03:30"))  # approved
UNAPPROVED_DOWN = (bj("2026-03-09 01:00"), bj("2026-03-09 01:30"))
UNAPPROVED_WINDOW = (bj("2026-03-09 00:45"), bj("2026-03-09 01:45"))
MAINTENANCE = Scenario("maint", ("2026-03",), (
    S("records", "档案", (P("m1", "10.4.0.1:5432", down=(MAINT_DOWN, UNAPPROVED_DOWN)),)),
    S("quiet", "安静", (P("m2", "10.4.0.2:5432"),)),
))

CARRIER_DOWN = (bj("2026-03-18 14:00"), bj("2026-03-18 16:30"))  # hearing, disclosure (carrier) and archive
CARRIER = Scenario("carrier", ("2026-03",), five({
    "hear-http": [CARRIER_DOWN], "disc-http": [CARRIER_DOWN], "arch-pg": [CARRIER_DOWN]}))

# samples at :30 of each minute: a failure at 23:59:30 reaches 30 s into the next day, which is otherwise all up
# (passed on its day figures, not read): the read must still give that day its first 30 s down
EDGE_BEFORE = (bj("2026-02-28 23:59:30"), bj("2026-02-28 23:59:31"))  # the read's first day (lookback), into March
EDGE_LEAK = (bj("2026-03-10 23:59:30"), bj("2026-03-10 23:59:31"))  # into 11 March
EDGE_GAP = (bj("2026-03-15 23:50"), bj("2026-03-16 00:10"))  # 20 samples missing across midnight
EDGE = Scenario("edge", ("2026-03",), (
    S("edge", "边界", (P("ed", "10.5.0.1:22", down=(EDGE_BEFORE, EDGE_LEAK), missing=(EDGE_GAP,), offset=30),)),
))

ALL = (CLEAN, GAP, MIDNIGHT, FLAPPING, A_EVENT, B_EVENT, MAINTENANCE, CARRIER, EDGE)
