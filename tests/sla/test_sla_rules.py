"""The SLA checks (govcloud/sla/rules.py) through the one registry: each registered with its metadata and stage
``sla``, each finding exactly what its clause says of a month's context (real record files, outages and the
monitoring path's results as plain objects), and every finding in the shape of check.schema.json."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from govcloud.checks import registry
from govcloud.checks.writers import finding_json
from govcloud.paths import SCHEMAS_DIR
from govcloud.sla.changes import load_changes
from govcloud.sla.context import SlaContext
from govcloud.sla.incidents import load_incidents
from govcloud.sla.model import Interval, Outage

from .recordkit import SYSTEMS, bj, contract, t, write

CHECKS = registry.load()
MARCH = NS(start_ms=bj("2026-03-01 00:00:00"), end_ms=bj("2026-04-01 00:00:00"), label="2026-03")
SLA_IDS = {"sla.availability", "sla.coverage", "sla.data-loss", "sla.unapproved-maintenance", "sla.response",
           "sla.on-site", "sla.isolation", "sla.unrecorded-outage", "sla.untraced-incident", "sla.event-a",
           "sla.event-b", "sla.termination"}


def run(check_id: str, ctx: SlaContext) -> list[Any]:
    return list(CHECKS[check_id].run(ctx))


def ctx(**kw: Any) -> SlaContext:
    return SlaContext.build(contract(), MARCH, SYSTEMS, **kw)


def incidents(tmp_path: Path, *records: str):  # type: ignore[no-untyped-def]
    return load_incidents(write(tmp_path, "incidents.yaml", "kind: govcloud/sla-incidents\nversion: 1\nincidents:\n"
                                + "".join(records)), SYSTEMS)


def rec(id: str, systems: str, cause: str = "provider", **fields: str) -> str:
    out = f"  - id: {id}\n    systems: {systems}\n    cause: {cause}\n"
    for k, v in fields.items():
        out += f"    {k}: {v if k in ('data_lost', 'proof_date') else t(v)}\n"
    return out


def test_the_sla_checks_are_registered_with_their_clauses() -> None:
    sla = {c.id: c for c in CHECKS.values() if c.stage == "sla"}
    assert set(sla) == SLA_IDS
    assert {i: sla[i].clause for i in ("sla.availability", "sla.response", "sla.on-site", "sla.isolation",
                                       "sla.event-a", "sla.event-b", "sla.data-loss")} == {
        "sla.availability": "article-6", "sla.response": "article-9", "sla.on-site": "article-9",
        "sla.isolation": "article-10", "sla.event-a": "article-53", "sla.event-b": "article-54",
        "sla.data-loss": "article-6"}
    assert {sla[i].kind for i in ("sla.response", "sla.on-site", "sla.isolation")} == {"late"}


# ------------------------------------------------------------------------------------------ article 6
def test_availability_and_coverage_follow_the_verdicts_of_the_monitoring_path() -> None:
    results = [NS(system="litigation", verdict="breached", availability="99.9812%", coverage="100.0000%",
                  down_minutes="8.1", budget_minutes="4.46"),
               NS(system="public", verdict="met", availability="100.0000%", coverage="99.9000%",
                  down_minutes="0", budget_minutes="4.46"),
               NS(system="trial", verdict="unverifiable", availability="99.9950%", coverage="99.8000%",
                  down_minutes="2.2", budget_minutes="4.46")]
    c = ctx(availability=results)
    (a,) = run("sla.availability", c)
    assert (a.item, a.kind, a.severity, a.clause, a.expected, a.actual) == (
        "litigation", "availability-breached", "high", "article-6", ">= 99.99%", "99.9812%")
    assert "down 8.1 min of a 4.46 min budget" in a.message and "2026-03" in a.message
    (u,) = run("sla.coverage", c)
    assert (u.item, u.kind, u.actual) == ("trial", "unverifiable", "unverifiable")
    assert "coverage 99.8000%" in u.message


def test_data_loss_records_are_each_a_finding_and_counted(tmp_path: Path) -> None:
    four = "[litigation, trial, public, archive]"
    recs = incidents(tmp_path,
                     rec("LOSS-1", "[archive]", detected="2026-03-02 10:00:00",
                         data_lost="{systems: [archive], oldest_data_age_days: 2, recoverable: true}"),
                     rec("LOSS-2", four, detected="2026-03-20 10:00:00",
                         data_lost=f"{{systems: {four}, oldest_data_age_days: 60, recoverable: false}}"),
                     rec("FEB", "[archive]", detected="2026-02-27 10:00:00",  # another month's
                         data_lost="{systems: [archive], oldest_data_age_days: 2, recoverable: true}"))
    found = run("sla.data-loss", ctx(incidents=recs))
    assert [f.item for f in found] == ["LOSS-1", "LOSS-2"]
    assert all("judged only from data-loss records: 2 in 2026-03" in f.message for f in found)
    assert "annex 3 A-level event data-loss-core" in found[1].message
    assert found[0].expected == "data reliability >= 99.9999%"
    # the core loss is an A event of the month and a termination trigger (article 53)
    (a,) = run("sla.event-a", ctx(incidents=recs))
    assert (a.item, a.clause) == ("data-loss-core", "article-53") and "from incident LOSS-2" in a.message
    (term,) = run("sla.termination", ctx(incidents=recs))
    assert (term.clause, term.item) == ("article-53", "level-A")


def test_unapproved_maintenance_is_listed(tmp_path: Path) -> None:
    text = ("kind: govcloud/sla-changes\nversion: 1\nchanges:\n"
            f"  - {{id: C1, systems: [public], start: '{t('2026-03-08 01:00:00')}', end: '{t('2026-03-08 02:00:00')}', "
            f"change: kernel update, approved: {{by: 李娜, at: '{t('2026-03-08 01:30:00')}'}}}}\n"
            f"  - {{id: C2, systems: [trial], start: '{t('2026-03-09 01:00:00')}', end: '{t('2026-03-09 02:00:00')}', "
            f"change: kernel update, approved: {{by: 李娜, at: '{t('2026-03-01 10:00:00')}'}}}}\n")
    changes = load_changes(write(tmp_path, "changes.yaml", text), SYSTEMS)
    (f,) = run("sla.unapproved-maintenance", ctx(changes=changes))
    assert (f.item, f.kind, f.actual) == ("C1", "unapproved-maintenance",
                                          ("approved at 2026-03-08T01:30:00+08:00, after the window began at "
                                           "2026-03-08T01:00:00+08:00"))
    assert run("sla.unapproved-maintenance", ctx()) == []


# --------------------------------------------------------------------------------- articles 9 and 10
def test_late_clocks_are_findings_on_time_ones_are_not(tmp_path: Path) -> None:
    recs = incidents(
        tmp_path,
        rec("ON-TIME", "[public]", detected="2026-03-04 10:00:00", acknowledged="2026-03-04 10:15:00",
            on_site="2026-03-04 12:00:00", isolated="2026-03-04 10:30:00"),
        rec("LATE", "[public]", detected="2026-03-05 10:00:00", acknowledged="2026-03-05 10:15:01",
            on_site="2026-03-05 12:00:01", isolated="2026-03-05 10:30:01"),
        rec("IMPORTANT", "[litigation]", detected="2026-03-06 10:00:00", acknowledged="2026-03-06 10:01:00",
            isolated="2026-03-06 10:10:01"),
        rec("FEB", "[public]", detected="2026-02-28 23:50:00", acknowledged="2026-03-01 01:00:00",
            isolated="2026-03-01 01:00:00"))  # began in February: February's report judges it
    c = ctx(incidents=recs)
    (r,) = run("sla.response", c)
    assert (r.item, r.kind, r.clause, r.expected) == ("LATE", "late", "article-9",
                                                      "acknowledged within 15 min of detected")
    assert r.actual == "acknowledged 2026-03-05T10:15:01+08:00 (15m 01s)" and "0m 01s late" in r.message
    (o,) = run("sla.on-site", c)
    assert (o.item, o.expected, o.clause) == ("LATE", "on_site within 2 h of detected", "article-9")
    iso_ = run("sla.isolation", c)
    assert [(f.item, f.expected, f.clause) for f in iso_] == [
        ("LATE", "isolated within 30 min of detected", "article-10"),
        ("IMPORTANT", "isolated within 10 min of detected (an important system)", "article-10")]


def test_a_record_never_acknowledged_is_late_by_the_end_of_the_month(tmp_path: Path) -> None:
    recs = incidents(tmp_path, rec("SILENT", "[public]", detected="2026-03-31 23:40:00"))
    (r,) = run("sla.response", ctx(incidents=recs))
    assert r.actual == "no acknowledged recorded" and "none recorded by 2026-04-01T00:00:00+08:00" in r.message
    assert run("sla.isolation", ctx(incidents=recs)) == []  # 30 minutes not yet over at the month's end


def test_outages_and_records_both_ways(tmp_path: Path) -> None:
    recs = incidents(tmp_path,
                     rec("SEEN", "[public]", detected="2026-03-04 10:02:00", resolved="2026-03-04 10:30:00"),
                     rec("UNSEEN", "[trial]", detected="2026-03-05 10:00:00", resolved="2026-03-05 10:30:00"),
                     # began in February, still open: covers the outage of 1 March, and is not March's to call untraced
                     rec("OLD", "[office]", detected="2026-02-20 10:00:00"))
    outages = [Outage("public", Interval(bj("2026-03-04 10:00:00"), bj("2026-03-04 10:25:00"))),
               Outage("archive", Interval(bj("2026-03-07 03:00:00"), bj("2026-03-07 03:20:00"))),
               Outage("office", Interval(bj("2026-03-01 00:00:00"), bj("2026-03-01 00:10:00")))]
    c = ctx(incidents=recs, outages=outages)
    (u,) = run("sla.unrecorded-outage", c)
    assert (u.item, u.kind) == ("archive", "unrecorded")
    assert "archive down 2026-03-07T03:00:00+08:00..2026-03-07T03:20:00+08:00 (20.0 min)" in u.message
    (n,) = run("sla.untraced-incident", c)
    assert (n.item, n.kind, n.severity) == ("UNSEEN", "untraced", "low")
    # without an incidents file there is nothing to match: the report says so, the checks find nothing
    assert run("sla.unrecorded-outage", ctx(outages=outages)) == []
    # an empty incidents file: every outage is unrecorded
    assert len(run("sla.unrecorded-outage", ctx(outages=outages, incidents=()))) == 3


# --------------------------------------------------------------------------- articles 53-54, annex 3
def ev(level: str, when: str, event: str = "", **kw: Any) -> NS:
    event = event or {"A": "outage-platform-30pct", "B": "outage-platform-10-30pct"}[level]
    return NS(level=level, event=event, start_ms=bj(when), **kw)


def test_a_and_b_events_of_the_month_are_findings() -> None:
    events = [ev("B", "2026-03-10 01:00:00", end_ms=bj("2026-03-10 03:30:00"), share="20.0%"),
              ev("A", "2026-03-20 01:00:00", end_ms=bj("2026-03-20 04:00:00"), share="40.0%")]
    c = ctx(events=events)
    (b,) = run("sla.event-b", c)
    assert (b.item, b.kind, b.clause) == ("outage-platform-10-30pct", "event-b", "article-54")
    assert b.actual == "2026-03-10T01:00:00+08:00..2026-03-10T03:30:00+08:00 (150 min), share of systems down 20.0%"
    (a,) = run("sla.event-a", c)
    assert (a.item, a.kind, a.clause) == ("outage-platform-30pct", "event-a", "article-53")
    (term,) = run("sla.termination", c)
    assert (term.item, term.clause, term.kind) == ("level-A", "article-53", "termination-trigger")


@pytest.mark.parametrize(("first", "trigger"), [
    ("2025-03-15 10:00:01", True),  # the third B falls before 2026-03-15 10:00:01: inside 12 months
    ("2025-03-15 10:00:00", False),  # exactly 12 months before: the window [first, +12 months) ends at it
])
def test_three_b_events_in_twelve_months_to_the_second(first: str, trigger: bool) -> None:
    prior = [ev("B", first), ev("B", "2025-09-01 08:00:00")]
    found = run("sla.termination", ctx(prior_events=prior, events=[ev("B", "2026-03-15 10:00:00")]))
    if trigger:
        (f,) = found
        assert (f.item, f.clause) == ("level-B", "article-54")
        assert f.actual == "3 from " + ("2025-03-15T10:00:01+08:00")
        assert "reached at 2026-03-15T10:00:00+08:00" in f.message
    else:
        assert found == []


def test_a_trigger_reached_in_an_earlier_month_is_not_raised_again() -> None:
    prior = [ev("B", "2025-10-01 00:00:00"), ev("B", "2025-11-01 00:00:00"), ev("B", "2025-12-01 00:00:00")]
    assert run("sla.termination", ctx(prior_events=prior)) == []
    assert len(run("sla.termination", ctx(prior_events=prior, events=[ev("B", "2026-03-01 00:00:00")]))) == 1


def test_an_event_given_twice_counts_once() -> None:
    prior = [ev("B", "2025-10-01 00:00:00"), ev("B", "2026-03-05 00:00:00")]
    assert run("sla.termination", ctx(prior_events=prior, events=[ev("B", "2026-03-05 00:00:00")])) == []


# --------------------------------------------------------------------------------------------- shape
def test_every_sla_finding_is_a_finding_of_check_schema(tmp_path: Path) -> None:
    schema = json.loads((SCHEMAS_DIR / "check.schema.json").read_text(encoding="utf-8"))
    finding = Draft202012Validator({**schema, "$ref": "#/$defs/finding"} | {"type": "object", "required": [],
                                                                           "properties": {},
                                                                           "additionalProperties": True})
    recs = incidents(tmp_path, rec("LATE", "[public]", detected="2026-03-05 10:00:00",
                                   acknowledged="2026-03-05 10:20:00", isolated="2026-03-05 10:20:00"))
    c = ctx(incidents=recs, outages=[Outage("archive", Interval(bj("2026-03-07 03:00:00"), bj("2026-03-07 03:20:00")))],
            availability=[NS(system="public", verdict="breached", availability="99.9", coverage="100",
                             down_minutes="50", budget_minutes="4.46")],
            events=[ev("A", "2026-03-20 01:00:00")])
    found = [f for i in sorted(SLA_IDS) for f in run(i, c)]
    assert {f.check for f in found} == {"sla.response", "sla.unrecorded-outage", "sla.untraced-incident",
                                        "sla.availability", "sla.event-a", "sla.termination"}
    for f in found:
        errors = list(finding.iter_errors(finding_json(f)))
        assert not errors, (f.check, errors[0].message)
        assert finding_json(f)["remediation"] == CHECKS[f.check].remediation
