"""Availability by period, per system and for the platform (article 6: ≥ 99.99%).

Each instant of a period is, for one system, exactly one of: **excluded** (inside an approved maintenance window
or an exclusion of articles 60-61), else **up**, **down** or **unknown** (no sample says: a scrape gap, a dead
exporter; never counted as up). From these, in integer milliseconds and exact fractions:

- availability = up ÷ (up + down): what the samples say of the time they cover;
- coverage = (up + down) ÷ (period − excluded): how much of the time the samples cover;
- budget = (1 − target) × (period − excluded); spent = down.

Verdict (the contract gives no period; the report judges the calendar month): **met** only when the target is
met even with every unknown minute counted as down; **breached** when the target is missed even with every
unknown minute counted as up; else **unverifiable** (never met).

The platform figure is the **time-weighted mean over the systems**: Σ up ÷ Σ (up + down) of all systems, i.e.
each system weighs by the time it counts. It is not "the platform is down when any system is down".

Percentages are shown rounded down to 4 decimals (``99.9954%``), so a figure shown as meeting 99.99% meets it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from .model import MS_PER_MINUTE, Interval, Span, State
from .samples import ProbeTimelines
from .systems import ALL_PROBES, ANY_CRITICAL, System, SystemsFile
from .timeline import Timeline, combine, per_system, subtract, total, union

MET, BREACHED, UNVERIFIABLE = "met", "breached", "unverifiable"
PLATFORM = "(platform)"  # not a system id (the schema's ids have no parentheses): the lab has a system "platform"
PLATFORM_BASIS = ("time-weighted mean over the systems: sum of up time / sum of (up + down) time of every system; "
                  "not 'down when any system is down'")
DECIMALS = 4


# ---------------------------------------------------------------------------------------- per system state
def any_critical(states: tuple[State, ...]) -> State:
    """Down while any critical probe is down; else unknown while any is unknown; else up."""
    if State.DOWN in states:
        return State.DOWN
    if State.UNKNOWN in states:
        return State.UNKNOWN
    return State.UP


def all_probes(states: tuple[State, ...]) -> State:
    """Up while any probe is up; down when every probe is down; else (some unknown, none up) unknown."""
    if State.UP in states:
        return State.UP
    if states and all(s == State.DOWN for s in states):
        return State.DOWN
    return State.UNKNOWN


def system_timeline(system: System, probes: ProbeTimelines) -> Timeline:
    """The system's state over the read window from its probes and ``down_when`` (under ``any-critical`` only the
    critical probes decide; under ``all-probes`` every probe does)."""
    if system.down_when == ANY_CRITICAL:
        chosen, rule = system.critical, any_critical
    elif system.down_when == ALL_PROBES:
        chosen, rule = system.probes, all_probes
    else:  # the schema allows no other
        raise ValueError(f"unknown down_when {system.down_when!r}")
    w = probes.window
    return combine([probes[p.id] for p in chosen], rule, w.start_ms, w.end_ms)


def system_timelines(systems: SystemsFile, probes: ProbeTimelines) -> dict[str, Timeline]:
    """``system id → timeline`` for every system of the file."""
    return {s.id: system_timeline(s, probes) for s in systems.systems}


# -------------------------------------------------------------------------------------------- figures
def percent(x: Fraction | None, decimals: int = DECIMALS) -> str:
    """``Fraction(99_999_5, 10**6)`` → ``99.9995%`` rounded down to ``decimals``; None → ``n/a``."""
    if x is None:
        return "n/a"
    scaled = x * 100 * 10 ** decimals
    n = scaled.numerator // scaled.denominator
    whole, frac = divmod(n, 10 ** decimals)
    return f"{whole}.{frac:0{decimals}d}%" if decimals else f"{whole}%"


def minutes(ms: int | Fraction) -> Decimal:
    """Milliseconds as minutes to 3 decimals (exact for whole seconds' multiples of 60 ms)."""
    q = Fraction(ms) / MS_PER_MINUTE
    return (Decimal(q.numerator) / Decimal(q.denominator)).quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN)


def target_of(contract_or_percent: object) -> Fraction:
    """The availability target as a fraction (0.9999) from a contract (``sla.availability_percent``), a
    percentage (99.99) or a fraction (< 1)."""
    sla = getattr(contract_or_percent, "sla", None)
    pct = sla.availability_percent if sla is not None else contract_or_percent
    f = Fraction(str(pct)) if isinstance(pct, (Decimal, float, str)) else Fraction(pct)  # type: ignore[arg-type]
    return f / 100 if f > 1 else f


