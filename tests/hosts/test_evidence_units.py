"""Evidence from event streams, verify-hosts verdicts (the registered host checks), control map and stack
inventory (no hosts)."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from govcloud.checks.hostreport import to_json, verify_hosts
from govcloud.checks.hosts import AddonStatus
from govcloud.checks.registry import CHECKS
from govcloud.errors import InputError
from govcloud.hosts.builder import build_evidence
from govcloud.hosts.controls import load_control_map
from govcloud.hosts.evidence import MAX_AGE_ENV, Evidence, evidence_max_age, parse_max_age, write_evidence
from govcloud.hosts.inventory import load_stack_hosts, stack_inventory, stack_outputs_file
from govcloud.hosts.runner import RunResult

MAP = """
controls:
  - {id: "8.1.4.1a", clause_zh: 身份鉴别 a, title: passwords, role: hardening, status: automated,
     reason: pwquality, kernel_bound: false, line_item: host_hardening}
  - {id: "8.1.4.2g", clause_zh: 访问控制 g, title: AppArmor, role: hardening, status: automated,
     reason: needs a kernel, kernel_bound: true, line_item: host_hardening}
  - {id: "8.1.4.3a", clause_zh: 安全审计 a, title: audit, role: host_protection, status: automated,
     reason: auditd, kernel_bound: false, line_item: host_protection}
  - {id: "8.1.4.4d", clause_zh: 入侵防范 d, title: input checks, role: null, status: manual,
     reason: application code review, kernel_bound: false, line_item: host_hardening}
  - {id: "8.1.4.7a", clause_zh: 数据完整性 a, title: integrity in transit, role: null, status: partial,
     reason: ssh and tls, kernel_bound: false, line_item: host_hardening, covered_by: ["8.1.4.1a"]}
  - {id: addon.db_audit.pgaudit, clause_zh: 安全审计 a, title: pgaudit, role: db_audit, status: automated,
     reason: pgaudit, kernel_bound: false, line_item: db_audit}
  - {id: addon.antivirus.clamd, clause_zh: 恶意代码防范 a, title: clamd, role: antivirus, status: automated,
     reason: clamd, kernel_bound: false, line_item: antivirus}
