"""Working days (工作日) on the State Council calendar, make-up workdays included (articles 12, 19)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from govcloud.cli import main
from govcloud.errors import CalendarError
from govcloud.workdays import add_natural_days, add_working_days, is_workday, working_days_between


def test_national_day_2025_and_its_make_up_workdays() -> None:
    # 2025: 1-8 October off; Sunday 28 September and Saturday 11 October are working days.
    assert is_workday(date(2025, 9, 28)) and is_workday(date(2025, 10, 11))
    assert not any(is_workday(date(2025, 10, d)) for d in range(1, 9))
    assert add_working_days(date(2025, 9, 26), 5) == date(2025, 10, 10)  # 9/28, 9/29, 9/30, 10/9, 10/10
    assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)


def test_spring_festival_2026() -> None:
    # 2026: 15-23 February off; Saturday 14 and Saturday 28 February are working days.
    assert is_workday(date(2026, 2, 14)) and is_workday(date(2026, 2, 28))
    assert not is_workday(date(2026, 2, 16))
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)


def test_article_12_thirty_working_days_after_a_work_order() -> None:
    # Order on Wednesday 9 July 2025 (the signing day): no holiday until October, so 30 weekdays: 20 August.
    assert add_working_days(date(2025, 7, 9), 30) == date(2025, 8, 20)
    # Order on Monday 15 September 2025 crosses National Day: 4 + 5 days to 26 Sep, make-up Sunday 28 Sep,
    # 29-30 Sep (12), 1-8 Oct off, 9-10 Oct and make-up Saturday 11 Oct (15), then three full weeks: 31 Oct.
    due = add_working_days(date(2025, 9, 15), 30)
    assert working_days_between(date(2025, 9, 15), due) == 30
    assert due == date(2025, 10, 31)


def test_natural_days_ignore_holidays() -> None:
    assert add_natural_days(date(2025, 9, 29), 5) == date(2025, 10, 4)


def test_unknown_year_is_an_error_not_a_guess() -> None:
    with pytest.raises(CalendarError, match="knows the years"):
        add_working_days(date(2026, 12, 28), 10)
    with pytest.raises(CalendarError):
        is_workday(date(2003, 1, 2))


def test_deadline_cli_json(capsys) -> None:
    assert main(["deadline", "--from", "2025-07-09", "--working-days", "30", "--clause", "article-12",
                 "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["deadline"] == "2025-08-20" and out["calendar"] == "working" and out["clause"] == "article-12"
