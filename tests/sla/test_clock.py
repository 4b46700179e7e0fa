"""Calendar periods in Asia/Shanghai (govcloud/sla/clock.py): midnight is 16:00 UTC, a month is not 30 days."""

from __future__ import annotations

import argparse
from datetime import date, datetime, timezone

import pytest

from govcloud.contract.loader import load_contract
from govcloud.errors import GovcloudError
from govcloud.sla.clock import (
    PeriodError,
    days,
    local_date,
    local_iso,
    midnight_ms,
    month,
    month_of,
    months,
    quarter,
    quarter_of,
    quarters,
    term,
)
from govcloud.sla.model import Interval

from .recordkit import ROOT


def iso(ms: int) -> str:
    """An instant as UTC, to check the periods' instants (Beijing midnight is 16:00 UTC the day before)."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp() * 1000)


def test_a_month_starts_at_beijing_midnight_which_is_1600_utc_the_day_before() -> None:
    m = month("2026-03")
    assert (iso(m.start_ms), iso(m.end_ms), m.label) == ("2026-02-28T16:00:00Z", "2026-03-31T16:00:00Z", "2026-03")
    assert midnight_ms(date(2026, 3, 1)) == utc("2026-02-28 16:00:00")


@pytest.mark.parametrize("label, days_in", [("2026-02", 28), ("2028-02", 29), ("2026-03", 31), ("2026-04", 30),
                                            ("2025-12", 31)])
def test_a_calendar_month_is_its_own_length_not_30_days(label: str, days_in: int) -> None:
    m = month(label)
    assert m.ms == days_in * 86_400_000
    assert m.minutes == days_in * 1440
    assert len(days(m)) == days_in


def test_december_runs_into_the_next_year() -> None:
    m = month("2025-12")
    assert (iso(m.start_ms), iso(m.end_ms)) == ("2025-11-30T16:00:00Z", "2025-12-31T16:00:00Z")


def test_consecutive_months_share_their_boundary_and_an_instant_is_in_exactly_one() -> None:
    mar, apr = month("2026-03"), month("2026-04")
    assert mar.end_ms == apr.start_ms
    b = apr.start_ms
    assert (mar.contains(b), apr.contains(b), mar.contains(b - 1)) == (False, True, True)
    assert month_of(b).label == "2026-04" and month_of(b - 1).label == "2026-03"


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "2026-3", "26-03", "March", "", "2026-03-01", "1969-12"])
def test_a_bad_month_is_a_clear_error(bad: str) -> None:
    with pytest.raises(PeriodError) as exc:
        month(bad)
    assert "expected a calendar month as YYYY-MM (e.g. 2026-03)" in str(exc.value)
    assert repr(bad) in str(exc.value)
    assert isinstance(exc.value, GovcloudError) and isinstance(exc.value, ValueError)


def test_month_works_as_an_argparse_type() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--month", type=month)
    assert p.parse_args(["--month", "2026-03"]).month == month("2026-03")


def test_days_are_beijing_days() -> None:
    d = days(month("2026-03"))
    assert d[0].label == "2026-03-01" and iso(d[0].start_ms) == "2026-02-28T16:00:00Z"
    assert d[-1].label == "2026-03-31" and d[-1].end_ms == month("2026-03").end_ms
    assert all(x.ms == 86_400_000 for x in d)
    assert all(a.end_ms == b.start_ms for a, b in zip(d, d[1:]))


def test_a_period_not_starting_at_midnight_has_a_short_first_day() -> None:
    start = midnight_ms(date(2026, 3, 1)) + 22 * 3_600_000  # 22:00 Beijing
    d = days(Interval(start, midnight_ms(date(2026, 3, 3))))
    assert [(x.label, x.ms // 3_600_000) for x in d] == [("2026-03-01", 2), ("2026-03-02", 24)]


def test_quarters_and_the_term() -> None:
    q = quarter("2026-Q1")
    assert (iso(q.start_ms), iso(q.end_ms), q.label) == ("2025-12-31T16:00:00Z", "2026-03-31T16:00:00Z", "2026-Q1")
    assert quarter_of(month("2026-05").start_ms).label == "2026-Q2"
    with pytest.raises(PeriodError, match="YYYY-QN"):
        quarter("2026-Q5")
    t = term(load_contract(ROOT / "contracts" / "2025095.yaml"))  # article 13: 2025-06-01..2026-05-31, both included
    assert (iso(t.start_ms), iso(t.end_ms)) == ("2025-05-31T16:00:00Z", "2026-05-31T16:00:00Z")
    assert [m.label for m in months(t)] == ["2025-06", "2025-07", "2025-08", "2025-09", "2025-10", "2025-11",
                                            "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    assert [q.label for q in quarters(t)] == ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert quarters(t)[0].ms == 30 * 86_400_000  # June only: the term starts in the quarter's last month
    assert sum(m.ms for m in months(t)) == t.ms == 365 * 86_400_000


def test_local_time_helpers() -> None:
    b = month("2026-04").start_ms
    assert local_date(b) == date(2026, 4, 1) and local_date(b - 1) == date(2026, 3, 31)
    assert local_iso(b) == "2026-04-01T00:00:00+08:00"
    assert local_iso(b + 1500) == "2026-04-01T00:00:01.500+08:00"