@dataclass(frozen=True)
class Excluded:
    """An excluded stretch of one system in a period, and why."""

    system: str
    interval: Interval
    reason: str  # maintenance | exclusion

    @property
    def minutes(self) -> Decimal:
        return minutes(self.interval.ms)


@dataclass(frozen=True)
class Availability:
    """The figures of one system (or the platform) over one period, in milliseconds."""

    system: str
    period: str
    period_ms: int
    up_ms: int
    down_ms: int
    unknown_ms: int
    excluded_ms: int
    target: Fraction
    maintenance_ms: int = 0  # of excluded_ms, inside approved maintenance windows
    exclusion_ms: int = 0  # of excluded_ms, excluded by articles 60-61 (and not maintenance)
    excluded: tuple[Excluded, ...] = ()
    basis: str = "the system's own time"
    systems: int = 1  # how many systems the figure is over

    def __post_init__(self) -> None:
        if self.up_ms + self.down_ms + self.unknown_ms + self.excluded_ms != self.period_ms:
            raise ValueError(f"{self.system} {self.period}: up + down + unknown + excluded != period")

    # exact figures
    @property
    def known_ms(self) -> int:
        return self.up_ms + self.down_ms

    @property
    def counted_ms(self) -> int:
        """The period less the excluded time: what availability is judged over."""
        return self.period_ms - self.excluded_ms

    @property
    def availability_ratio(self) -> Fraction | None:
        return Fraction(self.up_ms, self.known_ms) if self.known_ms else None

    @property
    def coverage_ratio(self) -> Fraction | None:
        return Fraction(self.known_ms, self.counted_ms) if self.counted_ms else None

    @property
    def worst_ratio(self) -> Fraction | None:
        """Unknown time counted as down."""
        return Fraction(self.up_ms, self.counted_ms) if self.counted_ms else None

    @property
    def best_ratio(self) -> Fraction | None:
        """Unknown time counted as up."""
        return Fraction(self.up_ms + self.unknown_ms, self.counted_ms) if self.counted_ms else None

    @property
    def budget_ms(self) -> Fraction:
        return (1 - self.target) * self.counted_ms

    @property
    def spent_ratio(self) -> Fraction | None:
        """Down time as a share of the budget (1 = all of it)."""
        return Fraction(self.down_ms) / self.budget_ms if self.budget_ms else None

    @property
    def verdict(self) -> str:
        """met | breached | unverifiable (see the module docstring). A period entirely excluded is met."""
        worst, best = self.worst_ratio, self.best_ratio
        if worst is None or best is None:
            return MET
        if worst >= self.target:
            return MET
        if best < self.target:
            return BREACHED
        return UNVERIFIABLE

    # shown figures
    @property
    def availability(self) -> str:
        return percent(self.availability_ratio)

    @property
    def coverage(self) -> str:
        return percent(self.coverage_ratio)

    @property
    def target_percent(self) -> str:
        return percent(self.target)

    @property
    def up_minutes(self) -> Decimal:
        return minutes(self.up_ms)

    @property
    def down_minutes(self) -> Decimal:
        return minutes(self.down_ms)

    @property
    def unknown_minutes(self) -> Decimal:
        return minutes(self.unknown_ms)

    @property
    def known_minutes(self) -> Decimal:
        return minutes(self.known_ms)

    @property
    def excluded_minutes(self) -> Decimal:
        return minutes(self.excluded_ms)

    @property
    def budget_minutes(self) -> Decimal:
        return minutes(self.budget_ms)

    @property
    def spent(self) -> str:
        return percent(self.spent_ratio, 1)

    def as_dict(self) -> dict[str, object]:
        """Plain values for a JSON report (minutes as strings, exact milliseconds as integers)."""
        return {
            "system": self.system, "period": self.period, "verdict": self.verdict, "target": self.target_percent,
            "availability": self.availability, "coverage": self.coverage, "basis": self.basis,
            "systems": self.systems,
            "minutes": {k: str(getattr(self, f"{k}_minutes")) for k in
                        ("up", "down", "unknown", "known", "excluded", "budget")},
            "ms": {"period": self.period_ms, "up": self.up_ms, "down": self.down_ms, "unknown": self.unknown_ms,
                   "excluded": self.excluded_ms, "maintenance": self.maintenance_ms, "exclusion": self.exclusion_ms},
            "budget_spent": self.spent,
            "excluded": [{"system": e.system, "reason": e.reason, "start_ms": e.interval.start_ms,
                          "end_ms": e.interval.end_ms, "minutes": str(e.minutes)} for e in self.excluded],
        }


