"""The values the SLA modules pass one another: instants and intervals in integer milliseconds (UTC epoch),
half-open ``[start, end)``, so a sample on a month boundary belongs to exactly one month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum

MS_PER_MINUTE = 60_000
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class State(StrEnum):
    """What the monitoring says of a probe or a system over an interval."""

    UP = "up"
    DOWN = "down"
    UNKNOWN = "unknown"  # no sample: a scrape gap, a dead exporter; never counted as up


@dataclass(frozen=True, order=True)
class Interval:
    """``[start_ms, end_ms)``."""

    start_ms: int
    end_ms: int

    def __post_init__(self) -> None:
        if self.end_ms < self.start_ms:
            raise ValueError(f"interval ends before it starts: {self.start_ms}..{self.end_ms}")

    @property
    def ms(self) -> int:
        return self.end_ms - self.start_ms

    def overlap(self, other: "Interval") -> int:
        """Milliseconds both cover."""
        return max(0, min(self.end_ms, other.end_ms) - max(self.start_ms, other.start_ms))

    def clip(self, other: "Interval") -> "Interval | None":
        s, e = max(self.start_ms, other.start_ms), min(self.end_ms, other.end_ms)
        return Interval(s, e) if e > s else None


@dataclass(frozen=True)
class Span:
    """A stretch of one state."""

    interval: Interval
    state: State


@dataclass(frozen=True)
class Outage:
    """A system down from ``interval.start_ms`` (its first failed probe of a run that opened the outage) to
    ``interval.end_ms`` (its first probe up again)."""

    system: str
    interval: Interval
    ongoing: bool = False  # still down where the data read ends: ``interval.end_ms`` is that end, not an up


def ms_of(dt: datetime) -> int:
    """An aware datetime as epoch milliseconds."""
    if dt.tzinfo is None:
        raise ValueError(f"expected a time with its UTC offset, got {dt.isoformat()}")
    return (dt - EPOCH) // timedelta(milliseconds=1)
