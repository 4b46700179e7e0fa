"""Incident records (govcloud/sla/incidents.py, schemas/sla-incidents.schema.json): each clock of articles 9 and
10 at its edge (to the second), both-way matching against monitoring outages, the article 60/61 exclusions,
data-loss records against annex 3, and every class of bad file ending in one error naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from govcloud.errors import InputError
from govcloud.sla.incidents import (
    Cause,
    data_losses,
    deadlines,
    excluded_intervals,
    excluded_outages,
    judge,
    load_incidents,
    match,
)
from govcloud.sla.model import Interval, Outage

from .recordkit import SYSTEMS, bj, contract, t, write

HEAD = "kind: govcloud/sla-incidents\nversion: 1\nincidents:\n"


def record(id: str = "INC-1", systems: str = "[public]", cause: str = "provider", **times: str) -> str:
    """One record as YAML text; ``times`` in Beijing time (``10:15:00`` on 2026-03-04, or a full date-time)."""
    lines = [f"  - id: {id}", f"    systems: {systems}", f"    cause: {cause}"]
    for k, v in times.items():
        lines.append(f"    {k}: {v if k in ('proof_date', 'notes', 'data_lost') else t(_day(v))}")
    return "\n".join(lines) + "\n"


def _day(v: str) -> str:
    return v if " " in v else f"2026-03-04 {v}"


def load(tmp_path: Path, *records: str, systems=SYSTEMS):  # type: ignore[no-untyped-def]
    return load_incidents(write(tmp_path, "incidents.yaml", HEAD + "".join(records)), systems)


def one(tmp_path: Path, **kw: str):  # type: ignore[no-untyped-def]
    (rec,) = load(tmp_path, record(**kw)).incidents
    return rec


def clocks(rec, as_of: str = "2026-04-01 00:00:00") -> dict[str, tuple[str, int]]:  # type: ignore[no-untyped-def]
    """clock -> (status, limit in minutes)."""
    return {d.clock: (d.status, d.limit_minutes) for d in deadlines(rec, contract(), SYSTEMS, bj(as_of))}


# ---------------------------------------------------------------------------------------------- reading
def test_a_record_is_read_with_every_time_and_its_start_is_the_earlier_of_detected_and_reported(tmp_path: Path) -> None:
    rec = one(tmp_path, systems="[litigation, public]", detected="10:02:00", reported="10:00:30",
              acknowledged="10:10:00", on_site="11:00:00", isolated="10:09:00", resolved="10:40:00")
    assert rec.systems == ("litigation", "public") and rec.cause is Cause.PROVIDER
    assert rec.start_ms == bj("2026-03-04 10:00:30") and rec.started_by == "reported"
    assert rec.resolved_ms - rec.start_ms == (39 * 60 + 30) * 1000
    assert rec.written["acknowledged"] == "2026-03-04T10:10:00+08:00"
    # detected first: the clock starts there
    rec2 = load(tmp_path, record(detected="09:00:00", reported="09:30:00")).incidents[0]
    assert rec2.start_ms == bj("2026-03-04 09:00:00") and rec2.started_by == "detected"


def test_times_in_utc_and_in_beijing_time_are_the_same_instant(tmp_path: Path) -> None:
    text = HEAD + record("A", detected="10:00:00") + (
        "  - id: B\n    systems: [public]\n    cause: provider\n    detected: 2026-03-04T02:00:00Z\n")
    a, b = load_incidents(write(tmp_path, "i.yaml", text), SYSTEMS).incidents
    assert a.start_ms == b.start_ms == 1772589600000  # 2026-03-04T02:00:00Z


# ---------------------------------------------------------------------------------- article 9: response
@pytest.mark.parametrize(("ack", "status"), [
    ("10:14:59", "on-time"), ("10:15:00", "on-time"), ("10:15:01", "late"), ("10:16:00", "late")])
def test_response_within_15_minutes_to_the_second(tmp_path: Path, ack: str, status: str) -> None:
    rec = one(tmp_path, detected="10:00:00", acknowledged=ack)
    assert clocks(rec)["response"] == (status, 15)


def test_the_response_clock_starts_at_a_report_earlier_than_detection(tmp_path: Path) -> None:
    """Reported 09:58, detected 10:00, acknowledged 10:14: 16 minutes after the report: late."""
    rec = one(tmp_path, reported="09:58:00", detected="10:00:00", acknowledged="10:14:00")
    (d,) = [d for d in deadlines(rec, contract(), SYSTEMS, bj("2026-04-01 00:00:00")) if d.clock == "response"]
    assert (d.status, d.started_by, d.taken) == ("late", "reported", "16m 00s")
    assert d.due_ms == bj("2026-03-04 10:13:00")


def test_no_acknowledgement_is_late_once_due_and_open_before(tmp_path: Path) -> None:
    rec = one(tmp_path, detected="10:00:00")
    assert clocks(rec, "2026-03-04 10:15:00")["response"] == ("open", 15)
    assert clocks(rec, "2026-03-04 10:15:01")["response"] == ("missing", 15)
    assert clocks(rec, "2026-03-04 10:15:01")["isolation"] == ("open", 30)  # public is not important: 30 min
    assert clocks(rec, "2026-03-04 10:30:01")["isolation"] == ("missing", 30)


# ----------------------------------------------------------------------------------- article 9: on site
@pytest.mark.parametrize(("on_site", "status"), [
    ("12:00:00", "on-time"), ("12:00:01", "late")])
def test_on_site_within_2_hours(tmp_path: Path, on_site: str, status: str) -> None:
    rec = one(tmp_path, detected="10:00:00", on_site=on_site)
    assert clocks(rec)["on-site"] == (status, 120)


def test_no_on_site_time_is_not_judged(tmp_path: Path) -> None:
    """Not every fault needs a visit to the machine room: an absent on_site is not late."""
    rec = one(tmp_path, detected="10:00:00", acknowledged="10:05:00", isolated="10:20:00", resolved="18:00:00")
    assert clocks(rec)["on-site"] == ("not-recorded", 120)
    assert not [d for d in judge([rec], contract(), SYSTEMS, bj("2026-04-01 00:00:00")) if d.late]


# -------------------------------------------------------------------------------- article 10: isolation
@pytest.mark.parametrize(("systems", "isolated", "expected"), [
    ("[litigation]", "10:10:00", ("on-time", 10)),  # important: 10 minutes
    ("[litigation]", "10:10:01", ("late", 10)),
    ("[public]", "10:10:01", ("on-time", 30)),  # other systems: 30 minutes
    ("[public]", "10:30:00", ("on-time", 30)),
    ("[public]", "10:30:01", ("late", 30)),
    ("[public, trial]", "10:10:01", ("late", 10)),  # any important system among them: 10
])
def test_isolation_10_minutes_for_important_systems_30_for_others(tmp_path: Path, systems: str, isolated: str,
                                                                   expected: tuple[str, int]) -> None:
    rec = one(tmp_path, systems=systems, detected="10:00:00", isolated=isolated)
    assert clocks(rec)["isolation"] == expected


def test_the_figures_are_the_contracts(tmp_path: Path) -> None:
    """Change the contract's figures and the limits follow: none is written in the code."""
    import dataclasses

    c = contract()
    other = dataclasses.replace(c, sla=dataclasses.replace(c.sla, response_minutes=5, on_site_hours=1,
                                                           fault_isolation_minutes=45,
                                                           fault_isolation_important_minutes=20))
    rec = one(tmp_path, systems="[litigation]", detected="10:00:00", acknowledged="10:05:01", isolated="10:19:00")
    got = {d.clock: (d.status, d.limit_minutes) for d in deadlines(rec, other, SYSTEMS, bj("2026-04-01 00:00:00"))}
    assert got == {"response": ("late", 5), "on-site": ("not-recorded", 60), "isolation": ("on-time", 20)}


