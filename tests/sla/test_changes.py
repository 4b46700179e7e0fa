"""Change records (govcloud/sla/changes.py, schemas/sla-changes.schema.json): only a window approved, by a
named person, no later than it starts is left out of availability; every other window is listed with why."""

from __future__ import annotations

from pathlib import Path

import pytest

from govcloud.errors import InputError
from govcloud.sla.changes import (
    approved,
    load_changes,
    maintenance_intervals,
    unapproved,
)
from govcloud.sla.model import Interval

from .recordkit import SYSTEMS, bj, t, write

HEAD = "kind: govcloud/sla-changes\nversion: 1\nchanges:\n"


def change(id: str, systems: str, start: str, end: str, approval: str) -> str:
    """One change as YAML text; ``approval`` is the rest of the record, already indented."""
    return (f"  - id: {id}\n    systems: {systems}\n    start: {t(start)}\n    end: {t(end)}\n"
            f"    change: upgrade PostgreSQL 15.5 to 15.6\n{approval}")


def by(at: str, who: str = "张伟 (信息技术处)") -> str:
    return f"    approved: true\n    approved_by: {who}\n    approved_at: {t(at)}\n"


def block(at: str) -> str:
    return f"    approved: {{by: 李娜, at: '{t(at)}', reference: OA-2026-0312}}\n"


WINDOW = ("2026-03-08 01:00:00", "2026-03-08 03:00:00")


def load(tmp_path: Path, *changes: str):  # type: ignore[no-untyped-def]
    return load_changes(write(tmp_path, "changes.yaml", HEAD + "".join(changes)), SYSTEMS)


def test_approved_before_the_window_excludes_it_per_system(tmp_path: Path) -> None:
    recs = load(tmp_path,
                change("C1", "[public, archive]", *WINDOW, by("2026-03-05 17:00:00")),
                change("C2", "[public]", "2026-03-08 02:30:00", "2026-03-08 04:00:00", block("2026-03-06 09:00:00")),
                change("C3", "[trial]", *WINDOW, "    approved: false\n"))
    assert [c.id for c in approved(recs)] == ["C1", "C2"]
    assert recs.changes[1].approval.reference == "OA-2026-0312" and recs.changes[1].approval.by == "李娜"
    assert maintenance_intervals(recs) == {
        "archive": [Interval(bj("2026-03-08 01:00:00"), bj("2026-03-08 03:00:00"))],
        "public": [Interval(bj("2026-03-08 01:00:00"), bj("2026-03-08 04:00:00"))],  # C1 and C2 joined
    }
    assert [(c.id, why) for c, why in unapproved(recs)] == [("C3", "not approved (approved: false)")]


@pytest.mark.parametrize(("at", "excluded"), [
    ("2026-03-08 00:59:59", True), ("2026-03-08 01:00:00", True), ("2026-03-08 01:00:01", False)])
def test_an_approval_counts_up_to_the_windows_start_and_not_a_second_later(tmp_path: Path, at: str,
                                                                           excluded: bool) -> None:
    recs = load(tmp_path, change("C1", "[public]", *WINDOW, by(at)))
    assert bool(maintenance_intervals(recs)) is excluded
    if not excluded:
        assert unapproved(recs)[0][1] == ("approved at 2026-03-08T01:00:01+08:00, after the window began at "
                                          "2026-03-08T01:00:00+08:00")


@pytest.mark.parametrize(("approval", "why"), [
    ("    approved: false\n", "not approved (approved: false)"),
    ("    approved: true\n", "approved: true, but no approver (approved_by) recorded"),
    ("    approved: true\n    approved_by: 张伟\n", "approved: true, but no approval time (approved_at) recorded"),
    ("    approved: true\n    approved_at: 2026-03-01T10:00:00+08:00\n",
     "approved: true, but no approver (approved_by) recorded"),
])
def test_a_window_without_a_full_approval_excludes_nothing_and_says_why(tmp_path: Path, approval: str,
                                                                       why: str) -> None:
    recs = load(tmp_path, change("C1", "[public]", *WINDOW, approval))
    assert maintenance_intervals(recs) == {}
    assert [(c.id, w) for c, w in unapproved(recs)] == [("C1", why)]


def test_windows_are_clipped_to_the_period_and_listed_only_when_they_touch_it(tmp_path: Path) -> None:
    recs = load(tmp_path,
                change("C1", "[public]", "2026-03-31 23:00:00", "2026-04-01 01:00:00", by("2026-03-20 10:00:00")),
                change("C2", "[trial]", "2026-04-10 01:00:00", "2026-04-10 02:00:00", "    approved: false\n"))
    march = Interval(bj("2026-03-01 00:00:00"), bj("2026-04-01 00:00:00"))
    assert maintenance_intervals(recs, march) == {
        "public": [Interval(bj("2026-03-31 23:00:00"), bj("2026-04-01 00:00:00"))]}
    assert unapproved(recs, march) == []
    assert [c.id for c, _ in unapproved(recs)] == ["C2"]


# ------------------------------------------------------------------------------------------- bad files
def _error(tmp_path: Path, *changes: str) -> str:
    with pytest.raises(InputError) as err:
        load(tmp_path, *changes)
    return str(err.value)


@pytest.mark.parametrize(("text", "where", "expected"), [
    (change("C1", "[public]", WINDOW[1], WINDOW[0], by("2026-03-01 00:00:00")), ":7: changes[0].end",
     "expected a time after start (2026-03-08T03:00:00+08:00), got 2026-03-08T01:00:00+08:00"),
    (change("C1", "[public]", WINDOW[0], WINDOW[0], by("2026-03-01 00:00:00")), ":7: changes[0].end",
     "expected a time after start (2026-03-08T01:00:00+08:00), got 2026-03-08T01:00:00+08:00"),
    (change("C1", "[nope]", *WINDOW, by("2026-03-01 00:00:00")), ":5: changes[0].systems[0]",
     "expected the id of a known system (archive, litigation, office, public, trial); 'nope' is not"),
    (change("C1", "[public]", *WINDOW, "    approved: 'yes'\n"), ":9: changes[0].approved",
     "expected true or false or a mapping, got 'yes'"),
    (change("C1", "[public]", *WINDOW, block("2026-03-01 00:00:00") + "    approved_by: 张伟\n"),
     ":10: changes[0].approved_by",
     ("expected the approval once: either `approved: {by, at}` or `approved: true` with approved_by and "
      "approved_at, not both")),
    (change("C1", "[public]", *WINDOW, "    approved: false\n    approved_by: 张伟\n"), ":9: changes[0].approved",
     "expected true when approved_by/approved_at are given (or remove them)"),
    (change("C1", "[public]", *WINDOW, "    approved: true\n    approved: false\n"), ":10: changes[0].approved",
     "duplicate key 'approved'"),
    (change("C1", "[public]", *WINDOW, "    approved: {by: 李娜}\n"), ":9: changes[0].approved.at",
     "missing required field 'at' (when it was approved)"),
])
def test_each_bad_change_is_one_error_naming_file_and_field(tmp_path: Path, text: str, where: str,
                                                           expected: str) -> None:
    assert _error(tmp_path, text) == f"{tmp_path / 'changes.yaml'}{where}: {expected}"


def test_a_duplicate_change_id_is_refused(tmp_path: Path) -> None:
    c = change("C1", "[public]", *WINDOW, "    approved: false\n")
    assert _error(tmp_path, c, c) == (f"{tmp_path / 'changes.yaml'}:10: changes[1].id: expected a unique id; 'C1' is "
                                      "also changes[0]")
