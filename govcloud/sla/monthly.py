"""One period judged from Prometheus, end to end: read the probes, build each system's timeline, find the
outages, take out approved maintenance and the exclusions of articles 60-61, figure availability and find the
annex 3 events. The report command calls ``evaluate`` once per month and adds the records' checks beside it.

The read starts whole Beijing days before the period (at least the longest annex 3 event's minutes), so an
outage or an event that began in the previous month is seen from its start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from govcloud.contract.model import Contract

from .availability import PeriodAvailability, availability, system_timelines, target_of
from .clock import MS_PER_DAY, Period
from .events import Annex3, annex3_events, event_rules
from .model import Interval, Outage
from .outages import outages as find_outages
from .prom import PromClient
from .samples import ProbeTimelines, read_spans
from .systems import SystemsFile
from .timeline import Timeline, per_system

Intervals = Mapping[str, Iterable[Interval]] | Iterable[Interval] | None


def lookback_ms(contract: Contract) -> int:
    """Whole days covering the longest outage event of the contract (one day for 2025095's 120 minutes)."""
    longest = max((r.min_ms for r in event_rules(contract)), default=0)
    return max(1, -(-longest // MS_PER_DAY)) * MS_PER_DAY


@dataclass(frozen=True)
class PeriodResult:
    period: Period
    read: Interval  # what was read: the period and the lookback before it
    probes: ProbeTimelines
    timelines: Mapping[str, Timeline]  # per system, over ``read``
    availability: PeriodAvailability
    outages: tuple[Outage, ...]  # overlapping the period, not clipped (all causes; incidents splits them)
    annex3: Annex3
    maintenance: Mapping[str, list[Interval]]  # approved windows applied, clipped to the period
    exclusions: Mapping[str, list[Interval]]  # articles 60-61 applied, clipped to the period
    target: Fraction


def evaluate(client: PromClient, systems: SystemsFile, contract: Contract, period: Period, *,
             maintenance: Intervals = None,
             exclusions: Intervals | Callable[[list[Outage]], Intervals] = None) -> PeriodResult:
    """Judge ``period``. ``maintenance``: approved windows (``changes.maintenance_intervals``). ``exclusions``:
    articles 60-61 intervals, or a function of the outages found that gives them (``lambda outs:
    incidents.excluded_intervals(records, outs, until_ms=...)``), since an exclusion covers the outage its record
    names."""
    read = Interval(period.start_ms - lookback_ms(contract), period.end_ms)
    probes = read_spans(client, systems, read)
    timelines = system_timelines(systems, probes)
    found = find_outages(systems, timelines, within=period.interval)
    excl = exclusions(found) if callable(exclusions) else exclusions
    maint = per_system(maintenance, systems.ids)
    excl_map = per_system(excl, systems.ids)
    target = target_of(contract)
    avail = availability(systems, timelines, period.interval, period.label, target, maintenance=maint,
                         exclusions=excl_map)
    events = annex3_events(contract, systems, timelines, read, period.interval, maintenance=maint,
                           exclusions=excl_map)
    clipped = {k: [c for i in v if (c := i.clip(period.interval)) is not None] for k, v in maint.items()}
    clipped_x = {k: [c for i in v if (c := i.clip(period.interval)) is not None] for k, v in excl_map.items()}
    return PeriodResult(period, read, probes, timelines, avail, tuple(found), events, clipped, clipped_x, target)
