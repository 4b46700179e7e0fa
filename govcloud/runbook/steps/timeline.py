"""The contract's exit terms as dates: ``exit_timeline(contract, trigger, on, notice=...)``.

Which exit terms apply to which trigger (the ``APPLIES`` table below, by clause):

* ``expiry`` (期满不再续签; ``on`` is the day non-renewal was settled, inside the term): article 14
  (the tenant migrates before service ends: the term end), article 59 (2-month switchover from the
  end), article 73 (service uninterrupted from the term end until handover), article 71.
* ``ordered`` (政务云管理单位责令退出; ``on`` is the day the court raised its migration request, inside
  the term, article 58's "服务期内"): article 58 (10 days from the request), article 71.
* ``provider-exit`` (乙方提出退出; ``on`` is the day the provider applied, inside the term):
  article 57 (at least 6 months before the term end; an application after that date is late),
  article 71.
* ``early-termination`` (甲方提前解除合同; ``on`` is the termination day, inside the term):
  article 59 (2 months from the termination), article 71.
* article 68 (return of materials, 5 days from the court's written notice) applies under every
  trigger "任何时间内", and only when the notice date is given.

Article 71's duty lasts 3 years after the contract ends: under ``expiry`` that is the term end,
under ``early-termination`` the termination day; under ``ordered`` and ``provider-exit`` the end
is not fixed by the trigger, so the term end is used (the latest the contract can end).

Counting (民法典 articles 200-204, which apply as the contract agrees nothing else):

* the anchor day is not counted (article 201): N natural days (天, 日) after D end on D + N;
* months and years end on the corresponding day of the due month, or on its last day when it
  has none (article 202): 2025-12-31 + 2 months = 2026-02-28, 2025-11-30 + 2 months = 2026-01-30,
  2026-05-31 - 6 months = 2025-11-30;
* holidays inside a natural-day period do not move it (2025-12-31 + 5 days = 2026-01-05 across
  元旦); when the **last day itself** is not a working day on the State Council calendar (a public
  holiday or a weekend rest day; a make-up workday 调休上班 counts as working), the deadline moves
  to the next working day (article 203: 2025-09-29 + 5 days = 2025-10-04, inside 国庆, moves to
  2025-10-09). ``nominal`` keeps the unmoved date.
* article 203 moves only deadlines to act counted forward from their anchor. It does not move a
  latest date counted backwards (article 57: moving it later would shorten the notice), a
  same-day anchor (articles 14, 73: service ends that day) or the end of a duty (article 71).
* working days (工作日) count State Council working days after the anchor (govcloud.workdays);
  they always end on a working day.

A date (``on``, ``notice``, or a deadline that article 203 must look at) outside the years the
holiday calendar knows is a ``TimelineError``; so is ``on`` outside the term (article 13).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from typing import Any

from govcloud.contract.loader import add_months
from govcloud.contract.model import Contract, ExitTerm
from govcloud.errors import CalendarError, GovcloudError
from govcloud.workdays import add_working_days, is_workday, known_years

TRIGGERS = ("expiry", "ordered", "provider-exit", "early-termination")

# clause -> the triggers under which the term applies (article 68 also needs a notice date)
APPLIES: dict[str, frozenset[str]] = {
    "article-14": frozenset({"expiry"}),
    "article-57": frozenset({"provider-exit"}),
    "article-58": frozenset({"ordered"}),
    "article-59": frozenset({"expiry", "early-termination"}),
    "article-68": frozenset(TRIGGERS),
    "article-71": frozenset(TRIGGERS),
    "article-73": frozenset({"expiry"}),
}
# clauses whose date ends a duty rather than a time to act: article 203 does not move them
DUTY_ENDS = frozenset({"article-71"})

TRIGGER_ZH = {"expiry": "合同期满不再续签", "ordered": "政务云管理单位责令退出",
              "provider-exit": "乙方提出退出", "early-termination": "甲方提前解除合同"}
ON_MEANS = {"expiry": "the day non-renewal was settled", "ordered": "the day the court raised its migration request",
            "provider-exit": "the day the provider applied to exit", "early-termination": "the termination day"}


class TimelineError(GovcloudError):
    """A trigger or date the timeline cannot use; the message names the argument and what was expected."""


@dataclass(frozen=True)
class Deadline:
    """One exit term as a date.

    ``date`` is the legal last day (after article 203), ``nominal`` the day before any move;
    ``day_kind`` is ``natural`` (天, 日; months and years too) or ``working`` (工作日).
    ``on_time`` is set only where the trigger itself is the act the term times (article 57).
    """

    term: str
    clause: str
    date: date
    day_kind: str
    by: str
    text_zh: str
    anchor: str
    anchor_date: date
    offset_value: int
    offset_unit: str
    nominal: date
    moved: bool
    rule: str
    on_time: bool | None = None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("date", "anchor_date", "nominal"):
            d[k] = d[k].isoformat()
        return d


@dataclass(frozen=True)
class Omitted:
    """An exit term that is not on this timeline, and why."""

    term: str
    clause: str
    why: str


def _in_calendar(day: date, what: str) -> None:
    first, last = known_years()
    if not first <= day.year <= last:
        raise TimelineError(f"{what} {day.isoformat()}: expected a date in the years the holiday calendar "
                            f"knows ({first}-{last})")


def _next_working_day(day: date) -> date:
    while not is_workday(day):
        day += timedelta(days=1)
    return day


def _anchor(term: ExitTerm, contract: Contract, trigger: str, on: date, notice: date | None) -> tuple[date, str]:
    if term.anchor == "term-end":
        return contract.term_end, "term end (article 13)"
    if term.anchor == "tenant-request":
        return on, "the court's migration request (--on)"
    if term.anchor == "written-notice":
        assert notice is not None
        return notice, "the court's written notice (--notice)"
    if term.anchor == "end-or-termination":
        if trigger == "early-termination":
            return on, "the termination day (--on)"
        if trigger == "expiry":
            return contract.term_end, "term end (article 13)"
        return contract.term_end, "term end (article 13): the latest the contract can end under this trigger"
    raise TimelineError(f"{contract.source}: exit term {term.id}: anchor {term.anchor!r} is not one of "
                        "term-end, tenant-request, written-notice, end-or-termination")


def deadline_for(term: ExitTerm, anchor_date: date, anchor: str) -> Deadline:
    """One term's date from its anchor date (articles 201-203 as the module docstring says)."""
    n, unit = term.offset_value, term.offset_unit
    kind = "working" if unit == "working_day" else "natural"
    if unit == "working_day":
        if n < 1:
            raise TimelineError(f"exit term {term.id}: expected at least 1 working day, got {n}")
        try:
            due = add_working_days(anchor_date, n)
        except CalendarError as exc:
            raise TimelineError(f"exit term {term.id} ({term.clause}): {exc}") from None
        return Deadline(term.id, term.clause, due, kind, term.by, term.text_zh, anchor, anchor_date, n, unit,
                        due, False, f"{n} working days (工作日) after the anchor, the anchor day not counted")
    if unit == "day":
        nominal = anchor_date + timedelta(days=n)
        how = f"{n} natural days (日) after the anchor, the anchor day not counted (民法典 201)"
    elif unit in ("month", "year"):
        nominal = add_months(anchor_date, n * (12 if unit == "year" else 1))
        how = (f"{n} {unit}(s) from the anchor: the corresponding day, or the month's last day when "
               "there is none (民法典 202)")
    else:
        raise TimelineError(f"exit term {term.id}: offset unit {unit!r} is not day, working_day, month or year")
    if n <= 0 or term.clause in DUTY_ENDS:
        why = "a latest date counted backwards" if n < 0 else ("the same day as the anchor" if n == 0
                                                               else "the end of a duty")
        return Deadline(term.id, term.clause, nominal, kind, term.by, term.text_zh, anchor, anchor_date, n, unit,
                        nominal, False, f"{how}; not moved for holidays ({why})")
    _in_calendar(nominal, f"exit term {term.id} ({term.clause}): its last day")
    due = _next_working_day(nominal)
    moved = due != nominal
    rule = how + ("; the last day is a holiday or rest day: moved to the next working day (民法典 203)" if moved
                  else "; the last day is a working day")
    return Deadline(term.id, term.clause, due, kind, term.by, term.text_zh, anchor, anchor_date, n, unit,
                    nominal, moved, rule)


