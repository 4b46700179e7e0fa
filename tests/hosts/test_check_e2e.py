"""`govcloud check` end to end on real hosts (issue 6): the lab stack's hosts booted and hardened,
evidence collected by `govcloud harden --check`, then two add-ons broken on the hosts themselves — the
antivirus service stopped on an application host, the database audit plugin's package removed from
the database host — and evidence collected again: `check` names each host and line item and exits 2.
The oracle is the hosts' own state (systemctl, dpkg), not govcloud's add-on evaluation.

The deployed state is the lab stack's `govcloud plan --export-state` (no cloud exists here: the
export stands in for `pulumi stack export`); the hosts, the hardening and the evidence are real.
The lab is sized to its four hosts, far under the contract, so an ignore file accepts `under`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hosts.conftest import REPO

pytestmark = pytest.mark.hosts
PGAUDIT = "postgresql-15-pgaudit"

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


def test_check_reports_addons_broken_on_their_hosts(hardened, tmp_path: Path) -> None:
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

    lab = hardened.lab
    # break the hosts, not the evidence: clamd stopped on lab-app-02, pgaudit's package removed on lab-db-01
    lab.ssh("lab-app-02", "sudo systemctl stop clamav-daemon.service")
    lab.ssh("lab-db-01", f"sudo env DEBIAN_FRONTEND=noninteractive dpkg --remove {PGAUDIT} >/dev/null")
    try:
        assert lab.ssh("lab-app-02", "systemctl is-active clamav-daemon.service", check=False).stdout.strip() != "active"
        assert lab.ssh("lab-db-01", f"dpkg-query -W -f '${{db:Status-Abbrev}}' {PGAUDIT}",
                       check=False).stdout.strip() in ("", "rc", "un")
        broken = hardened.harden("check-e2e-broken", check=True)
        code, report = _check(export, broken.evidence_path, ignore)
        assert code == 2
        addon = {(f["kind"], f["item"], f["subject"]) for f in report["findings"] if f["kind"].startswith("addon-")}
        assert addon == {("addon-inactive", "antivirus", "lab-app-02#antivirus"),
                         ("addon-missing", "db_audit", "lab-db-01#db_audit")}
        inactive = next(f for f in report["findings"] if f["kind"] == "addon-inactive")
        assert inactive["clause"] == "article-2" and inactive["actual"] == "inactive"
        assert "clamav-daemon" in inactive["message"]
        missing = next(f for f in report["findings"] if f["kind"] == "addon-missing")
        assert PGAUDIT in missing["message"]
        assert json.loads(broken.evidence_path.read_text())["hosts"]["lab-db-01"]["packages"][PGAUDIT] is None
        # the controls that would repair them fail in check mode, on those two hosts only
        failed = {f["subject"].split("#")[0] for f in report["findings"] if f["kind"] == "control-failed"}
        assert failed == {"lab-app-02", "lab-db-01"}
        assert {h["name"] for h in report["hosts"] if h["status"] != "ok"} == {"lab-app-02", "lab-db-01"}
    finally:
        lab.ssh("lab-app-02", "sudo systemctl start clamav-daemon.service")
        # the base image keeps the role's packages (labhosts: pre-downloaded, no network)
        lab.ssh("lab-db-01", f"sudo env DEBIAN_FRONTEND=noninteractive dpkg --install "
                             f"/var/cache/apt/archives/{PGAUDIT}_*.deb >/dev/null")
    assert lab.ssh("lab-db-01", f"dpkg-query -W -f '${{db:Status-Abbrev}}' {PGAUDIT}").stdout.strip() == "ii"
