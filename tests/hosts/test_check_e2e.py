"""`govcloud check` end to end on real hosts (issue 6): the lab stack's hosts booted and hardened,
evidence collected by `govcloud harden --check`, then an add-on's service stopped on one host:
`check` names that host and line item and exits 2; and the same evidence with a database host's audit
plugin gone makes `check` report that host's DB audit missing.

The deployed state is the lab stack's `govcloud plan --export-state` (no cloud exists here: the
export stands in for `pulumi stack export`); the hosts, the hardening and the evidence are real.
The lab is sized to its four hosts, far under the contract, so an ignore file accepts `under`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from govcloud.hosts.addons import ADDONS, evaluate
from tests.hosts.conftest import REPO

IGNORE = """version: 1
ignore:
  - kind: under
    reason: the lab tenancy is sized to its four test hosts, not to contract 2025095
    expires: 2099-12-31
"""


def _check(export: Path, evidence: Path, ignore: Path) -> tuple[int, dict]:
    out = subprocess.run([sys.executable, "-m", "govcloud.cli", "check", "--stack", "lab", "--state", str(export),
                          "--declared", str(export), "--evidence", str(evidence), "--ignore", str(ignore),
                          "--on", "2026-01-15", "--format", "json"],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode in (0, 2), out.stderr
    return out.returncode, json.loads(out.stdout)


def test_check_reports_a_stopped_addon_on_its_host(hardened, tmp_path: Path) -> None:
    export = tmp_path / "lab-export.json"
    plan = subprocess.run([sys.executable, "-m", "govcloud.cli", "plan", "--stack", "lab", "--export-state",
                           str(export), "--format", "json"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert plan.returncode == 2, plan.stderr  # the lab declares less than the contract: under
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text(IGNORE, encoding="utf-8")

    baseline = hardened.harden("check-e2e-baseline", check=True)
    code, report = _check(export, baseline.evidence_path, ignore)
    assert code == 0, report["findings"]
    assert report["addons_checked"] is True
    host = next(h for h in report["hosts"] if h["name"] == "lab-app-02")
    assert host["presence"] == "present" and host["addons"]["antivirus"] == "ok"
    assert next(h for h in report["hosts"] if h["name"] == "lab-db-01")["addons"]["db_audit"] == "ok"

    # a database host without its audit plugin: the same real evidence with pgaudit's package gone,
    # the add-on state evaluated from it as `harden` does
    doc = json.loads(baseline.evidence_path.read_text(encoding="utf-8"))
    db = doc["hosts"]["lab-db-01"]
    db["packages"]["postgresql-15-pgaudit"] = None
    facts = db["facts"]
    state = evaluate(ADDONS["db_audit"], db["packages"], db["services"], facts["virtualization"]["type"],
                     (facts["os"]["distribution"], facts["os"]["version"]))
    db["addon_state"]["db_audit"] = {"installed": state.installed, "active": state.active, "detail": state.detail}
    no_audit = tmp_path / "evidence-no-pgaudit.json"
    no_audit.write_text(json.dumps(doc), encoding="utf-8")
    code, report = _check(export, no_audit, ignore)
    assert code == 2
    assert [(f["kind"], f["item"], f["subject"]) for f in report["findings"]] == [
        ("addon-missing", "db_audit", "lab-db-01")]
    assert "postgresql-15-pgaudit" in report["findings"][0]["message"]

    lab = hardened.lab
    lab.ssh("lab-app-02", "sudo systemctl stop clamav-daemon.service")
    try:
        assert lab.ssh("lab-app-02", "systemctl is-active clamav-daemon.service", check=False).stdout.strip() != "active"
        broken = hardened.harden("check-e2e-stopped", check=True)
        code, report = _check(export, broken.evidence_path, ignore)
        assert code == 2
        assert {(f["kind"], f["item"]) for f in report["findings"] if f["subject"] == "lab-app-02"} == {
            ("addon-inactive", "antivirus")}
        inactive = next(f for f in report["findings"] if f["kind"] == "addon-inactive")
        assert inactive["clause"] == "article-2" and inactive["actual"] == "inactive"
        assert "clamav-daemon" in inactive["message"]
        failed = {f["subject"] for f in report["findings"] if f["kind"] == "control-failed"}
        assert failed and all(s.startswith("lab-app-02#") for s in failed)  # the clamd control would change
        assert {h["name"] for h in report["hosts"] if h["status"] != "ok"} == {"lab-app-02"}
    finally:
        lab.ssh("lab-app-02", "sudo systemctl start clamav-daemon.service")
