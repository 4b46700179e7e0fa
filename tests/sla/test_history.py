"""govcloud's own monthly results (govcloud/sla/history.py, schemas/sla-history.schema.json): read, written, and
the rolling counts of articles 53-54 from them."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace as NS

import pytest

from govcloud.errors import InputError
from govcloud.sla.availability import PLATFORM, PeriodAvailability, platform, system_availability, target_of
from govcloud.sla.clock import month, months, term
from govcloud.sla.history import History, load_history, rolling, standing, write_history
from govcloud.sla.model import Interval, Span, State

from .recordkit import bj, contract

MIN = 60_000


def doc(**months: list[dict]) -> dict:
    return {"kind": "govcloud/sla-history", "version": 1, "contract": "2025095",
            "months": {k.replace("_", "-"): {"events": v} for k, v in months.items()}}


def save(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "history.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def b(start: str, **kw: str) -> dict:
    return {"level": "B", "event": "outage-platform-10-30pct", "start": start, **kw}


def test_a_history_is_read_with_its_events_in_time_order(tmp_path: Path) -> None:
    h = load_history(save(tmp_path, doc(**{"2026_01": [b("2026-01-15T02:00:00+08:00", end="2026-01-15T04:30:00+08:00",
                                                         share="20.0%")],
                                          "2025_12": [b("2025-12-10T03:00:00+08:00")]})))
    assert [(e.month, e.level, e.start_ms) for e in h.events] == [("2025-12", "B", bj("2025-12-10 03:00:00")),
                                                                  ("2026-01", "B", bj("2026-01-15 02:00:00"))]
    assert h.events[1].end_ms == bj("2026-01-15 04:30:00") and h.events[1].share == "20.0%"
    assert [e.month for e in h.before(month("2026-01"))] == ["2025-12"]


@pytest.mark.parametrize("data, field, words", [
    (doc(**{"2026_13": []}), "months", "2026-13"),
    (doc(**{"2026_01": [{"level": "B", "start": "2026-01-15T02:00:00+08:00"}]}), "months.2026-01.events[0].event",
     "missing required field 'event'"),
    (doc(**{"2026_01": [b("2026-01-15 02:00")]}), "months.2026-01.events[0].start", "ISO 8601 time"),
    (doc(**{"2026_01": [b("2026-02-30T02:00:00+08:00")]}), "months.2026-01.events[0].start", "a real time"),
])
def test_a_bad_history_names_file_and_field(tmp_path: Path, data: dict, field: str, words: str) -> None:
    path = save(tmp_path, data)
    with pytest.raises(InputError) as exc:
        load_history(path)
    issue = exc.value.issues[0]
    assert issue.file == str(path) and issue.path == field and words in issue.expected


def test_a_missing_history_is_an_error_unless_it_may_be_the_first(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="history file not found"):
        load_history(tmp_path / "none.json")
    assert load_history(tmp_path / "none.json", missing_ok=True).events == ()


def _month_result(label: str, down_min: int) -> PeriodAvailability:
    p = month(label).interval
    tl = [Span(Interval(p.start_ms, p.end_ms - down_min * MIN), State.UP),
          Span(Interval(p.end_ms - down_min * MIN, p.end_ms), State.DOWN)]
    a = system_availability("litigation", tl, p, label, target_of(contract()))
    return PeriodAvailability(label, (a,), platform([a], label))


def test_months_are_recorded_written_and_summed_over_the_term(tmp_path: Path) -> None:
    h = History(tmp_path / "h.json", {}, "2025095")
    ev = NS(level="B", event="outage-platform-10-30pct", start_ms=bj("2026-03-10 01:00:00"),
            end_ms=bj("2026-03-10 03:30:00"), share="20.0%", systems=("litigation",))
    h = h.record(month("2026-03"), [ev], _month_result("2026-03", 3), recorded_ms=bj("2026-04-01 09:00:00"))
    h = h.record(month("2026-04"), [], _month_result("2026-04", 2))
    path = write_history(h)
    again = load_history(path)
    assert again.as_json() == h.as_json()
    m = json.loads(path.read_text(encoding="utf-8"))["months"]["2026-03"]
    assert m["events"][0]["start"] == "2026-03-10T01:00:00+08:00" and m["recorded"] == "2026-04-01T09:00:00+08:00"
    assert m["verdict"] == "met" and m["systems"]["litigation"]["down_ms"] == 3 * MIN
    t = again.figures("litigation", months(term(contract())), contract())
    assert t is not None and (t.down_ms, t.period_ms) == (5 * MIN, (31 + 30) * 1440 * MIN)
    assert t.availability_ratio == Fraction(61 * 1440 - 5, 61 * 1440)  # only the months recorded
    assert again.figures(PLATFORM, [month("2026-03")], contract()).down_ms == 3 * MIN  # type: ignore[union-attr]
    assert again.figures("litigation", [month("2025-06")], contract()) is None


def test_recording_a_month_again_replaces_it(tmp_path: Path) -> None:
    h = History(None, {}).record(month("2026-03"), [NS(level="A", id="x", start_ms=bj("2026-03-01 00:00:00"))])
    h = h.record(month("2026-03"), [])
    assert h.events == () and list(h.months) == ["2026-03"]


def test_rolling_windows_are_termination_s_calendar_months() -> None:
    evs = [NS(level="B", start_ms=bj("2025-03-15 10:00:00")), NS(level="B", start_ms=bj("2026-01-01 00:00:00"))]
    assert len(rolling(evs, "B", 12, bj("2026-03-15 09:59:59"))) == 2  # 12 calendar months less a second
    assert len(rolling(evs, "B", 12, bj("2026-03-15 10:00:00"))) == 1  # the first window has closed
    assert rolling(evs, "A", 12, bj("2026-03-15 09:00:00")) == []


def test_one_a_event_reaches_article_53(tmp_path: Path) -> None:
    a = NS(level="A", event="outage-platform-30pct", start_ms=bj("2026-03-12 09:00:00"))
    lv_a, lv_b = standing(contract(), History(None, {}), [a], month("2026-03"))
    assert (lv_a.clause, lv_a.needed, lv_a.count, lv_a.reached) == ("article-53", 1, 1, True)
    assert lv_a.triggers[0].reached_ms == a.start_ms
    assert (lv_b.count, lv_b.reached) == (0, False)
