"""``govcloud sla report`` as a user runs it, against the real backfilled Prometheus of ``conftest.py``: the
JSON (schema-checked), Markdown and table reports, the plots, the exit codes, the history written and read
back, and the errors a careless user meets. Expected figures come from the scenarios' own times."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from govcloud.schemas import load_schema
from govcloud.sla.clock import local_iso
from govcloud.sla.history import load_history

from . import scenarios as sc
from .promserver import PromServer
from .recordkit import CARRIER_INCIDENTS, maint_changes, write

pytestmark = pytest.mark.slow  # shares the session's backfilled Prometheus

ROOT = Path(__file__).resolve().parents[2]
GOVCLOUD = [sys.executable, "-m", "govcloud.cli"]


def bj_iso(seconds: int) -> str:
    return local_iso(seconds * 1000)


@pytest.fixture(scope="module")
def report(prom_server: PromServer, systems_files):  # type: ignore[no-untyped-def]
    """``report(job, month, *args)`` → (exit code, stdout, stderr) of the command on that scenario's systems."""

    def run(job: str, month: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*GOVCLOUD, "sla", "report", "--prometheus", prom_server.url, "--month", month,
                               "--systems", str(systems_files[job].path), *args],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
    return run


def as_json(r: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert r.stderr == "" or "Traceback" not in r.stderr, r.stderr
    doc = json.loads(r.stdout)
    from jsonschema import Draft202012Validator

    Draft202012Validator(load_schema("sla-report.schema.json")).validate(doc)
    return doc


def test_a_clean_month_is_met_exit_0_and_the_quarter_names_the_months_the_history_lacks(report) -> None:  # type: ignore[no-untyped-def]
    r = report("clean", "2026-03", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = as_json(r)
    assert (doc["verdict"], doc["summary"]["exit_code"], doc["findings"]) == ("met", 0, [])
    plat = doc["availability"]["platform"]
    assert (plat["availability"], plat["coverage"], plat["minutes"]["budget"]) == ("100.0000%", "100.0000%", "22.320")
    assert doc["period"] == {"label": "2026-03", "start": "2026-03-01T00:00:00+08:00",
                             "end": "2026-04-01T00:00:00+08:00", "timezone": "Asia/Shanghai", "complete": True}
    quarter, term = doc["rollups"]
    assert quarter["label"] == "2026-Q1 to 2026-03" and quarter["months"] == ["2026-03"]
    assert quarter["missing_months"] == ["2026-01", "2026-02"]
    assert term["missing_months"][0] == "2025-06" and len(term["missing_months"]) == 9
    assert [t["level"] for t in doc["termination"]] == ["A", "B"]
    assert not any(t["reached"] for t in doc["termination"])
    assert doc["incidents"] is None and doc["maintenance"] is None


def test_an_a_event_month_json_markdown_table_and_plots(report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = report("aevent", "2026-03", "--format", "json", "--plots", str(tmp_path / "plots"))
    assert r.returncode == 2, r.stderr
    doc = as_json(r)
    (a,) = doc["annex3"]["counted"]
    assert (a["level"], a["start"], a["end"], a["minutes"], a["peak_share"]) == (
        "A", bj_iso(sc.A_DOWN[0]), bj_iso(sc.A_DOWN[1]), "150", "40.0%")
    assert sorted(a["systems"]) == ["disclosure", "hearing"] and doc["annex3"]["systems_known"] == 5
    standing = {t["level"]: t for t in doc["termination"]}
    assert standing["A"]["reached"] and standing["A"]["count"] == 1 and not standing["B"]["reached"]
    checks = {f["check"] for f in doc["findings"]}
    assert {"sla.event-a", "sla.termination", "sla.availability"} <= checks
    # no incidents file: outages are listed, nothing is said of records either way
    assert "sla.unrecorded-outage" not in checks and doc["incidents"] is None
    hearing = {o["start"] for o in doc["outages"] if o["system"] == "hearing"}
    assert {bj_iso(sc.A_DOWN[0]), bj_iso(sc.A_SHORT[0])} <= hearing
    assert doc["verdict"] == "breached" and doc["summary"]["high"] >= 3

    written = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert written == sorted(f"{n}.{e}" for n in ("availability", "budget", "outages") for e in ("png", "svg"))
    for name in ("availability", "budget", "outages"):
        assert (tmp_path / "plots" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        root = ET.parse(tmp_path / "plots" / f"{name}.svg").getroot()
        assert root.tag.endswith("svg")
    assert "hearing" in (tmp_path / "plots" / "outages.svg").read_text(encoding="utf-8")

    md = report("aevent", "2026-03", "--format", "markdown")
    assert md.returncode == 2
    assert md.stdout.startswith("# SLA report, contract 2025095, 2026-03")
    assert "| A | outage-platform-30pct |" in md.stdout and "BREACHED" in md.stdout
    table = report("aevent", "2026-03", "--output", str(tmp_path / "report.txt"))
    assert table.returncode == 2 and table.stdout == ""
    text = (tmp_path / "report.txt").read_text(encoding="utf-8")
    assert "Annex 3 events" in text and "outage-platform-30pct" in text and "exit 2" in text


def test_a_carrier_record_excludes_its_outage_and_a_late_answer_is_flagged(report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    incidents = write(tmp_path, "incidents.yaml", CARRIER_INCIDENTS)
    r = report("carrier", "2026-03", "--incidents", str(incidents), "--format", "json")
    assert r.returncode == 2, r.stderr
    doc = as_json(r)
    by_system = {o["system"]: o for o in doc["outages"]}
    assert by_system["hearing"]["excluded_by"] == by_system["disclosure"]["excluded_by"] == "INC-61 (article-61)"
    assert by_system["archive"]["excluded_by"] is None
    assert [e["level"] for e in doc["annex3"]["counted"]] == ["B"]
    assert [(e["level"], e["excluded_by"]) for e in doc["annex3"]["excluded"]] == [("A", "exclusion")]
    late = {(f["check"], f["item"]) for f in doc["findings"] if f["kind"] == "late"}
    assert late == {("sla.response", "INC-7")}  # acknowledged 18 min after detection: > 15
    clocks = {(c["incident"], c["clock"]): c for c in doc["incidents"]["clocks"]}
    assert clocks[("INC-7", "response")]["status"] == "late" and clocks[("INC-7", "response")]["taken"] == "18m 00s"
    assert clocks[("INC-61", "response")]["status"] == "on-time"
    hearing = next(a for a in doc["availability"]["systems"] if a["system"] == "hearing")
    assert hearing["verdict"] == "met" and hearing["ms"]["exclusion"] == (sc.CARRIER_DOWN[1] - sc.CARRIER_DOWN[0]) * 1000


def test_maintenance_approved_is_taken_out_and_unapproved_is_listed(report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    changes = write(tmp_path, "changes.yaml", maint_changes())
    doc = as_json(report("maint", "2026-03", "--maintenance", str(changes), "--format", "json"))
    m = {c["change"]: c for c in doc["maintenance"]}
    assert (m["CHG-1"]["excludes"], m["CHG-1"]["approved_by"]) == (True, "李娜")
    assert m["CHG-2"]["excludes"] is False and "not approved" in m["CHG-2"]["refused"]
    records = next(a for a in doc["availability"]["systems"] if a["system"] == "records")
    window = (sc.MAINT_WINDOW[1] - sc.MAINT_WINDOW[0]) * 1000
    assert records["ms"]["maintenance"] == window
    assert [(e["reason"], e["end_ms"] - e["start_ms"]) for e in records["excluded"]] == [("maintenance", window)]
    # down 01:00-03:40 less the window's 01:00-03:30, and the unapproved 30 minutes: 10 + 30
    assert records["minutes"]["down"] == "40.000"
    assert "sla.unapproved-maintenance" in {f["check"] for f in doc["findings"]}


def test_three_b_events_across_the_year_boundary_from_the_history_trigger_termination(report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    history = tmp_path / "history.json"
    history.write_text(json.dumps({"kind": "govcloud/sla-history", "version": 1, "contract": "2025095", "months": {
        "2025-12": {"events": [{"level": "B", "event": "outage-platform-10-30pct",
                                "start": "2025-12-20T09:00:00+08:00", "end": "2025-12-20T11:30:00+08:00"}]}}}),
                       encoding="utf-8")
    r = report("bevent", "2026-01", "--history", str(history), "--record", "--format", "json")
    assert r.returncode == 2, r.stderr
    doc = as_json(r)
    b = next(t for t in doc["termination"] if t["level"] == "B")
    assert (b["count"], b["reached"]) == (3, True)
    assert [e["start"] for e in b["events"]] == ["2025-12-20T09:00:00+08:00", bj_iso(sc.B_DOWN[0]), bj_iso(sc.B_120[0])]
    assert "sla.termination" in {f["check"] for f in doc["findings"]}
    # the month went into the history: its events and its figures, and the next report reads them back
    h = load_history(history)
    assert sorted(h.months) == ["2025-12", "2026-01"]
    assert [e.start_ms // 1000 for e in h.months["2026-01"].events] == [sc.B_DOWN[0], sc.B_120[0]]
    assert h.months["2026-01"].platform is not None and h.months["2026-01"].verdict == doc["verdict"]
    again = as_json(report("bevent", "2026-01", "--history", str(history), "--format", "json"))
    b2 = next(t for t in again["termination"] if t["level"] == "B")
    assert b2["count"] == 3  # its own month's events are not counted twice
    quarter = again["rollups"][0]
    assert quarter["months"] == ["2026-01"] and quarter["missing_months"] == []


@pytest.mark.parametrize(("args", "says"), [
    (("--month", "2027-01"), "outside the contract's term 2025-06-01..2026-05-31"),
    (("--month", "2026-13"), "expected a calendar month as YYYY-MM"),
    (("--record",), "give --history FILE"),
])
def test_bad_requests_are_one_line_and_exit_1(report, args: tuple[str, ...], says: str) -> None:  # type: ignore[no-untyped-def]
    month = "2026-03"
    if args[0] == "--month":
        month, args = args[1], args[2:]
    r = report("clean", month, *args)
    assert r.returncode == 1 and says in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert r.stdout == ""


def test_prometheus_unreachable_names_the_url_and_exits_1(systems_files) -> None:  # type: ignore[no-untyped-def]
    from .test_prom import free_port

    url = f"http://127.0.0.1:{free_port()}"
    r = subprocess.run([*GOVCLOUD, "sla", "report", "--prometheus", url, "--month", "2026-03", "--systems",
                        str(systems_files["clean"].path), "--timeout", "3"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 1 and url in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_a_history_of_another_contract_is_refused_and_left_as_it_was(report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    history = tmp_path / "history.json"
    text = json.dumps({"kind": "govcloud/sla-history", "version": 1, "contract": "2024001", "months": {}})
    history.write_text(text, encoding="utf-8")
    r = report("clean", "2026-03", "--history", str(history), "--record")
    assert r.returncode == 1 and str(history) in r.stderr and "contract" in r.stderr and "2024001" in r.stderr
    assert "Traceback" not in r.stderr and history.read_text(encoding="utf-8") == text
