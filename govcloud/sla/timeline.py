"""State timelines: ordered, non-overlapping ``Span``s, adjacent spans of one state merged.

``coverage`` turns stored samples into spans by the one rule the SLA uses: a sample at ``t`` covers
``[t, t + interval)``, stretched to the next sample when that comes within ``2 × interval`` (one missed scrape is
not a gap); when the next sample is later, the time after ``t + interval`` is **unknown**, never up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import pairwise

from .model import Interval, Span, State

Timeline = list[Span]


def state_of(value: float) -> State:
    """A probe's value as a state: > 0 up, NaN unknown, anything else down (``probe_success`` is 0 or 1)."""
    if math.isnan(value):
        return State.UNKNOWN
    return State.UP if value > 0 else State.DOWN


def merge(spans: Iterable[Span]) -> Timeline:
    """Spans in order with empty ones dropped and touching spans of one state joined."""
    out: Timeline = []
    for s in spans:
        if s.interval.ms <= 0:
            continue
        if out and out[-1].state == s.state and out[-1].interval.end_ms == s.interval.start_ms:
            out[-1] = Span(Interval(out[-1].interval.start_ms, s.interval.end_ms), s.state)
        else:
            out.append(s)
    return out


def coverage(samples: Sequence[tuple[int, float]], interval_ms: int) -> Timeline:
    """The spans ``samples`` (sorted by time) cover, from the first sample to the end of the last one's
    interval. Samples of one timestamp (two replicas) count as one; a down among them wins.

    Runs of one state are joined as they are read (a month is millions of samples, its timeline a few spans):
    the result is ``merge`` of one span per sample, without making those spans."""
    pts: list[tuple[int, State]] = []
    for t, v in samples:
        st = state_of(v)
        if pts and pts[-1][0] == t:
            if st == State.DOWN or pts[-1][1] == State.UNKNOWN:
                pts[-1] = (t, st)
            continue
        pts.append((t, st))
    out: Timeline = []
    run_start, run_end, run_state = 0, 0, None

    def piece(a: int, b: int, st: State) -> None:
        nonlocal run_start, run_end, run_state
        if b <= a:
            return
        if st == run_state and a == run_end:
            run_end = b
            return
        if run_state is not None:
            out.append(Span(Interval(run_start, run_end), run_state))
        run_start, run_end, run_state = a, b, st

    gap = 2 * interval_ms
    for i, (t, st) in enumerate(pts):
        nxt = pts[i + 1][0] if i + 1 < len(pts) else None
        if nxt is not None and nxt - t <= gap:
            piece(t, nxt, st)
        else:
            piece(t, t + interval_ms, st)
            if nxt is not None:
                piece(t + interval_ms, nxt, State.UNKNOWN)
    if run_state is not None:
        out.append(Span(Interval(run_start, run_end), run_state))
    return out


def clip(spans: Iterable[Span], lo: int, hi: int, fill: State | None = State.UNKNOWN) -> Timeline:
    """The part of ``spans`` inside ``[lo, hi)``; with ``fill``, holes are that state so the result covers
    ``[lo, hi)`` exactly."""
    out: list[Span] = []
    cursor = lo
    for s in spans:
        a, b = max(s.interval.start_ms, lo), min(s.interval.end_ms, hi)
        if b <= a:
            continue
        if fill is not None and a > cursor:
            out.append(Span(Interval(cursor, a), fill))
        out.append(Span(Interval(a, b), s.state))
        cursor = max(cursor, b)
    if fill is not None and cursor < hi:
        out.append(Span(Interval(cursor, hi), fill))
    return merge(out)


def combine(timelines: Sequence[Sequence[Span]], rule: Callable[[tuple[State, ...]], State], lo: int, hi: int
            ) -> Timeline:
    """One timeline over ``[lo, hi)`` whose state at each instant is ``rule`` of the states of ``timelines`` at
    that instant (a timeline silent at an instant counts as unknown there)."""
    full = [clip(t, lo, hi) for t in timelines]
    cuts = sorted({lo, hi, *(x for t in full for s in t for x in (s.interval.start_ms, s.interval.end_ms))})
    idx = [0] * len(full)
    out: list[Span] = []
    for a, b in pairwise(cuts):
        states = []
        for k, t in enumerate(full):
            while idx[k] < len(t) and t[idx[k]].interval.end_ms <= a:
                idx[k] += 1
            states.append(t[idx[k]].state if idx[k] < len(t) else State.UNKNOWN)
        out.append(Span(Interval(a, b), rule(tuple(states))))
    return merge(out)


def masked(spans: Iterable[Span], masks: Iterable[Interval], state: State = State.UNKNOWN) -> Timeline:
    """``spans`` with the time inside ``masks`` set to ``state`` (e.g. approved maintenance)."""
    ms = sorted(m for m in masks if m.ms > 0)
    out: list[Span] = []
    for s in spans:
        cursor = s.interval.start_ms
        for m in ms:
            if m.end_ms <= cursor or m.start_ms >= s.interval.end_ms:
                continue
            if m.start_ms > cursor:
                out.append(Span(Interval(cursor, m.start_ms), s.state))
            b = min(m.end_ms, s.interval.end_ms)
            out.append(Span(Interval(max(m.start_ms, cursor), b), state))
            cursor = b
        if cursor < s.interval.end_ms:
            out.append(Span(Interval(cursor, s.interval.end_ms), s.state))
    return merge(out)


def total(spans: Iterable[Span], state: State, within: Interval | None = None) -> int:
    """Milliseconds of ``state`` (inside ``within`` when given)."""
    return sum((s.interval.overlap(within) if within is not None else s.interval.ms)
               for s in spans if s.state == state)


def union_ms(intervals: Iterable[Interval], within: Interval) -> int:
    """Milliseconds the union of ``intervals`` covers inside ``within``."""
    return sum(i.ms for i in union(intervals, within))


def union(intervals: Iterable[Interval], within: Interval | None = None) -> list[Interval]:
    """The intervals sorted, clipped to ``within`` and joined where they overlap or touch."""
    out: list[Interval] = []
    for iv in sorted(intervals):
        c = iv.clip(within) if within is not None else (iv if iv.ms > 0 else None)
        if c is None:
            continue
        if out and c.start_ms <= out[-1].end_ms:
            if c.end_ms > out[-1].end_ms:
                out[-1] = Interval(out[-1].start_ms, c.end_ms)
        else:
            out.append(c)
    return out


def subtract(intervals: Iterable[Interval], minus: Iterable[Interval]) -> list[Interval]:
    """The parts of ``intervals`` (joined) outside ``minus``."""
    cut = union(minus)
    out: list[Interval] = []
    for iv in union(intervals):
        cursor = iv.start_ms
        for m in cut:
            if m.end_ms <= cursor or m.start_ms >= iv.end_ms:
                continue
            if m.start_ms > cursor:
                out.append(Interval(cursor, m.start_ms))
            cursor = max(cursor, m.end_ms)
        if cursor < iv.end_ms:
            out.append(Interval(cursor, iv.end_ms))
    return out


def per_system(value: Mapping[str, Iterable[Interval]] | Iterable[Interval] | None,
               system_ids: Iterable[str]) -> dict[str, list[Interval]]:
    """Intervals per system from a mapping ``system → intervals`` or from intervals that apply to every system."""
    ids = list(system_ids)
    if value is None:
        return {s: [] for s in ids}
    if isinstance(value, Mapping):
        return {s: list(value.get(s, ())) for s in ids}
    common = list(value)
    return {s: list(common) for s in ids}