"""
ALL_PKGS = {p: [{"version": "1.0"}] for p in (
    "clamav-daemon", "clamav-freshclam", "auditd", "aide", "fail2ban", "rsyslog", "rsyslog-gnutls",
    "prometheus-node-exporter", "lynis", "libpam-pwquality", "nftables")}
ALL_SVCS = {s: {"state": "running", "status": "enabled"} for s in (
    "clamav-daemon.service", "fail2ban.service", "rsyslog.service", "prometheus-node-exporter.service")}
FACTS = {"ansible_processor_vcpus": 2, "ansible_memtotal_mb": 2048, "ansible_distribution": "Debian",
         "ansible_distribution_major_version": "12", "ansible_virtualization_type": "container",
         "ansible_virtualization_role": "guest", "ansible_devices": {"vda": {"sectors": "2097152", "sectorsize": "512"}}}


def ev(kind: str, host: str, task: str, res: dict | None = None, **data) -> dict:
    return {"event": kind, "event_data": {"host": host, "task": task, "res": res or {}, **data}}


def evidence_events(host: str, pkgs=ALL_PKGS, svcs=ALL_SVCS, groups=("lab",)) -> list[dict]:
    return [ev("runner_on_ok", host, "evidence | host facts", {"ansible_facts": FACTS}),
            ev("runner_on_ok", host, "evidence | package facts", {"ansible_facts": {"packages": pkgs}}),
            ev("runner_on_ok", host, "evidence | service facts", {"ansible_facts": {"services": svcs}}),
            ev("runner_on_ok", host, "evidence | groups and add-ons", {"msg": {"groups": list(groups), "addons": None}})]


@pytest.fixture
def cmap(tmp_path):
    p = tmp_path / "controls.yml"
    p.write_text(MAP)
    return load_control_map(p)


def build(cmap, events, tmp_path, check=False, stats=None):
    events = events + [{"event": "playbook_on_stats", "event_data": stats or {"ok": {"h1": 3}, "changed": {"h1": 1}}}]
    result = RunResult(tmp_path, 0, "successful", check, events, 1.0, "s", "f", ["ansible-playbook"])
    doc = build_evidence(result, cmap, inventory="inv.yml")
    write_evidence(doc, tmp_path / "evidence.json")  # validates against the schema
    return doc["hosts"]["h1"]


def test_apply_results(cmap, tmp_path):
    h = build(cmap, [
        ev("runner_on_ok", "h1", "8.1.4.1a | set pwquality", {"changed": True}),
        ev("runner_on_ok", "h1", "8.1.4.1a | remove nullok"),
        ev("runner_on_ok", "h1", "8.1.4.2g | waived: AppArmor needs the host kernel",
           {"msg": {"status": "waived", "reason": "shares the build machine's kernel"}}),
        ev("runner_on_failed", "h1", "8.1.4.3a | install auditd", {"msg": "E: Unable to locate package"}),
        ev("runner_on_failed", "h1", "addon.antivirus.clamd | probe", {"msg": "ignored"}, ignore_errors=True),
        ev("runner_on_ok", "h1", "addon.antivirus.clamd | start clamd"),
        *evidence_events("h1"),
    ], tmp_path)
    c = h["controls"]
    assert c["8.1.4.1a"] == {"result": "pass", "reason": "2 task(s) ran: 1 ok, 1 changed",
                             "tasks": {"ok": 1, "changed": 1}}  # lean: no per-task details on a pass
    assert c["8.1.4.2g"]["result"] == "waived" and "kernel" in c["8.1.4.2g"]["reason"]
    assert c["8.1.4.3a"]["result"] == "fail" and "Unable to locate" in c["8.1.4.3a"]["reason"]
    assert c["addon.antivirus.clamd"]["result"] == "pass"  # an ignored failure is not a failure
    assert c["8.1.4.4d"]["result"] == "manual"
    assert c["8.1.4.7a"]["result"] == "pass" and "covered by 8.1.4.1a" in c["8.1.4.7a"]["reason"]
    assert c["addon.db_audit.pgaudit"]["result"] == "not_applicable"  # h1 is not in group db
    assert h["facts"]["vcpus"] == 2 and h["facts"]["disks"] == [{"device": "vda", "size_gb": 1.0}]
    assert h["addon_state"]["antivirus"] == {"installed": True, "active": True, "detail": h["addon_state"]["antivirus"]["detail"]}
    assert "auditd.service not required on a container host" in h["addon_state"]["host_protection"]["detail"]


def test_check_mode_change_is_a_failure_and_skips_are_not_run(cmap, tmp_path):
    h = build(cmap, [
        ev("runner_on_ok", "h1", "8.1.4.1a | remove nullok", {"changed": True}),
        ev("runner_on_skipped", "h1", "addon.antivirus.clamd | start clamd"),
        *evidence_events("h1", groups=("lab", "db")),
    ], tmp_path, check=True)
    c = h["controls"]
    assert c["8.1.4.1a"]["result"] == "fail" and "would change" in c["8.1.4.1a"]["reason"]
    assert c["8.1.4.1a"]["details"] == [{"task": "8.1.4.1a | remove nullok", "outcome": "would change", "msg": ""}]
    assert c["addon.antivirus.clamd"]["result"] == "not_run"
    assert c["8.1.4.2g"]["result"] == "waived"  # kernel-bound on a container, even without a waiver task
    assert c["8.1.4.7a"]["result"] == "fail"  # covered by a failing control
    assert c["addon.db_audit.pgaudit"]["result"] == "not_run"  # bought (group db) but nothing ran
    assert h["addon_state"]["db_audit"]["installed"] is False


def test_evidence_is_lean_and_bounded(cmap, tmp_path):
    """Version 2: what a control is, once per file; per host only result, reason, tally, and on a failure
    at most 10 failed tasks with messages cut to 300 characters."""
    long = "x" * 2000
    events = [ev("runner_on_failed", "h1", f"8.1.4.3a | step {i}", {"msg": long}) for i in range(13)]
    result_events = events + evidence_events("h1") + [
        {"event": "playbook_on_stats", "event_data": {"failures": {"h1": 13}}}]
    doc = build_evidence(RunResult(tmp_path, 2, "failed", False, result_events, 1.0, "s", "f", ["x"]), cmap,
                         inventory="inv.yml")
    write_evidence(doc, tmp_path / "evidence.json")  # validates against the schema
    assert doc["version"] == 2
    assert doc["control_map"]["controls"]["8.1.4.3a"] == {
        "line_item": "host_protection", "clause_zh": "安全审计 a", "title": "audit", "status": "automated",
        "kernel_bound": False}
    c = doc["hosts"]["h1"]["controls"]["8.1.4.3a"]
    assert c["result"] == "fail" and c["tasks"] == {"failed": 13}
    assert len(c["details"]) == 10 and c["details_omitted"] == 3
    assert {len(d["msg"]) for d in c["details"]} == {300}
    assert len(c["reason"]) <= 850
    assert all(set(r) <= {"result", "reason", "tasks", "details", "details_omitted"}
               for r in doc["hosts"]["h1"]["controls"].values())
    ev_ = Evidence.load(tmp_path / "evidence.json")
    assert ev_.failed_controls("h1") == [("8.1.4.3a", "host_protection", c["reason"])]
    rep = verify_hosts(ev_, cmap)  # the line item comes from the file's control_map.controls
    assert [(f.check, f.kind, f.control, f.subject, f.item) for f in rep.findings if f.kind == "control-failed"] == [
        ("control.failed", "control-failed", "8.1.4.3a", "h1#8.1.4.3a", "host_protection")]


def test_host_facts_come_from_the_plays_gathering_when_evidence_skips_its_own(cmap, tmp_path):
    # site.yml gathers the hardware facts once; evidence.yml then skips its setup task
    own = evidence_events("h1")[1:]
    h = build(cmap, [ev("runner_on_ok", "h1", "Gathering Facts", {"ansible_facts": {"ansible_memtotal_mb": 1}}),
                     ev("runner_on_ok", "h1", "Gathering Facts", {"ansible_facts": FACTS}),
                     ev("runner_on_skipped", "h1", "evidence | host facts"), *own], tmp_path)
    assert (h["facts"]["vcpus"], h["facts"]["memory_mb"], h["facts"]["virtualization"]["type"]) == (2, 2048, "container")
    # a gathering without the hardware subset is not enough; the evidence setup wins when it ran
    h = build(cmap, [ev("runner_on_ok", "h1", "Gathering Facts", {"ansible_facts": {"ansible_memtotal_mb": 1}}),
                     *own], tmp_path)
    assert h["facts"] is None
    gathered = {**FACTS, "ansible_processor_vcpus": 64}
    h = build(cmap, [ev("runner_on_ok", "h1", "Gathering Facts", {"ansible_facts": gathered}),
                     *evidence_events("h1")], tmp_path)
    assert h["facts"]["vcpus"] == 2


def test_unreachable_host_fails_every_checked_control(cmap, tmp_path):
    h = build(cmap, [ev("runner_on_unreachable", "h1", "Gathering Facts", {"msg": "ssh: connect refused"})],
              tmp_path, stats={"dark": {"h1": 1}})
    assert h["reachable"] is False and h["stats"]["unreachable"] == 1
    assert h["controls"]["8.1.4.1a"]["result"] == "fail" and "unreachable" in h["controls"]["8.1.4.1a"]["reason"]
    assert h["addon_state"]["antivirus"]["installed"] is None


def test_verify_exit_codes(cmap, tmp_path):
    events = [ev("runner_on_ok", "h1", "8.1.4.1a | ok"), ev("runner_on_ok", "h1", "8.1.4.3a | ok"),
              ev("runner_on_ok", "h1", "addon.antivirus.clamd | ok"), *evidence_events("h1")]
    build(cmap, events, tmp_path)
    rep = verify_hosts(Evidence.load(tmp_path / "evidence.json"), cmap)
    assert rep.exit_code == 0 and rep.findings == ()
    svcs = {**ALL_SVCS, "clamav-daemon.service": {"state": "stopped", "status": "enabled"}}
    pkgs = {k: v for k, v in ALL_PKGS.items() if k != "fail2ban"}
    build(cmap, events[:3] + evidence_events("h1", pkgs=pkgs, svcs=svcs), tmp_path)
    rep = verify_hosts(Evidence.load(tmp_path / "evidence.json"), cmap)
    assert rep.exit_code == 2
    assert {(f.check, f.kind, f.item, f.subject) for f in rep.findings} == {
        ("addon.inactive", "addon-inactive", "antivirus", "h1#antivirus"),
        ("addon.missing", "addon-missing", "host_protection", "h1#host_protection")}
    assert all((f.severity, f.clause) == (CHECKS[f.check].severity, CHECKS[f.check].clause) for f in rep.findings)
    out = to_json(rep)  # schema-checked
    assert out["verdict"] == "fail" and out["exit_code"] == 2
    assert out["hosts"][0]["addons"]["antivirus"] == AddonStatus.INACTIVE == "inactive"


def test_unmeasured_addons_and_controls_without_a_result_are_unverifiable(cmap, tmp_path):
    """An add-on the evidence did not measure, a control of the map with no result: never ok."""
    build(cmap, [ev("runner_on_ok", "h1", "8.1.4.1a | ok"), *evidence_events("h1")], tmp_path)
    p = tmp_path / "evidence.json"
    doc = json.loads(p.read_text())
    doc["hosts"]["h1"]["addon_state"]["antivirus"] = {"installed": None, "active": None, "detail": "not gathered"}
    del doc["hosts"]["h1"]["controls"]["8.1.4.3a"]
    p.write_text(json.dumps(doc))
    rep = verify_hosts(Evidence.load(p), cmap)
    assert rep.exit_code == 2
    assert [(f.check, f.kind, f.severity, f.clause, f.subject) for f in rep.findings] == [
        ("control.unverifiable", "unverifiable", "medium", "article-6", "h1#8.1.4.3a"),
        ("addon.unverifiable", "unverifiable", "low", "article-2", "h1#antivirus")]
    out = to_json(rep)
    assert out["hosts"][0]["addons"]["antivirus"] == "unverifiable"
    assert next(c for c in out["clauses"] if c["id"] == "8.1.4.3a")["results"] == {"h1": "missing"}


def test_bad_evidence_names_file_and_field(tmp_path):
    p = tmp_path / "evidence.json"
    p.write_text(json.dumps({"kind": "govcloud/harden-evidence", "version": 2}))
    with pytest.raises(InputError) as err:
        Evidence.load(p)
    assert str(p) in str(err.value) and "$schema: missing required field" in str(err.value)
    p.write_text(json.dumps({"kind": "govcloud/harden-evidence", "version": 1, "hosts": {}}))
    with pytest.raises(InputError) as err:
        Evidence.load(p)
    assert f"{p}: version: expected evidence version 2, got 1: re-run `govcloud harden`" in str(err.value)
    with pytest.raises(InputError, match="not found"):
        Evidence.load(tmp_path / "missing.json")


def test_evidence_controls_must_be_in_its_control_map(cmap, tmp_path):
    build(cmap, [ev("runner_on_ok", "h1", "8.1.4.1a | ok"), *evidence_events("h1")], tmp_path)
    p = tmp_path / "evidence.json"
    doc = json.loads(p.read_text())
    doc["hosts"]["h1"]["controls"]["9.9.9z"] = {"result": "pass", "reason": "ok", "tasks": {}}
    p.write_text(json.dumps(doc))
    with pytest.raises(InputError) as err:
        Evidence.load(p)
    assert (f"{p}: hosts.h1.controls.9.9.9z: expected a control listed in control_map.controls, got '9.9.9z'"
            in str(err.value))
    del doc["hosts"]["h1"]["controls"]["9.9.9z"]
    doc["hosts"]["h1"]["controls"]["8.1.4.1a"]["details"] = [{"task": "t", "outcome": "failed"}]
    p.write_text(json.dumps(doc))
    with pytest.raises(InputError) as err:  # the compiled check fails, the full validator names the field
        Evidence.load(p)
    assert "hosts.h1.controls.8.1.4.1a.details[0].msg: missing required field 'msg'" in str(err.value)


def test_project_control_map_loads():
    cmap = load_control_map()
    assert cmap.controls and len(set(cmap.ids)) == len(cmap.ids)
    assert cmap.get("8.1.4.1a").tag == "djbh_8.1.4.1a"


def test_stack_outputs_become_an_inventory(tmp_path):
    path = stack_outputs_file("lab")
    if not path.exists():
        pytest.fail(f"{path} missing: the lab stack outputs are part of the repository")
    hosts = load_stack_hosts(path)
    inv = stack_inventory(hosts)["all"]
    db = [h for h in hosts if "db_audit" in h.addons]
    assert db and all(h.name in inv["children"][h.role]["hosts"] for h in hosts)
    assert inv["hosts"][db[0].name]["govcloud_addons"] == list(db[0].addons)
    bad = tmp_path / "x-hosts.json"
    bad.write_text(json.dumps({"hosts": [{"name": "a/b", "address": "10.0.0.1"}, {"name": "c"}]}))
    with pytest.raises(InputError) as err:
        load_stack_hosts(bad)
    assert "hosts[0].name" in str(err.value) and "hosts[1].address" in str(err.value)


# --- identity and age: what a runbook may rely on (govcloud.hosts.evidence.require_*) -----------------
RECORDED = Path(__file__).resolve().parents[1] / "runbook" / "data" / "harden-evidence.json"


def recorded() -> Evidence:
    """The recorded evidence (tests/runbook/data): four hosts, run.finished 2026-11-25T20:29:14+0000."""
    return Evidence.load(RECORDED)


FINISHED = datetime(2026, 11, 25, 20, 29, 14, tzinfo=timezone.utc)


def test_fresh_up_to_the_limit_and_refused_one_second_past_it():
    e = recorded()
    assert e.finished == FINISHED
    e.require_fresh(timedelta(hours=24), FINISHED + timedelta(hours=24))
    with pytest.raises(InputError) as exc:
        e.require_fresh(timedelta(hours=24), FINISHED + timedelta(hours=24, seconds=1))
    text = str(exc.value)
    assert "\n" not in text
    assert text.startswith(f"{RECORDED}: run.finished: expected a harden run that finished at most 24 h ago "
                           "(after 2026-11-25T20:29:15+00:00), got 2026-11-25T20:29:14+0000, 24 h ago")
    assert "--evidence-max-age" in text and "GOVCLOUD_EVIDENCE_MAX_AGE" in text
    e.require_fresh(timedelta(hours=240), FINISHED + timedelta(days=9))  # a wider limit takes it


def test_evidence_from_the_future_is_refused_beyond_clock_skew():
    e = recorded()
    e.require_fresh(timedelta(hours=24), FINISHED - timedelta(minutes=4))  # clocks a little apart
    with pytest.raises(InputError, match=r"run.finished: expected a harden run that finished before now .* in the future"):
        e.require_fresh(timedelta(hours=24), FINISHED - timedelta(hours=2))


def test_unparseable_or_naive_finish_time_names_the_field(tmp_path):
    for bad in ("yesterday", "2026-11-25T20:29:14"):
        doc = json.loads(RECORDED.read_text())
        doc["run"]["finished"] = bad
        p = tmp_path / "ev.json"
        p.write_text(json.dumps(doc))
        with pytest.raises(InputError) as exc:
            Evidence.load(p).require_fresh(timedelta(hours=24))
        assert str(exc.value) == (f"{p}: run.finished: expected a date and time with its UTC offset "
                                  f"(e.g. 2026-12-04T09:30:00+0800), got {bad!r}")


def test_hosts_missing_and_foreign_are_refused_with_the_host_named():
    e = recorded()
    e.require_hosts(["lab-app-01"], known={"lab-app-01", "lab-app-02", "lab-db-01", "lab-log-01", "spare"})
    with pytest.raises(InputError) as exc:
        e.require_hosts(["lab-app-01", "old-app-01"], why="the migration target")
    assert str(exc.value) == (f"{RECORDED}: hosts.old-app-01: expected harden evidence of old-app-01 (the migration "
                              "target), got hosts lab-app-01, lab-app-02, lab-db-01, lab-log-01: run `govcloud harden` on it")
    with pytest.raises(InputError) as exc:
        e.require_hosts(["lab-app-01"], known={"lab-app-01", "lab-db-01"}, known_from="the inventory inv.yml")
    assert str(exc.value).startswith(f"{RECORDED}: hosts.lab-app-02: expected only hosts of the inventory inv.yml "
                                     "(lab-app-01, lab-db-01), got lab-app-02, lab-log-01 too")
    # missing hosts are named before foreign ones
    with pytest.raises(InputError, match="hosts.court-01: expected harden evidence of court-01"):
        e.require_hosts(["court-01"], known={"court-01"})


def test_max_age_from_the_option_the_environment_or_24_hours(monkeypatch):
    monkeypatch.delenv(MAX_AGE_ENV, raising=False)
    assert evidence_max_age() == timedelta(hours=24)
    assert evidence_max_age(6) == evidence_max_age("6") == timedelta(hours=6)
    monkeypatch.setenv(MAX_AGE_ENV, "0.5")
    assert evidence_max_age() == timedelta(minutes=30)
    assert evidence_max_age(72) == timedelta(hours=72)  # the option wins over the environment
    for bad in ("soon", "0", "-3", "nan", "inf", "1e9"):
        monkeypatch.setenv(MAX_AGE_ENV, bad)
        with pytest.raises(InputError) as exc:
            evidence_max_age()
        assert str(exc.value) == (f"environment: {MAX_AGE_ENV}: expected a number of hours > 0 (at most a year), "
                                  f"got {bad!r}")
    with pytest.raises(argparse.ArgumentTypeError, match="expected a number of hours > 0"):
        parse_max_age("0")
    assert parse_max_age("36") == 36.0
