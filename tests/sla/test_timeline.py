"""Samples into spans, and probes into a system's state (govcloud/sla/timeline.py, availability.py): the rules
alone, on hand-written samples."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govcloud.sla.availability import (
    PLATFORM,
    all_probes,
    any_critical,
    percent,
    platform,
    system_availability,
    target_of,
)
from govcloud.sla.model import Interval, Span, State
from govcloud.sla.outages import system_outages
from govcloud.sla.timeline import clip, combine, coverage, masked, merge, state_of, subtract, union

I = 60_000  # a 60 s probe interval, in ms
U, D, X = State.UP, State.DOWN, State.UNKNOWN


def spans(*parts: tuple[int, int, State]) -> list[Span]:
    return [Span(Interval(a, b), s) for a, b, s in parts]


def test_a_sample_covers_its_interval_and_a_gap_beyond_two_intervals_is_unknown() -> None:
    samples = [(0, 1.0), (I, 1.0), (2 * I, 0.0), (3 * I, 1.0), (25 * I, 1.0)]  # 22 intervals without samples
    assert coverage(samples, I) == spans((0, 2 * I, U), (2 * I, 3 * I, D), (3 * I, 4 * I, U), (4 * I, 25 * I, X),
                                         (25 * I, 26 * I, U))


def test_one_missed_scrape_is_not_a_gap() -> None:
    assert coverage([(0, 1.0), (2 * I, 1.0)], I) == spans((0, 3 * I, U))  # next sample exactly 2 intervals on
    assert coverage([(0, 0.0), (2 * I + 1, 1.0)], I) == spans((0, I, D), (I, 2 * I + 1, X), (2 * I + 1, 3 * I + 1, U))


def test_two_replicas_of_one_sample_count_once_and_a_down_wins() -> None:
    assert coverage([(0, 1.0), (0, 0.0), (I, 1.0), (I, 1.0)], I) == spans((0, I, D), (I, 2 * I, U))


def test_clip_fills_silence_with_unknown() -> None:
    assert clip(spans((10, 20, U)), 0, 30) == spans((0, 10, X), (10, 20, U), (20, 30, X))
    assert clip(spans((10, 20, U)), 12, 15) == spans((12, 15, U))


def test_any_critical_and_all_probes() -> None:
    assert [any_critical(s) for s in [(U, U), (U, D), (U, X), (D, X), (X, X)]] == [U, D, X, D, X]
    assert [all_probes(s) for s in [(U, D), (D, D), (D, X), (U, X), (X, X)]] == [U, D, X, U, X]


def test_combine_takes_the_rule_at_every_instant() -> None:
    a = spans((0, 10, U), (10, 20, D), (20, 30, U))
    b = spans((0, 15, U), (15, 25, X), (25, 30, U))
    assert combine([a, b], any_critical, 0, 30) == spans((0, 10, U), (10, 20, D), (20, 25, X), (25, 30, U))
    assert combine([a, b], all_probes, 0, 30) == spans((0, 15, U), (15, 20, X), (20, 30, U))


def test_masks_and_interval_sets() -> None:
    assert masked(spans((0, 30, D)), [Interval(10, 20)]) == spans((0, 10, D), (10, 20, X), (20, 30, D))
    assert union([Interval(5, 10), Interval(0, 6), Interval(10, 12), Interval(20, 30)]) == [Interval(0, 12),
                                                                                            Interval(20, 30)]
    assert subtract([Interval(0, 30)], [Interval(5, 10), Interval(20, 40)]) == [Interval(0, 5), Interval(10, 20)]


def test_figures_are_exact_and_shown_rounded_down() -> None:
    month = Interval(0, 44_640 * I)
    r = system_availability("s", spans((0, 44_640 * I - 2 * I, U), (44_640 * I - 2 * I, 44_640 * I, D)), month,
                            "m", target_of(99.99))
    assert (r.up_ms, r.down_ms, r.unknown_ms) == (44_638 * I, 2 * I, 0)
    assert r.availability_ratio == Fraction(44_638, 44_640)
    assert r.availability == "99.9955%"  # 99.995519...: rounded down, never up past the target
    assert percent(Fraction(99_989_999, 100_000_000)) == "99.9899%"
    assert r.budget_ms == Fraction(44_640 * I, 10_000) and str(r.budget_minutes) == "4.464"
    assert r.verdict == "met"


def test_the_verdict_policy_on_unknown_time() -> None:
    period = Interval(0, 10_000 * I)  # budget 1 minute at 99.99%
    t = target_of(Fraction(9999, 10_000))
    half = [Span(Interval(0, 9_999 * I), U)]
    assert system_availability("s", half, period, "p", t).verdict == "met"  # 1 min unknown: met even as down
    two = [Span(Interval(0, 9_998 * I), U)]
    assert system_availability("s", two, period, "p", t).verdict == "unverifiable"  # 2 min unknown, none down
    down = two + [Span(Interval(9_998 * I, 9_999 * I + I // 2), D)]
    assert system_availability("s", down, period, "p", t).verdict == "breached"  # 1.5 min down > 1 min budget


def test_the_platform_is_the_time_weighted_mean_over_systems() -> None:
    p = Interval(0, 1000 * I)
    t = target_of(99.99)
    a = system_availability("a", spans((0, 990 * I, U), (990 * I, 1000 * I, D)), p, "m", t)
    b = system_availability("b", spans((0, 1000 * I, U)), p, "m", t, maintenance=[Interval(0, 500 * I)])
    pl = platform([a, b])
    assert pl.system == PLATFORM and "time-weighted mean" in pl.basis
    assert pl.availability_ratio == Fraction(990 + 500, 1000 + 500)  # not the mean of 99% and 100%


def test_an_outage_opens_after_n_down_intervals_and_closes_at_the_first_up() -> None:
    tl = spans((0, 10 * I, U), (10 * I, 11 * I, D), (11 * I, 20 * I, U),  # one failure: nothing
               (20 * I, 21 * I, D), (21 * I, 30 * I, X), (30 * I, 31 * I, D), (31 * I, 40 * I, U),  # 2 with a gap
               (40 * I, 45 * I, D))  # still down where the data ends
    out = system_outages("s", tl, 2, I)
    assert [(o.interval.start_ms // I, o.interval.end_ms // I, o.ongoing) for o in out] == [(20, 31, False),
                                                                                           (40, 45, True)]
    assert system_outages("s", tl, 1, I)[0].interval == Interval(10 * I, 11 * I)


@pytest.mark.parametrize("value, expected", [(99.99, Fraction(9999, 10_000)), ("99.99", Fraction(9999, 10_000)),
                                             (Fraction(1, 2), Fraction(1, 2))])
def test_target_of(value: object, expected: Fraction) -> None:
    assert target_of(value) == expected


def _per_sample(samples: list[tuple[int, float]], interval_ms: int) -> list[Span]:
    """The rule of ``coverage`` written the slow, obvious way: one span per sample (and per gap), then merged."""
    pts: list[tuple[int, State]] = []
    for t, v in samples:
        st = state_of(v)
        if pts and pts[-1][0] == t:
            if st == State.DOWN or pts[-1][1] == State.UNKNOWN:
                pts[-1] = (t, st)
            continue
        pts.append((t, st))
    spans = []
    for i, (t, st) in enumerate(pts):
        nxt = pts[i + 1][0] if i + 1 < len(pts) else None
        if nxt is not None and nxt - t <= 2 * interval_ms:
            spans.append(Span(Interval(t, nxt), st))
        else:
            spans.append(Span(Interval(t, t + interval_ms), st))
            if nxt is not None:
                spans.append(Span(Interval(t + interval_ms, nxt), State.UNKNOWN))
    return merge(spans)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.sampled_from([0.0, 1.0, float("nan")])), max_size=60),
       st.integers(1, 5))
def test_coverage_joins_runs_as_it_reads_exactly_as_merging_one_span_per_sample(
        steps: list[tuple[int, float]], interval: int) -> None:
    t, samples = 0, []
    for dt, v in steps:  # sorted times, some repeated (replicas), some far apart (gaps)
        t += dt
        samples.append((t, v))
    assert coverage(samples, interval * 5) == _per_sample(samples, interval * 5)
