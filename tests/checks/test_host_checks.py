"""The host checks (stage ``host``) in the two commands that run them, on real evidence: the recorded
harden run of the lab's four hosts (tests/runbook/data/harden-evidence.json) against the lab stack's
export. A control broken in that evidence is exactly one finding of the registered check, the same in
`check --evidence` and in `verify-hosts`; the two agree on every add-on's status."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

from govcloud.checks.hosts import AddonStatus
from govcloud.checks.registry import load
from govcloud.schemas import check_output

from .conftest import GOVCLOUD, ROOT, govcloud

RECORDED = ROOT / "tests" / "runbook" / "data" / "harden-evidence.json"  # a real applied run, every control clean
IGNORE = """version: 1
ignore:
  - kind: under
    reason: the lab tenancy is sized to its four test hosts, not to contract 2025095
    expires: 2099-12-31
"""
CHECKS = load()


@pytest.fixture(scope="module")
def lab_stack(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The lab stack's export (`plan --export-state`: under the contract by design) and an ignore file for that."""
    folder = tmp_path_factory.mktemp("lab")
    export, ignore = folder / "lab-export.json", folder / "ignore.yaml"
    out = govcloud("plan", "--stack", "lab", "--export-state", str(export), "--format", "json")
    assert out.returncode == 2 and export.is_file(), out.stderr
    ignore.write_text(IGNORE, encoding="utf-8")
    return export, ignore


def evidence(tmp_path: Path, edit: Callable[[dict[str, Any]], None] = lambda doc: None) -> Path:
    doc = json.loads(RECORDED.read_text(encoding="utf-8"))
    edit(doc)
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def both(lab_stack: tuple[Path, Path], ev: Path) -> tuple[tuple[int, dict], tuple[int, dict]]:
    """(exit, JSON) of `check --evidence` and of `verify-hosts` on the same evidence."""
    export, ignore = lab_stack
    c = govcloud("check", "--stack", "lab", "--state", str(export), "--declared", str(export), "--evidence", str(ev),
                 "--ignore", str(ignore), "--on", "2026-01-15", "--format", "json")
    v = govcloud("verify-hosts", str(ev), "--format", "json")
    assert c.returncode in (0, 2), c.stderr
    assert v.returncode in (0, 2), v.stderr
    check, verify = json.loads(c.stdout), json.loads(v.stdout)
    check_output(verify, "verify-hosts.schema.json")
    return (c.returncode, check), (v.returncode, verify)


def addons(check: dict, verify: dict) -> tuple[dict, dict]:
    return ({h["name"]: h["addons"] for h in check["hosts"]}, {h["host"]: h["addons"] for h in verify["hosts"]})


def test_the_recorded_evidence_is_clean_in_both(lab_stack: tuple[Path, Path], tmp_path: Path) -> None:
    (c_code, check), (v_code, verify) = both(lab_stack, evidence(tmp_path))
    assert (c_code, check["findings"]) == (0, []) and (v_code, verify["findings"]) == (0, [])
    by_check, by_verify = addons(check, verify)
    assert by_check == by_verify and by_verify["lab-db-01"]["db_audit"] == "ok"
    assert {s for a in by_verify.values() for s in a.values()} == {AddonStatus.OK}


def _fail(doc: dict[str, Any], host: str, control: str) -> None:
    doc["hosts"][host]["controls"][control] = {
        "result": "fail", "reason": "1 task(s) failed: pam_unix nullok is back", "tasks": {"failed": 1},
        "details": [{"task": f"{control} | remove nullok", "outcome": "failed", "msg": "nullok found"}]}