# ------------------------------------------------------------------------------- both ways against monitoring
def test_outages_and_records_are_matched_both_ways(tmp_path: Path) -> None:
    recs = load(tmp_path,
                record("INC-1", "[public]", detected="10:03:00", resolved="10:30:00"),  # covers the public outage
                record("INC-2", "[trial]", detected="12:00:00", resolved="12:20:00"),  # nothing seen: untraced
                record("INC-3", "[office]", detected="14:00:00")).incidents  # open: runs to the period's end
    outages = [
        Outage("public", Interval(bj("2026-03-04 10:00:00"), bj("2026-03-04 10:25:00"))),
        Outage("litigation", Interval(bj("2026-03-04 10:00:00"), bj("2026-03-04 10:25:00"))),  # no record: unrecorded
        Outage("office", Interval(bj("2026-03-04 20:00:00"), bj("2026-03-04 20:05:00"))),  # inside the open INC-3
    ]
    m = match(outages, recs, until_ms=bj("2026-04-01 00:00:00"))
    assert [o.system for o in m.unrecorded] == ["litigation"]
    assert [r.id for r in m.untraced] == ["INC-2"]
    assert sorted((o.system, r.id) for o, r in m.pairs) == [("office", "INC-3"), ("public", "INC-1")]


def test_a_record_just_after_an_outage_matches_only_within_the_slack(tmp_path: Path) -> None:
    """The outage ended 10:05:00 (first probe up); the record says detected 10:05:10. Strictly they do not
    overlap; within one 15 s probe interval they do."""
    recs = load(tmp_path, record(detected="10:05:10", resolved="10:06:00")).incidents
    outage = Outage("public", Interval(bj("2026-03-04 10:00:00"), bj("2026-03-04 10:05:00")))
    strict = match([outage], recs, until_ms=bj("2026-04-01 00:00:00"))
    assert (len(strict.unrecorded), len(strict.untraced)) == (1, 1)
    loose = match([outage], recs, until_ms=bj("2026-04-01 00:00:00"), slack_ms=15_000)
    assert (len(loose.unrecorded), len(loose.untraced), len(loose.pairs)) == (0, 0, 1)
    tight = match([outage], recs, until_ms=bj("2026-04-01 00:00:00"), slack_ms=10_000)
    assert len(tight.pairs) == 0  # 10 s is exactly the gap: half-open intervals do not touch