def check_inputs(contract: Contract, trigger: str, on: date, notice: date | None) -> None:
    """Refuse an unknown trigger, ``on`` outside the term, either date outside the calendar."""
    if trigger not in TRIGGERS:
        raise TimelineError(f"--trigger {trigger!r}: expected one of {', '.join(TRIGGERS)}")
    _in_calendar(on, "--on")
    if not contract.term.contains(on):
        raise TimelineError(f"--on {on.isoformat()}: expected {ON_MEANS[trigger]}, a date inside the term "
                            f"{contract.term_start.isoformat()} to {contract.term_end.isoformat()} "
                            f"({contract.term.clause}) for --trigger {trigger}")
    if notice is not None:
        check_notice(contract, notice)


def check_notice(contract: Contract, notice: date, what: str = "--notice") -> None:
    """Article 68's written notice: any time from the term start on, inside the calendar's years."""
    _in_calendar(notice, what)
    if notice < contract.term_start:
        raise TimelineError(f"{what} {notice.isoformat()}: expected the court's written notice on or after "
                            f"the term start {contract.term_start.isoformat()}")


def exit_timeline(contract: Contract, trigger: str, on: date, *, notice: date | None = None) -> list[Deadline]:
    """Every exit deadline that applies to ``trigger`` on ``on``, sorted by date (see the module docstring)."""
    return plan(contract, trigger, on, notice=notice)[0]


def plan(contract: Contract, trigger: str, on: date, *,
         notice: date | None = None) -> tuple[list[Deadline], list[Omitted]]:
    """``exit_timeline`` plus the terms left off and why."""
    check_inputs(contract, trigger, on, notice)
    out: list[Deadline] = []
    omitted: list[Omitted] = []
    for i, term in enumerate(contract.exit_terms):
        applies = APPLIES.get(term.clause)
        if applies is None:
            raise TimelineError(f"{contract.source}: exit[{i}].clause {term.clause!r}: expected one of "
                                f"{', '.join(sorted(APPLIES))} (the timeline does not know when else it applies)")
        if trigger not in applies:
            omitted.append(Omitted(term.id, term.clause, f"applies to {', '.join(sorted(applies))}, not {trigger}"))
            continue
        if term.anchor == "written-notice" and notice is None:
            omitted.append(Omitted(term.id, term.clause, "counted from the court's written notice: pass --notice DATE"))
            continue
        anchor_date, anchor = _anchor(term, contract, trigger, on, notice)
        d = deadline_for(term, anchor_date, anchor)
        if term.clause == "article-57":
            d = replace(d, on_time=on <= d.date)
        out.append(d)
    out.sort(key=lambda d: (d.date, d.clause))
    return out, omitted