def test_a_broken_control_is_one_finding_of_its_registered_check_in_both(lab_stack: tuple[Path, Path],
                                                                          tmp_path: Path) -> None:
    ev = evidence(tmp_path, lambda doc: _fail(doc, "lab-app-02", "8.1.4.1b"))
    (c_code, check), (v_code, verify) = both(lab_stack, ev)
    registered = CHECKS["control.failed"]
    assert c_code == v_code == 2
    for report in (check, verify):
        [f] = report["findings"]
        assert (f["check"], f["kind"], f["severity"], f["clause"]) == (
            registered.id, registered.kind, registered.severity, registered.clause) == (
            "control.failed", "control-failed", "high", "article-6")
        assert (f["host"], f["control"], f["item"], f["subject"]) == (
            "lab-app-02", "8.1.4.1b", "host_hardening", "lab-app-02#8.1.4.1b")
        assert f["remediation"] == registered.remediation and "nullok" in f["message"]
    assert check["findings"] == verify["findings"]  # one Finding, one JSON shape
    assert next(h for h in check["hosts"] if h["name"] == "lab-app-02")["status"] == "control-failed"
    assert next(c for c in verify["clauses"] if c["id"] == "8.1.4.1b")["results"]["lab-app-02"] == "fail"


def test_the_two_commands_agree_on_addon_states(lab_stack: tuple[Path, Path], tmp_path: Path) -> None:
    def edit(doc: dict[str, Any]) -> None:
        state = doc["hosts"]
        state["lab-app-02"]["addon_state"]["antivirus"].update(
            active=False, detail="not running: clamav-daemon.service (stopped)")
        state["lab-db-01"]["addon_state"]["db_audit"].update(installed=False, active=False,
                                                             detail="missing packages: postgresql-15-pgaudit")
        state["lab-log-01"]["addon_state"]["log_analysis"].update(installed=None, active=None, detail="not gathered")

    (c_code, check), (v_code, verify) = both(lab_stack, evidence(tmp_path, edit))
    assert c_code == v_code == 2
    by_check, by_verify = addons(check, verify)
    assert by_check == by_verify
    assert (by_verify["lab-app-02"]["antivirus"], by_verify["lab-db-01"]["db_audit"],
            by_verify["lab-log-01"]["log_analysis"]) == ("inactive", "missing", "unverifiable")
    assert {s for a in by_verify.values() for s in a.values()} == set(AddonStatus)
    expect = {("addon.inactive", "lab-app-02#antivirus"), ("addon.missing", "lab-db-01#db_audit"),
              ("addon.unverifiable", "lab-log-01#log_analysis")}
    for report in (check, verify):
        assert {(f["check"], f["subject"]) for f in report["findings"]} == expect
        for f in report["findings"]:
            c = CHECKS[f["check"]]
            assert (f["kind"], f["severity"], f["clause"]) == (c.kind, c.severity, c.clause)
    assert check["findings"] == verify["findings"]


def test_a_control_of_the_map_missing_from_the_evidence_is_unverifiable_in_both(lab_stack: tuple[Path, Path],
                                                                                 tmp_path: Path) -> None:
    ev = evidence(tmp_path, lambda doc: doc["hosts"]["lab-db-01"]["controls"].pop("8.1.4.3a"))
    (_, check), (_, verify) = both(lab_stack, ev)
    for report in (check, verify):
        assert [(f["check"], f["kind"], f["subject"]) for f in report["findings"]] == [
            ("control.unverifiable", "unverifiable", "lab-db-01#8.1.4.3a")]
    assert next(c for c in verify["clauses"] if c["id"] == "8.1.4.3a")["results"]["lab-db-01"] == "missing"


def test_verify_hosts_table_names_the_check_and_the_control(tmp_path: Path) -> None:
    ev = evidence(tmp_path, lambda doc: _fail(doc, "lab-app-02", "8.1.4.1b"))
    out = subprocess.run([*GOVCLOUD, "verify-hosts", str(ev)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "COLUMNS": "300"})
    assert out.returncode == 2, out.stderr
    assert "control.failed" in out.stdout and "lab-app-02#8.1.4.1b" in out.stdout and "FAIL" in out.stdout