def test_a_record_of_another_system_does_not_cover_an_outage(tmp_path: Path) -> None:
    recs = load(tmp_path, record(systems="[trial]", detected="10:00:00", resolved="11:00:00")).incidents
    m = match([Outage("public", Interval(bj("2026-03-04 10:10:00"), bj("2026-03-04 10:20:00")))], recs,
              until_ms=bj("2026-04-01 00:00:00"))
    assert len(m.unrecorded) == 1 and len(m.untraced) == 1


# ---------------------------------------------------------------------------------- articles 60 and 61
def test_carrier_and_proven_force_majeure_outages_are_excluded_others_are_not(tmp_path: Path) -> None:
    recs = load(tmp_path,
                record("CARRIER", "[public, office]", "carrier-core-network", detected="10:05:00", resolved="10:40:00"),
                record("STORM", "[trial]", "force-majeure", detected="12:00:00", resolved="13:00:00",
                       proof_date="2026-03-10"),
                record("OURS", "[litigation]", "provider", detected="10:00:00", resolved="10:30:00"),
                record("COURT", "[archive]", "tenant", detected="10:00:00", resolved="10:30:00")).incidents
    outages = [Outage("public", Interval(bj("2026-03-04 09:58:00"), bj("2026-03-04 10:42:00"))),
               Outage("litigation", Interval(bj("2026-03-04 10:00:00"), bj("2026-03-04 10:30:00"))),
               Outage("archive", Interval(bj("2026-03-04 10:00:00"), bj("2026-03-04 10:30:00")))]
    ex = excluded_intervals(recs, outages, until_ms=bj("2026-04-01 00:00:00"))
    assert ex == {
        # the outage began before anyone recorded it: the union of record and outage is left out
        "public": [Interval(bj("2026-03-04 09:58:00"), bj("2026-03-04 10:42:00"))],
        "office": [Interval(bj("2026-03-04 10:05:00"), bj("2026-03-04 10:40:00"))],  # no outage seen: the record
        "trial": [Interval(bj("2026-03-04 12:00:00"), bj("2026-03-04 13:00:00"))],
    }
    counted, excluded = excluded_outages(outages, recs, until_ms=bj("2026-04-01 00:00:00"))
    assert [o.system for o in counted] == ["litigation", "archive"]
    assert [(o.system, e.incident, e.clause) for o, e in excluded] == [("public", "CARRIER", "article-61")]
    # clipped to a period
    within = Interval(bj("2026-03-04 10:00:00"), bj("2026-03-04 12:30:00"))
    assert excluded_intervals(recs, outages, until_ms=within.end_ms, within=within)["public"] == [
        Interval(bj("2026-03-04 10:00:00"), bj("2026-03-04 10:42:00"))]
    assert excluded_intervals(recs, outages, until_ms=within.end_ms, within=within)["trial"] == [
        Interval(bj("2026-03-04 12:00:00"), bj("2026-03-04 12:30:00"))]