def system_availability(system_id: str, timeline: Sequence[Span], period: Interval, label: str, target: Fraction, *,
                        maintenance: Iterable[Interval] = (), exclusions: Iterable[Interval] = ()) -> Availability:
    """One system's figures over ``period`` from its timeline (which must cover the period)."""
    maint = union(maintenance, period)
    excl = subtract(union(exclusions, period), maint)
    out_of = union([*maint, *excl])
    counted = subtract([period], out_of)
    up = sum(total(timeline, State.UP, c) for c in counted)
    down = sum(total(timeline, State.DOWN, c) for c in counted)
    excluded_ms = sum(i.ms for i in out_of)
    unknown = period.ms - excluded_ms - up - down  # silent time of the timeline counts as unknown too
    if unknown < 0:
        raise ValueError(f"{system_id}: the timeline's spans overlap (more up and down time than the period)")
    listed = tuple(sorted([Excluded(system_id, i, "maintenance") for i in maint]
                          + [Excluded(system_id, i, "exclusion") for i in excl], key=lambda e: e.interval))
    return Availability(system_id, label, period.ms, up, down, unknown, excluded_ms, target,
                        sum(i.ms for i in maint), sum(i.ms for i in excl), listed)


def platform(results: Sequence[Availability], label: str | None = None) -> Availability:
    """The time-weighted mean over systems (see the module docstring): the sums of the systems' figures."""
    if not results:
        raise ValueError("no systems to take the platform figure over")
    target = results[0].target
    return Availability(
        PLATFORM, label or results[0].period, sum(r.period_ms for r in results), sum(r.up_ms for r in results),
        sum(r.down_ms for r in results), sum(r.unknown_ms for r in results), sum(r.excluded_ms for r in results),
        target, sum(r.maintenance_ms for r in results), sum(r.exclusion_ms for r in results),
        tuple(e for r in results for e in r.excluded), PLATFORM_BASIS + f" ({len(results)} systems)", len(results))


def summed(results: Sequence[Availability], label: str) -> Availability:
    """One system's (or the platform's) figures over consecutive periods added up: a quarter or the term from its
    months (milliseconds add exactly)."""
    if not results:
        raise ValueError("no periods to add up")
    r0 = results[0]
    return Availability(
        r0.system, label, sum(r.period_ms for r in results), sum(r.up_ms for r in results),
        sum(r.down_ms for r in results), sum(r.unknown_ms for r in results), sum(r.excluded_ms for r in results),
        r0.target, sum(r.maintenance_ms for r in results), sum(r.exclusion_ms for r in results),
        tuple(e for r in results for e in r.excluded), r0.basis, r0.systems)


@dataclass(frozen=True)
class PeriodAvailability:
    """Every system's figures over one period and the platform's."""

    period: str
    systems: tuple[Availability, ...]
    platform: Availability

    @property
    def verdict(self) -> str:
        """The platform's verdict."""
        return self.platform.verdict

    def system(self, system_id: str) -> Availability:
        for r in self.systems:
            if r.system == system_id:
                return r
        raise KeyError(system_id)


def availability(systems: SystemsFile, timelines: Mapping[str, Sequence[Span]], period: Interval, label: str,
                 target: Fraction, *, maintenance: Mapping[str, Iterable[Interval]] | Iterable[Interval] | None = None,
                 exclusions: Mapping[str, Iterable[Interval]] | Iterable[Interval] | None = None
                 ) -> PeriodAvailability:
    """Per system and for the platform over ``period``. ``maintenance``: approved windows only (``changes
    .maintenance_intervals``); ``exclusions``: articles 60-61 (``incidents.excluded_intervals``); each either
    ``system → intervals`` or intervals that apply to every system."""
    maint = per_system(maintenance, systems.ids)
    excl = per_system(exclusions, systems.ids)
    rows = tuple(system_availability(s, timelines[s], period, label, target, maintenance=maint[s],
                                     exclusions=excl[s]) for s in systems.ids)
    return PeriodAvailability(label, rows, platform(rows, label))
