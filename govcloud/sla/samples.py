"""The month read: per probe, a state timeline over a window, from as few samples as exactness allows.

Per Beijing day (``clock.days``) and Prometheus job, two instant queries over every target at once:
``count_over_time`` and ``sum_over_time`` of the day ``[00:00, next 00:00)``. A probe whose day holds the samples
the interval promises (``day // interval``, or one more) all up is up the whole day: no sample is read. Every
other probe-day (a failure, a shortfall, no series, or two series for one target) is read raw, together with
the other probes of its system that day, over the day widened by ``2 × interval + 1 ms`` on both sides: the
samples just before the day decide its first moments, those just after decide how far its last sample reaches.
Raw reads go ``RAW_PROBES`` probes per query, so one answer's size does not grow with the fleet.
Raw samples become spans by ``timeline.coverage`` (a gap beyond ``2 × interval`` is unknown).

Assumed of a day passed without reading: its samples are regular, so it has no gap inside and its first moments
are covered by the up sample before it. A day with a gap has fewer samples and is read raw.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from .clock import days
from .model import Interval, Span, State
from .prom import PromClient, regex_any, selector, window
from .systems import Probe, SystemsFile
from .timeline import Timeline, clip, coverage, merge

#: probes read raw per query: one answer holds at most this many probe-days of samples (about 5,800 each at 15 s),
#: so memory stays flat when a whole fleet needs a day read (a Prometheus restart), whatever the fleet's size
RAW_PROBES = 16


@dataclass(frozen=True)
class ReadStats:
    days: int
    probe_days: int
    raw_probe_days: int  # probe-days read sample by sample
    queries: int


@dataclass(frozen=True)
class ProbeTimelines:
    """Per probe id, spans covering ``window`` exactly (up, down, unknown)."""

    window: Interval
    interval_ms: int
    spans: Mapping[str, Timeline]
    stats: ReadStats = field(default_factory=lambda: ReadStats(0, 0, 0, 0))

    def __getitem__(self, probe_id: str) -> Timeline:
        return self.spans[probe_id]


def _day_figures(client: PromClient, metric: str, job: str, lo: int, hi: int) -> dict[str, list[tuple[float, float]]]:
    """``instance → [(count, sum), ...]`` (one pair per series) of the job's samples in ``[lo, hi)``."""
    rng, at = window(lo, hi)
    sel = selector(metric, job=job)
    counts = client.instant(f"count_over_time({sel}[{rng}])", at)
    sums = {_key(lb): v for lb, v in client.instant(f"sum_over_time({sel}[{rng}])", at)}
    out: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for lb, c in counts:
        out[lb.get("instance", "")].append((c, sums.get(_key(lb), float("nan"))))
    return out


def _key(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in labels.items() if k != "__name__"))


def _fast(figures: list[tuple[float, float]], expected: int) -> bool:
    """One series, the samples the interval promises (or one more at an edge), every one up."""
    if len(figures) != 1 or expected <= 0:
        return False
    count, total = figures[0]
    return expected <= count <= expected + 1 and total == count


def _raw(client: PromClient, metric: str, job: str, probes: list[Probe], lo: int, hi: int
         ) -> dict[str, list[tuple[int, float]]]:
    """``target → samples`` in ``[lo, hi)`` of the given probes of one job (series of one target merged)."""
    targets = sorted({p.target for p in probes})
    inst: str | tuple[str, str] = targets[0] if len(targets) == 1 else ("=~", regex_any(targets))
    out: dict[str, list[tuple[int, float]]] = {t: [] for t in targets}
    for labels, samples in client.raw(selector(metric, job=job, instance=inst), lo, hi):
        t = labels.get("instance", "")
        if t in out:
            out[t].extend(samples)
    for t in out:
        out[t].sort(key=lambda s: s[0])
    return out


def _decided(samples: list[tuple[int, float]], interval_ms: int, lo: int, hi: int) -> tuple[Timeline, int]:
    """Spans of ``[lo, until)`` decided by ``samples`` (read over ``[lo - L, hi + L)``): ``until`` is the first
    sample at or after ``hi`` (so the last sample's reach is known), else ``hi``."""
    until = next((t for t, _ in samples if t >= hi), hi)
    return clip(coverage(samples, interval_ms), lo, until), until


def read_spans(client: PromClient, systems: SystemsFile, span: Interval) -> ProbeTimelines:
    """Every probe of ``systems`` as a timeline over ``span`` (see the module docstring for what is read)."""
    interval = systems.interval_ms
    margin = 2 * interval + 1
    metric = systems.metric
    by_job: dict[str, list[Probe]] = defaultdict(list)
    for p in systems.probes:
        by_job[p.job].append(p)
    system_of = {p.id: s for s in systems.systems for p in s.probes}
    before = client.queries
    chunks = days(span)
    # per probe, in order: ("fast", lo, hi, []) up over [lo, hi); ("raw", lo, until, spans) decided over [lo, until)
    parts: dict[str, list[tuple[str, int, int, Timeline]]] = defaultdict(list)
    raw_days = 0
    for day in chunks:
        lo, hi = day.start_ms, day.end_ms
        expected = (hi - lo) // interval
        needs: set[str] = set()
        for job, probes in by_job.items():
            figures = _day_figures(client, metric, job, lo, hi) if hi - lo >= 2 else {}
            for p in probes:
                if not _fast(figures.get(p.target, []), expected):
                    needs.update(q.id for q in system_of[p.id].probes)
        for job, probes in by_job.items():
            raw = [p for p in probes if p.id in needs]
            decided: dict[str, tuple[Timeline, int]] = {}
            for k in range(0, len(raw), RAW_PROBES):  # a few probes per answer, made spans before the next
                chunk = raw[k:k + RAW_PROBES]
                samples = _raw(client, metric, job, chunk, lo - margin, hi + margin)
                decided.update((p.id, _decided(samples[p.target], interval, lo, hi)) for p in chunk)
            for p in probes:
                if p.id in decided:
                    spans, until = decided[p.id]
                    parts[p.id].append(("raw", lo, until, spans))
                else:
                    parts[p.id].append(("fast", lo, hi, []))
        raw_days += len(needs)
    # the moments before the first day's first sample, for probes whose first day was not read raw
    first = {pid: segs[0] for pid, segs in parts.items()}
    for job, probes in by_job.items():
        lead = [p for p in probes if first.get(p.id, ("raw",))[0] == "fast"]
        if not lead:
            continue
        samples = _raw(client, metric, job, lead, span.start_ms - margin, span.start_ms + margin)
        for p in lead:
            spans, until = _decided(samples[p.target], interval, span.start_ms, span.start_ms)
            parts[p.id].insert(0, ("raw", span.start_ms, until, spans))
    out: dict[str, Timeline] = {}
    for p in systems.probes:
        cursor, spans = span.start_ms, []
        for kind, lo, hi, decided in parts[p.id]:
            if kind == "fast":
                if cursor < hi:
                    spans.append(Span(Interval(max(cursor, lo), hi), State.UP))
                cursor = max(cursor, hi)
            else:
                spans.extend(clip(decided, max(cursor, lo), hi, fill=None))
                cursor = max(cursor, hi)
        out[p.id] = clip(merge(spans), span.start_ms, span.end_ms)
    stats = ReadStats(len(chunks), len(chunks) * len(systems.probes), raw_days, client.queries - before)
    return ProbeTimelines(span, interval, out, stats)
