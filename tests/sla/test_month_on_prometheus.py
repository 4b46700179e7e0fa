"""Months judged from a real, backfilled Prometheus (``conftest.py``, ``scenarios.py``): availability, coverage,
the verdict policy, outages, annex 3 events and the termination count. Every expected figure is worked out here
from the scenario's own times, not read from the code under test."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest

from govcloud.contract.model import Contract
from govcloud.sla.availability import Availability, Excluded
from govcloud.sla.changes import load_changes, maintenance_intervals, unapproved
from govcloud.sla.clock import month
from govcloud.sla.history import load_history, standing, write_history
from govcloud.sla.incidents import excluded_intervals, load_incidents
from govcloud.sla.model import Interval, Span, State
from govcloud.sla.monthly import PeriodResult, evaluate, lookback_ms
from govcloud.sla.prom import PromClient
from govcloud.sla.samples import read_spans
from govcloud.sla.systems import SystemsFile

from . import scenarios as sc
from .recordkit import CARRIER_INCIDENTS, contract, maint_changes, write

pytestmark = pytest.mark.slow  # the first test backfills eight scenarios (~20 s) when the cache is cold

MS = 1000
MIN = 60_000
TARGET = Fraction(9999, 10_000)  # article 6: 99.99%
MARCH = 31 * 1440  # minutes
JANUARY = 31 * 1440
APRIL = 30 * 1440


def iv(pair: tuple[int, int]) -> Interval:
    """Scenario seconds as an Interval of milliseconds."""
    return Interval(pair[0] * MS, pair[1] * MS)


def minutes(pair: tuple[int, int]) -> int:
    return (pair[1] - pair[0]) // 60


@pytest.fixture(scope="module")
def judge(prom: PromClient, systems_files: dict[str, SystemsFile]):  # type: ignore[no-untyped-def]
    """``judge(job, month, **kw)``: the period evaluated (without keywords, once per job and month)."""

    @cache
    def plain(job: str, label: str) -> PeriodResult:
        return evaluate(prom, systems_files[job], contract(), month(label))

    def run(job: str, label: str, *, systems: SystemsFile | None = None, terms: Contract | None = None,
            **kw) -> PeriodResult:  # type: ignore[no-untyped-def]
        if systems is None and terms is None and not kw:
            return plain(job, label)
        return evaluate(prom, systems or systems_files[job], terms or contract(), month(label), **kw)
    return run


def figures(a: Availability) -> tuple[int, int, int, int]:
    """(up, down, unknown, excluded) in whole minutes; fails when a figure is not whole minutes."""
    out = tuple(ms // MIN for ms in (a.up_ms, a.down_ms, a.unknown_ms, a.excluded_ms))
    assert all(ms % MIN == 0 for ms in (a.up_ms, a.down_ms, a.unknown_ms, a.excluded_ms)), a
    return out  # type: ignore[return-value]


def policy(up: int, down: int, unknown: int) -> str:
    """The verdict policy, restated: met counting unknown as down; breached counting it as up."""
    counted = up + down + unknown
    if Fraction(up, counted) >= TARGET:
        return "met"
    if Fraction(up + unknown, counted) < TARGET:
        return "breached"
    return "unverifiable"


# ------------------------------------------------------------------------------------------- a clean month
def test_a_clean_month_is_met_at_100_percent_with_full_coverage_from_the_day_figures_alone(judge) -> None:  # type: ignore[no-untyped-def]
    r = judge("clean", "2026-03")
    for a in (*r.availability.systems, r.availability.platform):
        assert (a.verdict, a.availability, a.coverage) == ("met", "100.0000%", "100.0000%")
    assert [figures(a) for a in r.availability.systems] == [(MARCH, 0, 0, 0)] * 5
    p = r.availability.platform
    assert figures(p) == (5 * MARCH, 0, 0, 0) and p.systems == 5 and "time-weighted mean" in p.basis
    assert p.budget_ms == Fraction(5 * MARCH * MIN, 10_000) and str(p.budget_minutes) == "22.320"
    assert r.outages == () and r.annex3.counted == () and r.annex3.excluded == ()
    # every day passed on its count and sum: no sample read one by one; two queries a day and a lead-in
    days = 31 + 1  # the month and the day before it (events that began in February)
    assert (r.probes.stats.days, r.probes.stats.raw_probe_days) == (days, 0)
    assert r.probes.stats.queries == 2 * days + 1
    assert lookback_ms(contract()) == 86_400_000


# ------------------------------------------------------------------------------------------------- gaps
def test_a_20_minute_scrape_gap_is_unknown_not_up_and_leaves_the_month_unverifiable(judge) -> None:  # type: ignore[no-untyped-def]
    a = judge("gap", "2026-03").availability.system("gap20")
    assert figures(a) == (MARCH - 20, 0, 20, 0)
    assert a.coverage_ratio == Fraction(MARCH - 20, MARCH) and a.coverage == "99.9551%"
    assert a.availability == "100.0000%"  # of the time the samples cover
    # 20 unknown minutes > the 4.464-minute budget: not met when counted as down, not breached when counted as up
    assert policy(MARCH - 20, 0, 20) == "unverifiable" and a.verdict == "unverifiable"


def test_a_gap_with_downtime_beyond_the_budget_is_breached_whatever_the_gap_was(judge) -> None:  # type: ignore[no-untyped-def]
    a = judge("gap", "2026-03").availability.system("gapdown")
    gap, down = minutes(sc.GAPDOWN_GAP), minutes(sc.GAPDOWN_DOWN)
    assert figures(a) == (MARCH - gap - down, down, gap, 0)
    assert a.availability_ratio == Fraction(MARCH - gap - down, MARCH - gap)
    assert policy(MARCH - gap - down, down, gap) == "breached" and a.verdict == "breached"


def test_a_short_gap_within_the_budget_is_met_and_one_missed_scrape_is_no_gap(judge) -> None:  # type: ignore[no-untyped-def]
    a = judge("gap", "2026-03").availability.system("gap3")
    assert figures(a) == (MARCH - minutes(sc.GAP3), 0, minutes(sc.GAP3), 0)  # ONE_MISSED adds nothing
    assert a.verdict == policy(MARCH - 3, 0, 3) == "met"


def test_the_platform_of_the_gap_month_sums_its_systems(judge) -> None:  # type: ignore[no-untyped-def]
    p = judge("gap", "2026-03").availability.platform
    up, down, unknown = 3 * MARCH - 20 - 30 - 3, 10, 20 + 20 + 3
    assert figures(p) == (up, down, unknown, 0)
    assert p.verdict == policy(up, down, unknown) == "unverifiable"


# ---------------------------------------------------------------------------------- a month's end at midnight
def _down_ms_in(samples_down: list[int], period: Interval) -> int:
    return sum(Interval(t * MS, (t + sc.STEP) * MS).overlap(period) for t in samples_down)


def _down_samples(probe_offset: int, down: tuple[int, int]) -> list[int]:
    start = sc.MIDNIGHT.span_s[0] + probe_offset
    return [t for t in range(start, sc.MIDNIGHT.span_s[1], sc.STEP) if down[0] <= t < down[1]]


def test_an_outage_across_midnight_at_a_months_end_is_split_exactly_and_counted_once(judge) -> None:  # type: ignore[no-untyped-def]
    mar, apr = judge("midnight", "2026-03"), judge("midnight", "2026-04")
    b = sc.BOUNDARY
    assert month("2026-04").start_ms == b * MS
    # the aligned probe: a sample exactly at 00:00 belongs to April only
    assert mar.availability.system("aligned").down_ms == (b - sc.ALIGNED_DOWN[0]) * MS == 60 * MIN
    assert apr.availability.system("aligned").down_ms == (sc.ALIGNED_DOWN[1] - b) * MS == 90 * MIN
    # the probe at :30 of each minute: its 23:59:30 sample covers 30 s of each month
    samples = _down_samples(30, sc.OFFSET_DOWN)
    m_down = mar.availability.system("offset").down_ms
    a_down = apr.availability.system("offset").down_ms
    assert m_down == _down_ms_in(samples, month("2026-03").interval) == 44 * MIN + 30_000
    assert a_down == _down_ms_in(samples, month("2026-04").interval) == 15 * MIN + 30_000
    assert m_down + a_down == len(samples) * sc.STEP * MS  # each sample once
    for r, total in ((mar, MARCH), (apr, APRIL)):
        for a in r.availability.systems:
            assert (a.unknown_ms, a.up_ms + a.down_ms) == (0, total * MIN)


def test_the_outage_across_the_boundary_is_ongoing_in_march_and_whole_in_april(judge) -> None:  # type: ignore[no-untyped-def]
    mar, apr = judge("midnight", "2026-03"), judge("midnight", "2026-04")
    (m,) = [o for o in mar.outages if o.system == "aligned"]
    (a,) = [o for o in apr.outages if o.system == "aligned"]
    assert (m.interval, m.ongoing) == (Interval(sc.ALIGNED_DOWN[0] * MS, sc.BOUNDARY * MS), True)
    assert (a.interval, a.ongoing) == (iv(sc.ALIGNED_DOWN), False)  # April reads the day before it


def test_an_event_across_the_boundary_belongs_to_the_month_it_qualifies_in(judge) -> None:  # type: ignore[no-untyped-def]
    mar, apr = judge("midnight", "2026-03"), judge("midnight", "2026-04")
    # 1 or 2 of 2 systems down (> 30%) from 23:00 to 01:30: 120 minutes are reached at 01:00 on 1 April
    assert mar.annex3.counted == ()
    (e,) = apr.annex3.counted
    assert (e.level, e.event, e.start_ms, e.end_ms) == ("A", "outage-platform-30pct", sc.ALIGNED_DOWN[0] * MS,
                                                        sc.ALIGNED_DOWN[1] * MS)
    assert e.qualified_ms == (sc.ALIGNED_DOWN[0] + 120 * 60) * MS and e.share == "100.0%"


# ------------------------------------------------------------------------- the month read at a day's edges
def test_a_sample_reaching_into_a_day_passed_on_its_figures_is_kept(judge, prom, systems_files) -> None:  # type: ignore[no-untyped-def]
    r = judge("edge", "2026-03")
    a = r.availability.system("edge")
    # 30 s of the 28 February 23:59:30 failure fall in March; the 10 March one covers 23:59:30-00:00:30
    assert a.down_ms == 30_000 + 60_000
    assert a.unknown_ms == minutes(sc.EDGE_GAP) * MIN  # 23:50:30 to 00:10:30: the 20 minutes without samples
    assert a.up_ms == MARCH * MIN - a.down_ms - a.unknown_ms
    # read one by one: 28 Feb and 10 March (a failure), 15 and 16 March (the gap); 11 March passed on its figures
    assert r.probes.stats.raw_probe_days == 4
    # without the lookback day, the lead-in read still finds the 28 February sample's reach into March
    spans = read_spans(prom, systems_files["edge"], month("2026-03").interval)["ed"]
    assert spans[0] == Span(Interval(month("2026-03").start_ms, month("2026-03").start_ms + 30_000), State.DOWN)
    leak = Interval((sc.EDGE_LEAK[0]) * MS, (sc.EDGE_LEAK[0] + 60) * MS)
    assert Span(leak, State.DOWN) in spans


# ---------------------------------------------------------------------------------------------- flapping
def test_single_failures_below_open_after_open_no_outage_but_count_as_down(judge) -> None:  # type: ignore[no-untyped-def]
    r = judge("flap", "2026-03")
    a = r.availability.system("flappy")
    singles = len(sc.FLAP_SINGLES)
    assert singles == 100
    assert figures(a) == (MARCH - singles - 2, singles + 2, 0, 0)  # the one missed scrape is no gap
    assert [o.interval for o in r.outages] == [iv(sc.FLAP_DOUBLE)]  # only the two failures in a row


def test_open_after_one_makes_every_failure_an_outage(judge, systems_files) -> None:  # type: ignore[no-untyped-def]
    storm = dataclasses.replace(systems_files["flap"], open_after=1)
    assert len(judge("flap", "2026-03", systems=storm).outages) == len(sc.FLAP_SINGLES) + 1


# -------------------------------------------------------------------------------------------- annex 3: A
def test_an_a_event_is_more_than_30_percent_of_systems_down_for_120_minutes(judge) -> None:  # type: ignore[no-untyped-def]
    r = judge("aevent", "2026-03")
    (e,) = r.annex3.counted  # A_SHORT (60% for 60 min) and A_119 (40% for 119 min) are too short
    assert (e.level, e.event, e.clause) == ("A", "outage-platform-30pct", "article-53")
    assert (e.start_ms, e.end_ms) == (sc.A_DOWN[0] * MS, sc.A_DOWN[1] * MS)
    assert (e.peak, e.share, e.systems) == (Fraction(2, 5), "40.0%", ("disclosure", "hearing"))
    assert r.annex3.of_level("B") == ()  # 40% is above B's 30%: the same stretch is not also a B event
    assert r.annex3.systems == 5
    assert r.availability.system("hearing").down_ms == (minutes(sc.A_DOWN) + minutes(sc.A_SHORT)) * MIN


def test_the_event_thresholds_are_the_contracts(judge) -> None:  # type: ignore[no-untyped-def]
    c = contract()
    a_level = c.incidents[0]
    ev = a_level.events[0]
    assert ev.id == "outage-platform-30pct"
    shorter = dataclasses.replace(ev, thresholds=tuple((k, v if k != "min_duration_minutes" else 60)
                                                        for k, v in ev.thresholds))
    terms = dataclasses.replace(c, incidents=(dataclasses.replace(a_level, events=(shorter,)), *c.incidents[1:]))
    found = judge("aevent", "2026-03", terms=terms).annex3.counted
    assert [(e.level, e.start_ms // MS) for e in found] == [("A", sc.A_DOWN[0]), ("A", sc.A_SHORT[0]),
                                                            ("A", sc.A_119[0])]


# -------------------------------------------------------------------- annex 3: B, and termination by history
def test_b_events_are_more_than_10_up_to_30_percent_for_120_minutes_or_more(judge) -> None:  # type: ignore[no-untyped-def]
    r = judge("bevent", "2026-01")
    got = [(e.level, e.event, e.start_ms // MS, e.end_ms // MS, e.share, e.systems) for e in r.annex3.counted]
    assert got == [("B", "outage-platform-10-30pct", *sc.B_DOWN, "20.0%", ("litigation",)),
                   ("B", "outage-platform-10-30pct", *sc.B_120, "20.0%", ("hearing",))]  # 120 min is enough; 119 not
    # litigation's SSH probe is not critical: its 30 minutes down leave the system up
    assert r.availability.system("litigation").down_ms == minutes(sc.B_DOWN) * MIN
    assert [(o.system, o.interval) for o in r.outages] == [("litigation", iv(sc.B_DOWN)), ("office", iv(sc.B_119)),
                                                           ("hearing", iv(sc.B_120))]


def _history(tmp_path: Path, *events: tuple[str, str]) -> Path:
    months: dict[str, dict] = {}
    for label, start in events:
        months.setdefault(label, {"events": []})["events"].append(
            {"level": "B", "event": "outage-platform-10-30pct", "start": start, "share": "20.0%"})
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"kind": "govcloud/sla-history", "version": 1, "contract": "2025095",
                                "months": months}, ensure_ascii=False), encoding="utf-8")
    return path


def test_three_b_events_across_a_year_boundary_reach_article_54(judge, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    jan = month("2026-01")
    events = judge("bevent", "2026-01").annex3.counted
    history = load_history(_history(tmp_path, ("2025-11", "2025-11-20T03:00:00+08:00"),
                                    ("2025-12", "2025-12-10T03:00:00+08:00")))
    a, b = standing(contract(), history, events, jan)
    assert (a.level, a.count, a.reached) == ("A", 0, False)
    assert (b.level, b.clause, b.needed, b.window_months) == ("B", "article-54", 3, 12)
    assert b.count == 4 and b.reached  # 2025-11-20, 2025-12-10, 2026-01-15, 2026-01-25
    first = b.triggers[0]
    assert first.reached_ms == sc.B_DOWN[0] * MS  # the third one, on 15 January
    assert [e.start_ms // MS for e in first.events][-1] == sc.B_DOWN[0]
    # recorded and read back, January's events count in February too
    written = write_history(history.record(jan, events, judge("bevent", "2026-01").availability), tmp_path / "h2.json")
    again = load_history(written)
    assert [e.month for e in again.events] == ["2025-11", "2025-12", "2026-01", "2026-01"]
    (_, b_feb) = standing(contract(), again, (), month("2026-02"))
    assert b_feb.count == 4 and b_feb.triggers == ()  # the right arose in January, not February


def test_b_events_more_than_12_months_apart_do_not_add_up(judge, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    events = judge("bevent", "2026-01").annex3.counted
    old = load_history(_history(tmp_path, ("2025-01", "2025-01-10T03:00:00+08:00")))
    (_, b) = standing(contract(), old, events, month("2026-01"))
    assert (b.count, b.reached, b.triggers) == (2, False, ())
    (_, none) = standing(contract(), load_history(tmp_path / "absent.json", missing_ok=True), events, month("2026-01"))
    assert (none.count, none.reached) == (2, False)


# ------------------------------------------------------------------------------------------- maintenance
def test_an_approved_maintenance_window_is_excluded_and_listed(judge) -> None:  # type: ignore[no-untyped-def]
    r = judge("maint", "2026-03", maintenance={"records": [iv(sc.MAINT_WINDOW)]})
    a = r.availability.system("records")
    window = minutes(sc.MAINT_WINDOW)  # 180
    down = (sc.MAINT_DOWN[1] - sc.MAINT_WINDOW[1]) // 60 + minutes(sc.UNAPPROVED_DOWN)  # 10 after it + 30 unapproved
    assert (window, down) == (180, 40)
    assert figures(a) == (MARCH - window - down, down, 0, window)
    assert a.maintenance_ms == window * MIN and a.exclusion_ms == 0
    assert a.excluded == (Excluded("records", iv(sc.MAINT_WINDOW), "maintenance"),)
    assert a.availability_ratio == Fraction(MARCH - window - down, MARCH - window)
    assert a.budget_ms == Fraction((MARCH - window) * MIN, 10_000) and a.verdict == "breached"
    q = r.availability.system("quiet")
    assert figures(q) == (MARCH, 0, 0, 0) and q.excluded == ()
    p = r.availability.platform  # the time-weighted mean: the quiet system's full month weighs more
    assert p.availability_ratio == Fraction(MARCH - window - down + MARCH, MARCH - window + MARCH)
    # without the window, 160 minutes of 1 of 2 systems (50%) were an A event: listed as excluded, not counted
    assert r.annex3.counted == ()
    (x,) = r.annex3.excluded
    assert (x.level, x.excluded_by, x.start_ms) == ("A", "maintenance", sc.MAINT_DOWN[0] * MS)


def test_the_change_records_plug_in_and_only_the_approved_window_excludes(judge, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "changes.yaml", maint_changes())
    changes = load_changes(path, ["records", "quiet"])
    r = judge("maint", "2026-03", maintenance=maintenance_intervals(changes, month("2026-03").interval))
    assert figures(r.availability.system("records")) == (MARCH - 180 - 40, 40, 0, 180)
    assert [c.id for c, _ in unapproved(changes)] == ["CHG-2"]


# ------------------------------------------------------------------------------- article 61: a carrier outage
def test_a_carrier_outage_is_excluded_from_availability_and_from_the_a_event(judge) -> None:  # type: ignore[no-untyped-def]
    carrier = {"hearing": [iv(sc.CARRIER_DOWN)], "disclosure": [iv(sc.CARRIER_DOWN)]}
    r = judge("carrier", "2026-03", exclusions=carrier)
    n = minutes(sc.CARRIER_DOWN)
    for s in ("hearing", "disclosure"):
        a = r.availability.system(s)
        assert figures(a) == (MARCH - n, 0, 0, n) and a.exclusion_ms == n * MIN
        assert (a.verdict, a.availability) == ("met", "100.0000%")
        assert a.excluded == (Excluded(s, iv(sc.CARRIER_DOWN), "exclusion"),)
    arch = r.availability.system("archive")
    assert figures(arch) == (MARCH - n, n, 0, 0) and arch.verdict == "breached"
    # 3 of 5 (60%) would be an A event; the carrier's two taken out, archive alone (20%) is a B event
    (b,) = r.annex3.counted
    assert (b.level, b.start_ms, b.end_ms, b.systems, b.share) == ("B", sc.CARRIER_DOWN[0] * MS,
                                                                   sc.CARRIER_DOWN[1] * MS, ("archive",), "20.0%")
    (a_ev,) = r.annex3.excluded
    assert (a_ev.level, a_ev.excluded_by, a_ev.share) == ("A", "exclusion", "60.0%")
    # the outages themselves are all listed: incidents.excluded_outages is what sets the carrier's apart
    assert sorted(o.system for o in r.outages) == ["archive", "disclosure", "hearing"]


def test_the_incident_records_plug_in_an_exclusion_covers_the_outage_its_record_names(judge, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "incidents.yaml", CARRIER_INCIDENTS)  # INC-61 the carrier's; INC-7 excludes nothing
    records = load_incidents(path, ["litigation", "hearing", "disclosure", "archive", "office"])
    period = month("2026-03")
    r = judge("carrier", "2026-03",
              exclusions=lambda outs: excluded_intervals(records, outs, until_ms=period.end_ms))
    n = minutes(sc.CARRIER_DOWN)  # the record's 14:05-16:20 widened to the outage it overlaps, 14:00-16:30
    assert figures(r.availability.system("hearing")) == (MARCH - n, 0, 0, n)
    assert [e.level for e in r.annex3.counted] == ["B"] and [e.level for e in r.annex3.excluded] == ["A"]
