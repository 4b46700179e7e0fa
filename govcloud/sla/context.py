"""What the SLA checks (``govcloud.sla.rules``) read: the contract, the period judged, the systems, and what the
monitoring and the records say of it. Built by the ``sla report`` command; each check takes one of these.

The availability results and annex 3 events come from the monitoring path (``availability.py``,
``events.py``, ``history.py``); the checks read them by attribute only, so any object with these works:

- an availability result: ``system``, ``verdict`` (met | breached | unverifiable), ``availability`` and
  ``coverage`` (percent strings), ``down_minutes``, ``budget_minutes`` (and, when present, ``target``,
  ``unknown_minutes``);
- an event: ``level`` (A | B), ``event`` or ``id`` (the annex 3 event id of the contract), a start
  (``start_ms`` or ``interval``), and when present ``end_ms``, ``share`` (of systems down), ``systems``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from govcloud.contract.model import Contract

from .changes import Change
from .incidents import (
    DataLossJudgement,
    Deadline,
    Incident,
    Matching,
    clip_records,
    data_losses,
    judge,
    match,
    touching,
)
from .model import Interval, Outage
from .records import system_flags
from .termination import Trigger, start_of, triggers


@dataclass(frozen=True)
class CoreDataLossEvent:
    """An annex 3 core data-loss event found in an incident record (an A-level event without an outage)."""

    level: str
    event: str
    start_ms: int
    incident: Incident


@dataclass(frozen=True)
class SlaContext:
    contract: Contract
    period: Any  # clock.Period or anything with start_ms, end_ms (and label)
    systems: Mapping[str, bool]  # system id -> important (article 10); see records.system_flags
    outages: tuple[Outage, ...] = ()
    availability: tuple[Any, ...] = ()  # per-system results of the period (see the module docstring)
    incidents: tuple[Incident, ...] | None = None  # None: no incidents file given (nothing to match)
    changes: tuple[Change, ...] | None = None  # None: no changes file given
    events: tuple[Any, ...] = ()  # annex 3 events of the period from the monitoring
    prior_events: tuple[Any, ...] = ()  # events of earlier months (the history), for the rolling windows
    slack_ms: int = 0  # how far an outage and a record may miss each other and still match (a probe interval)

    @classmethod
    def build(cls, contract: Contract, period: Any, systems: Any, **kw: Any) -> SlaContext:
        """Like the constructor, with ``systems`` as ids, a mapping, or a systems file's entries, and records as
        ``IncidentRecords``/``ChangeRecords`` or any iterable of records."""
        for k in ("incidents", "changes"):
            if kw.get(k) is not None:
                kw[k] = tuple(kw[k])
        for k in ("outages", "availability", "events", "prior_events"):
            if k in kw:
                kw[k] = tuple(kw[k])
        return cls(contract, period, system_flags(systems), **kw)

    @property
    def window(self) -> Interval:
        return Interval(int(self.period.start_ms), int(self.period.end_ms))

    @property
    def label(self) -> str:
        return str(getattr(self.period, "label", ""))

    @cached_property
    def records_started(self) -> list[Incident]:
        """The records whose clocks this period judges: those that start in it."""
        return clip_records(self.incidents or (), self.window)

    @cached_property
    def deadlines(self) -> list[Deadline]:
        return judge(self.records_started, self.contract, self.systems, self.window.end_ms)

    @cached_property
    def matching(self) -> Matching | None:
        """Outages against the records touching the period; None without an incidents file."""
        if self.incidents is None:
            return None
        w = self.window
        return match(self.outages, touching(self.incidents, w), w.end_ms, self.slack_ms)

    @cached_property
    def data_losses(self) -> list[DataLossJudgement]:
        return data_losses(self.records_started, self.contract)

    @cached_property
    def core_data_loss_events(self) -> list[CoreDataLossEvent]:
        return [CoreDataLossEvent(j.level or "A", j.core_event, j.incident.start_ms, j.incident)
                for j in self.data_losses if j.core_event is not None]

    @cached_property
    def all_events(self) -> list[Any]:
        """The period's events (monitoring and records) and earlier months', each once."""
        seen, out = set(), []
        for e in (*self.prior_events, *self.events, *self.core_data_loss_events):
            key = (str(getattr(e, "level", "")), event_id(e), start_of(e))
            if key not in seen:
                seen.add(key)
                out.append(e)
        return out

    @cached_property
    def triggers(self) -> list[Trigger]:
        return triggers(self.contract, self.all_events, self.window)


def event_id(e: Any) -> str:
    return str(getattr(e, "event", None) or getattr(e, "id", None) or "")
