"""Outages from the monitoring, and the share of systems down over time (annex 3 reads it).

An outage of a system opens when it has been down for ``open_after`` probe intervals with no up in between (the
time of ``open_after`` consecutive failed probes; unknown time neither adds nor resets), starting at the first of
those down moments, and closes at the first up moment. A single failed probe (below ``open_after``) opens none:
a flapping probe does not make a storm. Start and end are those of the samples, within one probe interval of the
truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from dataclasses import dataclass
from fractions import Fraction

from .model import Interval, Outage, Span, State
from .systems import SystemsFile
from .timeline import masked, per_system


def system_outages(system_id: str, timeline: Sequence[Span], open_after: int, interval_ms: int,
                   within: Interval | None = None) -> list[Outage]:
    """The outages of one system's timeline; with ``within``, those that overlap it (not clipped). An outage
    still open where the timeline ends is ``ongoing`` and ends there."""
    need = open_after * interval_ms
    out: list[Outage] = []
    run_start: int | None = None
    down = 0
    opened = False
    end_of_data = timeline[-1].interval.end_ms if timeline else 0
    for s in timeline:
        if s.state == State.UP:
            if opened and run_start is not None:
                out.append(Outage(system_id, Interval(run_start, s.interval.start_ms)))
            run_start, down, opened = None, 0, False
        elif s.state == State.DOWN:
            if run_start is None:
                run_start = s.interval.start_ms
            down += s.interval.ms
            if down >= need:
                opened = True
    if opened and run_start is not None:
        out.append(Outage(system_id, Interval(run_start, end_of_data), ongoing=True))
    if within is not None:
        out = [o for o in out if o.interval.overlap(within) > 0]
    return out


def outages(systems: SystemsFile, timelines: Mapping[str, Sequence[Span]], *, within: Interval | None = None,
            ignore: Mapping[str, Iterable[Interval]] | Iterable[Interval] | None = None) -> list[Outage]:
    """Every system's outages, in time order. ``ignore`` (e.g. approved maintenance) is time treated as unknown:
    it neither opens nor closes one. Articles 60-61 exclusions are not applied here: ``incidents
    .excluded_outages`` splits the result."""
    masks = per_system(ignore, systems.ids)
    out: list[Outage] = []
    for s in systems.systems:
        tl = masked(timelines[s.id], masks[s.id]) if masks[s.id] else timelines[s.id]
        out += system_outages(s.id, tl, systems.open_after, systems.interval_ms, within)
    return sorted(out, key=lambda o: (o.interval.start_ms, o.system))


@dataclass(frozen=True)
class ShareStep:
    """Over ``interval``, the systems down (of ``total`` systems govcloud knows)."""

    interval: Interval
    down: tuple[str, ...]
    total: int

    @property
    def share(self) -> Fraction:
        return Fraction(len(self.down), self.total) if self.total else Fraction(0)


def share_down(systems: SystemsFile, timelines: Mapping[str, Sequence[Span]], span: Interval, *,
               excluded: Mapping[str, Iterable[Interval]] | Iterable[Interval] | None = None) -> list[ShareStep]:
    """The share of systems down over ``span``, a step per change. The share is over the systems of the systems
    file (the systems govcloud knows), not every system the court runs. A system counts as down only where its
    state is down and not ``excluded`` (approved maintenance, articles 60-61); unknown is not down."""
    ids = list(systems.ids)
    masks = per_system(excluded, ids)
    tls = [masked(timelines[s], masks[s]) for s in ids]
    # one pass over the union of boundaries: at each step, which systems are down
    cuts = sorted({span.start_ms, span.end_ms, *(x for t in tls for sp in t for x in
                                                  (sp.interval.start_ms, sp.interval.end_ms)
                                                  if span.start_ms < x < span.end_ms)})
    idx = [0] * len(tls)
    steps: list[ShareStep] = []
    for a, b in pairwise(cuts):
        down = []
        for k, t in enumerate(tls):
            while idx[k] < len(t) and t[idx[k]].interval.end_ms <= a:
                idx[k] += 1
            if idx[k] < len(t) and t[idx[k]].interval.start_ms <= a and t[idx[k]].state == State.DOWN:
                down.append(ids[k])
        if steps and tuple(down) == steps[-1].down and steps[-1].interval.end_ms == a:
            steps[-1] = ShareStep(Interval(steps[-1].interval.start_ms, b), tuple(down), len(ids))
        else:
            steps.append(ShareStep(Interval(a, b), tuple(down), len(ids)))
    return steps

