"""The exit timeline against dates worked out by hand (contract 2025095: term 2025-06-01 to 2026-05-31).

Calendar facts used below (State Council notices, as chinese-calendar has them):
国庆+中秋 2025: 10-01..10-08 off, 09-28 (Sun) and 10-11 (Sat) make-up workdays; 元旦 2026: 01-01..01-03
off, 01-04 (Sun) a make-up workday; 春节 2026: 02-15..02-23 off, 02-14 and 02-28 (Sat) make-up workdays.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from govcloud.cli import main
from govcloud.contract.loader import load_contract
from govcloud.contract.model import ExitTerm
from govcloud.paths import DEFAULT_CONTRACT
from govcloud.runbook.steps.timeline import TimelineError, deadline_for, exit_timeline, plan
from govcloud.runbook.steps.timeline_out import to_ics, to_json
from govcloud.schemas import check_output

D = date.fromisoformat


@pytest.fixture(scope="module")
def contract():
    return load_contract(DEFAULT_CONTRACT)


def by_clause(deadlines):
    return {d.clause: d for d in deadlines}


def term(contract, clause):
    return next(t for t in contract.exit_terms if t.clause == clause)


# ------------------------------------------------------------------ triggers
def test_expiry(contract):
    # non-renewal settled 2026-03-01; the term ends 2026-05-31
    got = by_clause(exit_timeline(contract, "expiry", D("2026-03-01")))
    assert set(got) == {"article-14", "article-59", "article-71", "article-73"}
    # article 14: migrated before service ends: the term end itself (a Sunday; a same-day anchor never moves)
    assert got["article-14"].date == D("2026-05-31") and got["article-14"].by == "tenant"
    assert not got["article-14"].moved
    # article 73: service uninterrupted from the term end, by the provider
    assert got["article-73"].date == D("2026-05-31") and got["article-73"].by == "provider"
    # article 59: 2 months from 05-31 -> 07-31 (July has a 31st; a Friday, a working day)
    assert got["article-59"].date == D("2026-07-31") and got["article-59"].anchor_date == D("2026-05-31")
    # article 71: 3 years after the end -> 2029-05-31; a duty's end is not moved (and 2029 is past the calendar)
    assert got["article-71"].date == D("2029-05-31") and got["article-71"].rule.endswith("(the end of a duty)")
    assert all(d.day_kind == "natural" for d in got.values())


def test_ordered_across_national_day_does_not_move(contract):
    # request on Monday 2025-09-29; 10 natural days: 09-30, 10-01..10-08 (国庆, in the middle), 10-09 (Thursday)
    deadlines, omitted = plan(contract, "ordered", D("2025-09-29"))
    d58 = by_clause(deadlines)["article-58"]
    assert d58.date == D("2025-10-09") == d58.nominal and not d58.moved
    assert d58.day_kind == "natural" and d58.by == "provider" and d58.anchor_date == D("2025-09-29")
    # counted in working days it would have been much later: the natural-day count ignored the holiday
    assert (d58.date - d58.anchor_date).days == 10
    assert {o.clause for o in omitted} == {"article-14", "article-57", "article-59", "article-68", "article-73"}
    # article 71 under an order: the contract's end is not fixed by the trigger, so the term end (the latest)
    assert by_clause(deadlines)["article-71"].date == D("2029-05-31")


def test_ordered_last_day_in_national_day_moves(contract):
    # request Friday 2025-09-26: +10 days = 10-06, inside 国庆 -> the day after the holiday, 10-09 (民法典 203)
    d58 = by_clause(exit_timeline(contract, "ordered", D("2025-09-26")))["article-58"]
    assert d58.nominal == D("2025-10-06") and d58.date == D("2025-10-09") and d58.moved


def test_provider_exit_on_time_and_late(contract):
    # at least 6 months before 2026-05-31: 2025-11-31 does not exist -> 2025-11-30 (民法典 202);
    # a Sunday, but a latest date counted backwards is not moved later
    d57 = by_clause(exit_timeline(contract, "provider-exit", D("2025-11-28")))["article-57"]
    assert d57.date == D("2025-11-30") and not d57.moved and d57.on_time is True
    late = by_clause(exit_timeline(contract, "provider-exit", D("2025-12-01")))["article-57"]
    assert late.on_time is False
    on_the_day = by_clause(exit_timeline(contract, "provider-exit", D("2025-11-30")))["article-57"]
    assert on_the_day.on_time is True


def test_early_termination_month_end(contract):
    # terminated 2025-12-31: +2 months -> 2026-02-31 does not exist -> 2026-02-28 (month's last day, 民法典 202);
    # 02-28 is a Saturday but a make-up workday after 春节, so it does not move
    got = by_clause(exit_timeline(contract, "early-termination", D("2025-12-31")))
    assert set(got) == {"article-59", "article-71"}
    assert got["article-59"].date == D("2026-02-28") and not got["article-59"].moved
    assert got["article-59"].anchor_date == D("2025-12-31")
    # article 71 from the termination day: 2028-12-31
    assert got["article-71"].date == D("2028-12-31")


def test_early_termination_month_end_anchor_keeps_its_day(contract):
    # terminated 2025-11-30 (a month end): +2 months is the corresponding day 2026-01-30, not January's end
    assert by_clause(exit_timeline(contract, "early-termination", D("2025-11-30")))["article-59"].date == D("2026-01-30")


def test_early_termination_weekend_last_day_moves(contract):
    # terminated 2025-06-02: +2 months = Saturday 2025-08-02 (no make-up day) -> Monday 2025-08-04
    d59 = by_clause(exit_timeline(contract, "early-termination", D("2025-06-02")))["article-59"]
    assert d59.nominal == D("2025-08-02") and d59.date == D("2025-08-04") and d59.moved


# --------------------------------------------------- article 68, 5 natural days
def test_return_materials_across_new_year_does_not_move(contract):
    # notice Wednesday 2025-12-31: 5 days = 01-01, 01-02, 01-03 (元旦, in the middle), 01-04, 01-05 (Monday)
    d68 = by_clause(exit_timeline(contract, "expiry", D("2026-03-01"), notice=D("2025-12-31")))["article-68"]
    assert d68.date == D("2026-01-05") == d68.nominal and not d68.moved
    assert d68.anchor_date == D("2025-12-31") and d68.day_kind == "natural"


def test_return_materials_last_day_on_make_up_workday(contract):
    # notice 2025-12-30: +5 = Sunday 2026-01-04, a make-up workday (调休上班): a working day, not moved
    d68 = by_clause(exit_timeline(contract, "ordered", D("2025-12-30"), notice=D("2025-12-30")))["article-68"]
    assert d68.date == D("2026-01-04") and not d68.moved


def test_return_materials_last_day_in_national_day_moves(contract):
    # notice Monday 2025-09-29: +5 = 10-04, inside 国庆 (10-01..10-08) -> 10-09, the day after the holiday
    d68 = by_clause(exit_timeline(contract, "ordered", D("2025-09-29"), notice=D("2025-09-29")))["article-68"]
    assert d68.nominal == D("2025-10-04") and d68.date == D("2025-10-09") and d68.moved
    assert "民法典 203" in d68.rule


def test_working_days_across_national_day(contract):
    # the same 5 from 2025-09-29 counted as working days: 09-30 (1), 10-09 (2), 10-10 (3),
    # 10-11 Saturday make-up (4), 10-13 Monday (5)
    t = ExitTerm("x", "article-68", "written-notice", 5, "working_day", "provider", "测试")
    d = deadline_for(t, D("2025-09-29"), "notice")
    assert d.date == D("2025-10-13") and d.day_kind == "working"


@pytest.mark.parametrize("anchor,months,expected", [
    ("2025-08-31", 1, "2025-09-30"),   # September has no 31st
    ("2024-01-31", 1, "2024-02-29"),   # leap February
    ("2025-01-31", 1, "2025-02-28"),   # common February
    ("2025-10-31", -1, "2025-09-30"),  # backwards: a latest date
    ("2024-02-29", 12, "2025-02-28"),  # one year from a leap day
])
def test_month_arithmetic_at_month_ends(anchor, months, expected):
    unit, value = ("year", months // 12) if months % 12 == 0 and months > 0 else ("month", months)
    t = ExitTerm("x", "article-59", "end-or-termination", value, unit, "provider", "测试")
    d = deadline_for(t, D(anchor), "anchor")
    assert d.nominal == D(expected)


# --------------------------------------------------------------------- errors
def test_on_outside_term_is_an_error(contract):
    with pytest.raises(TimelineError, match=r"--on 2026-06-01: expected .* inside the term 2025-06-01 to 2026-05-31"):
        exit_timeline(contract, "ordered", D("2026-06-01"))
    with pytest.raises(TimelineError, match=r"--on 2025-05-31"):
        exit_timeline(contract, "early-termination", D("2025-05-31"))


def test_unknown_exit_clause_is_an_error(contract):
    odd = replace(contract, exit_terms=contract.exit_terms + (
        ExitTerm("odd", "article-99", "term-end", 1, "day", "provider", "?"),))
    with pytest.raises(TimelineError, match=r"exit\[7\]\.clause 'article-99'"):
        exit_timeline(odd, "expiry", D("2026-01-05"))


@pytest.mark.parametrize("argv,needle", [
    (["--trigger", "ordered", "--on", "2026-06-01"], "--on 2026-06-01: expected the day the court raised"),
    (["--trigger", "renewal", "--on", "2026-03-01"],
     "--trigger 'renewal': expected one of expiry, ordered, provider-exit, early-termination"),
    (["--trigger", "expiry", "--on", "2026-02-30"], "--on '2026-02-30': expected a date as YYYY-MM-DD"),
    (["--trigger", "expiry", "--on", "2026-03-01", "--notice", "2025-05-01"], "--notice 2025-05-01: expected"),
    # notice inside the calendar, its 5th day (2027-01-03) outside it
    (["--trigger", "expiry", "--on", "2026-03-01", "--notice", "2026-12-29"],
     "its last day 2027-01-03: expected a date in the years the holiday calendar knows (2004-2026)"),
    (["--trigger", "expiry", "--on", "2026-03-01", "--notice", "2027-01-04"],
     "--notice 2027-01-04: expected a date in the years the holiday calendar knows"),
])
def test_cli_errors_exit_1(argv, needle, capsys, tmp_path):
    out = tmp_path / "t.json"
    assert main(["runbook", "timeline", "--format", "json", "--out", str(out), *argv]) == 1
    assert needle in capsys.readouterr().err
    assert not out.exists()


# --------------------------------------------------------------------- outputs
def test_cli_json_matches_schema_and_library(contract, tmp_path):
    out = tmp_path / "t.json"
    rc = main(["runbook", "timeline", "--contract", str(DEFAULT_CONTRACT), "--trigger", "expiry", "--on", "2026-03-01",
               "--notice", "2025-09-29", "--format", "json", "--out", str(out)])
    assert rc == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    check_output(doc, "exit-timeline.schema.json")
    assert [(d["clause"], d["date"]) for d in doc["deadlines"]] == [
        ("article-68", "2025-10-09"), ("article-14", "2026-05-31"), ("article-73", "2026-05-31"),
        ("article-59", "2026-07-31"), ("article-71", "2029-05-31")]
    assert {o["clause"] for o in doc["omitted"]} == {"article-57", "article-58"}
    assert doc["deadlines"][0]["nominal"] == "2025-10-04" and doc["deadlines"][0]["moved"] is True


def test_cli_late_provider_exit_exits_2(tmp_path, capsys):
    rc = main(["runbook", "timeline", "--trigger", "provider-exit", "--on", "2025-12-01"])
    assert rc == 2
    assert "LATE" in capsys.readouterr().out
    assert main(["runbook", "timeline", "--trigger", "provider-exit", "--on", "2025-11-30"]) == 0


def test_ics_parses_back_with_all_day_events_and_stable_uids(contract, tmp_path):
    out = tmp_path / "exit.ics"
    assert main(["runbook", "timeline", "--trigger", "ordered", "--on", "2025-09-26", "--notice", "2025-09-29",
                 "--format", "ics", "--out", str(out)]) == 0
    cal = Calendar.from_ical(out.read_bytes())
    events = list(cal.walk("VEVENT"))
    deadlines = exit_timeline(contract, "ordered", D("2025-09-26"), notice=D("2025-09-29"))
    assert len(events) == len(deadlines) == 3
    for ev, d in zip(events, deadlines):
        start, end = ev.decoded("dtstart"), ev.decoded("dtend")
        assert type(start) is date and start == d.date          # all-day: a DATE, not a DATE-TIME
        assert end - start == timedelta(days=1)
        desc = str(ev.get("description"))
        assert d.clause in desc and d.text_zh in desc and d.clause in str(ev.get("summary"))
    assert [e.decoded("dtstart") for e in events] == [D("2025-10-09"), D("2025-10-09"), D("2029-05-31")]
    # stable: a later export of the same timeline has the same UIDs; every UID differs from the others
    again = Calendar.from_ical(to_ics(contract, "ordered", D("2025-09-26"), deadlines,
                                      stamp=datetime(2030, 1, 1, tzinfo=timezone.utc)))
    uids = [str(e.get("uid")) for e in events]
    assert uids == [str(e.get("uid")) for e in again.walk("VEVENT")] and len(set(uids)) == 3


def test_to_json_validates(contract):
    deadlines, omitted = plan(contract, "early-termination", D("2025-12-31"))
    doc = to_json(contract, "early-termination", D("2025-12-31"), None, deadlines, omitted)
    assert doc["late"] == [] and doc["notice"] is None


# ------------------------------------------------------------ runbook built-ins
def test_builtins_in_a_run(tmp_path, monkeypatch):
    """timeline.write / timeline.valid run by the engine: a good timeline verifies; a late provider exit
    (article 57) and a hand-edited date are not verified."""
    import os

    from rich.console import Console

    from govcloud.runbook.engine.loader import load_runbook
    from govcloud.runbook.engine.run import execute

    monkeypatch.setenv("GOVCLOUD_LOCK_DIR", str(tmp_path / "locks"))
    rb = tmp_path / "rb.yaml"
    rb.write_text(textwrap.dedent("""\
        kind: govcloud/runbook
        version: 1
        name: timeline-mini
        title: timeline
        params: [system, trigger, on]
        steps:
          - id: timeline
            title: exit timeline
            clause: article-59
            precondition: {none: first step}
            action: {builtin: {name: timeline.write, with: {trigger: "${trigger}", on: "${on}"}}}
            verification: {builtin: {name: timeline.valid, with: {}}}
            evidence: [timeline/timeline.json, timeline/timeline.ics]
        """))
    quiet = Console(file=open(os.devnull, "w"))

    def go(name, trigger, on):
        return execute(load_runbook(rb), {"system": name, "trigger": trigger, "on": on}, tmp_path / name,
                       console=quiet)

    ok = go("a", "early-termination", "2025-12-31")
    assert ok.exit_code == 0
    doc = json.loads((tmp_path / "a" / "timeline" / "timeline.json").read_text(encoding="utf-8"))
    assert {d["clause"]: d["date"] for d in doc["deadlines"]}["article-59"] == "2026-02-28"
    assert len(list(Calendar.from_ical((tmp_path / "a" / "timeline" / "timeline.ics").read_bytes()).walk("VEVENT"))) == 2
    late = go("b", "provider-exit", "2025-12-01")
    assert late.exit_code == 2 and late.result == "unverified"
    # a hand-edited date no longer matches the contract
    from govcloud.runbook.engine.context import RunContext
    from govcloud.runbook.steps.timeline_out import timeline_valid

    f = tmp_path / "a" / "timeline" / "timeline.json"
    f.write_text(f.read_text(encoding="utf-8").replace("2026-02-28", "2026-03-02"), encoding="utf-8")
    ctx = RunContext(load_runbook(rb), {}, tmp_path / "a", quiet, None)
    res = timeline_valid(ctx, {})
    assert not res.ok and "differs" in res.detail