def test_force_majeure_without_its_proof_date_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load(tmp_path, record("STORM", "[trial]", "force-majeure", detected="12:00:00"))
    assert str(err.value) == (f"{tmp_path / 'incidents.yaml'}:4: incidents[0].proof_date: missing required field "
                              "'proof_date' (cause force-majeure needs the date of its proof, articles 60 and 62)")


def test_a_proof_date_on_another_cause_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"incidents\[0\].proof_date: expected proof_date only with cause "
                                         r"force-majeure \(article 60\); the cause is provider"):
        load(tmp_path, record(detected="12:00:00", proof_date="2026-03-10"))


# --------------------------------------------------------------------------------- article 6, annex 3
def _lost(systems: str, days: int, recoverable: str = "false") -> str:
    return f"{{systems: {systems}, oldest_data_age_days: {days}, recoverable: {recoverable}}}"


def test_data_loss_records_are_counted_and_the_core_event_needs_more_than_3_systems_a_month_unrecoverable(
        tmp_path: Path) -> None:
    four = "[litigation, trial, public, archive]"
    recs = load(tmp_path,
                record("CORE", four, detected="2026-03-31 10:00:00", data_lost=_lost(four, 32)),
                record("MONTH", four, detected="2026-03-31 10:00:00", data_lost=_lost(four, 31)),  # to 02-28: not more
                record("THREE", "[litigation, trial, public]", detected="10:00:00",
                       data_lost=_lost("[litigation, trial, public]", 90)),
                record("BACK", four, detected="10:00:00", data_lost=_lost(four, 90, "true")),
                record("QUAKE", four, "force-majeure", detected="10:00:00", proof_date="2026-03-05",
                       data_lost=_lost(four, 90)),
                record("NONE", detected="10:00:00")).incidents
    judged = {j.incident.id: (len(j.systems_beyond), j.core_event, j.level) for j in data_losses(recs, contract())}
    assert judged == {
        "CORE": (4, "data-loss-core", "A"),
        "MONTH": (0, None, None),
        "THREE": (3, None, None),
        "BACK": (0, None, None),
        "QUAKE": (4, None, None),  # 因非不可抗力: force majeure is no annex 3 event
    }


# ------------------------------------------------------------------------------------------- bad files
def _error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, "incidents.yaml", text)
    with pytest.raises(InputError) as err:
        load_incidents(path, SYSTEMS)
    return str(err.value)


def test_a_duplicate_key_names_file_line_and_key(tmp_path: Path) -> None:
    text = HEAD + record(detected="10:00:00") + "    cause: tenant\n"
    assert _error(tmp_path, text) == f"{tmp_path / 'incidents.yaml'}:8: incidents[0].cause: duplicate key 'cause'"


def test_an_alias_to_a_mapping_is_refused(tmp_path: Path) -> None:
    text = HEAD + "  - &rec\n    id: INC-1\n    systems: [public]\n    cause: provider\n" \
                  "    detected: 2026-03-04T10:00:00+08:00\n  - *rec\n"
    assert _error(tmp_path, text) == (f"{tmp_path / 'incidents.yaml'}:4: (document): expected an anchor on a plain "
                                      "value only, got &rec on a mapping or list: write the value out")


def test_a_wrong_type_names_the_field(tmp_path: Path) -> None:
    text = HEAD + record(systems="litigation", detected="10:00:00")
    assert _error(tmp_path, text) == (f"{tmp_path / 'incidents.yaml'}:5: incidents[0].systems: expected a list, "
                                      "got 'litigation'")


@pytest.mark.parametrize(("times", "field", "expected"), [
    ({"detected": "10:00:00", "acknowledged": "09:59:59"}, "acknowledged",
     "expected a time not before detected (2026-03-04T10:00:00+08:00), got 2026-03-04T09:59:59+08:00"),
    ({"reported": "10:00:00", "detected": "10:05:00", "isolated": "09:00:00"}, "isolated",
     "expected a time not before reported (2026-03-04T10:00:00+08:00), got 2026-03-04T09:00:00+08:00"),
    ({"detected": "10:00:00", "acknowledged": "10:20:00", "resolved": "10:10:00"}, "acknowledged",
     "expected a time not after resolved (2026-03-04T10:10:00+08:00), got 2026-03-04T10:20:00+08:00"),
])
def test_times_out_of_order_name_the_field_and_the_time_it_precedes(tmp_path: Path, times: dict[str, str],
                                                                    field: str, expected: str) -> None:
    out = _error(tmp_path, HEAD + record(**times))
    line = 6 + list(times).index(field) + 1  # the head's 3 lines, then id, systems, cause, the times
    assert out == f"{tmp_path / 'incidents.yaml'}:{line}: incidents[0].{field}: {expected}"


@pytest.mark.parametrize(("text", "path", "expected"), [
    (record(systems="[nope]", detected="10:00:00"), "incidents[0].systems[0]",
     "expected the id of a known system (archive, litigation, office, public, trial); 'nope' is not"),
    (record(detected="10:00:00") + record(detected="11:00:00"), "incidents[1].id",
     "expected a unique id; 'INC-1' is also incidents[0]"),
    (record(acknowledged="10:00:00"), "incidents[0].detected", "missing required field 'detected'"),
    ("  - {id: X, systems: [public], cause: provider, detected: '2026-03-04T10:00:00'}\n", "incidents[0].detected",
     ("expected an ISO 8601 time with seconds and its UTC offset, e.g. 2026-03-04T10:15:00+08:00, "
      "got '2026-03-04T10:00:00'")),
    ("  - {id: X, systems: [public], cause: provider, detected: '2026-02-30T10:00:00+08:00'}\n",
     "incidents[0].detected",
     "expected a real time such as 2026-03-04T10:15:00+08:00, got '2026-02-30T10:00:00+08:00'"),
    (record(cause="weather", detected="10:00:00"), "incidents[0].cause",
     "expected one of provider, carrier-core-network, force-majeure, tenant; got 'weather'"),
])
def test_each_bad_record_is_one_line_naming_file_and_field(tmp_path: Path, text: str, path: str, expected: str) -> None:
    out = _error(tmp_path, HEAD + text)
    assert out.startswith(f"{tmp_path / 'incidents.yaml'}:") and f": {path}: {expected}" in out, out
    assert len(out.splitlines()) == 1, out


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="incidents file not found"):
        load_incidents(tmp_path / "none.yaml", SYSTEMS)
