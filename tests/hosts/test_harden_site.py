"""site.yml on real booted Debian 12 hosts (issue 4): controls, services, idempotence, check mode,
no lockout, and a broken control caught by verify-hosts. Shares one hardened lab (see conftest)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from govcloud.checks.hostreport import verify_hosts
from govcloud.hosts.controls import load_control_map
from govcloud.hosts.evidence import Evidence

pytestmark = [pytest.mark.hosts, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
KERNEL_BOUND = {c.id for c in load_control_map().controls if c.kernel_bound}


def _fails(outcome) -> dict[str, dict]:
    return {f"{h}#{cid}": c["reason"] for h, v in outcome.evidence["hosts"].items()
            for cid, c in v["controls"].items() if c["result"] == "fail"}


def test_first_run_hardens_every_host(hardened):
    ev = hardened.first.evidence
    assert sorted(ev["hosts"]) == ["lab-app-01", "lab-app-02", "lab-db-01", "lab-log-01"]
    assert _fails(hardened.first) == {}
    for name, h in ev["hosts"].items():
        assert h["stats"]["failed"] == 0 and h["stats"]["unreachable"] == 0, (name, h["stats"])
        assert h["stats"]["changed"] > 0, f"{name}: a cold run must change something"
        bad = {a: s for a, s in h["addon_state"].items() if not (s["installed"] and s["active"])}
        assert bad == {}, f"{name}: add-ons not delivered: {bad}"
        for cid in KERNEL_BOUND:
            c = h["controls"][cid]
            assert c["result"] == "waived" and c["reason"], f"{name} {cid}: {c}"
    assert "db_audit" in ev["hosts"]["lab-db-01"]["addons"]
    assert ev["hosts"]["lab-db-01"]["controls"]["addon.db_audit.pgaudit"]["result"] == "pass"
    assert ev["hosts"]["lab-app-01"]["controls"]["addon.db_audit.pgaudit"]["result"] == "not_applicable"
    assert hardened.first.exit_code == 0


def test_evidence_facts_and_schema(hardened):
    ev = Evidence.load(hardened.first.evidence_path)  # re-validates against the schema
    facts = ev.hosts["lab-app-01"]["facts"]
    assert facts["os"] == {**facts["os"], "distribution": "Debian", "version": "12"}
    assert facts["virtualization"]["type"] == "container"
    assert facts["vcpus"] == os.cpu_count() and facts["memory_mb"] > 0  # a container sees the machine
    assert ev.hosts["lab-db-01"]["packages"]["postgresql-15-pgaudit"]
    assert ev.hosts["lab-app-01"]["packages"]["postgresql-15-pgaudit"] is None
    assert ev.hosts["lab-app-01"]["services"]["clamav-daemon.service"]["state"] == "running"
    assert Path(hardened.first.evidence["run"]["events_file"]).stat().st_size > 0


def test_addon_services_are_active(hardened):
    lab = hardened.lab
    units = "rsyslog clamav-daemon prometheus-node-exporter fail2ban ssh"
    for h in lab.hosts:
        r = lab.ssh(h, f"systemctl is-active {units}", check=False)
        assert r.stdout.split() == ["active"] * len(units.split()), f"{h.name}: {units} -> {r.stdout.split()}"
    libs = lab.ssh("lab-db-01", "sudo -u postgres psql -tAc 'SHOW shared_preload_libraries'").stdout
    assert "pgaudit" in libs
    lab.ssh("lab-db-01", "sudo -u postgres psql -tAc 'CREATE TABLE IF NOT EXISTS audit_probe(i int)'")
    log = lab.ssh("lab-db-01", "sudo sh -c 'grep -rh \"AUDIT: SESSION\" /var/log/postgresql/ | tail -5'", check=False).stdout
    assert "audit_probe" in log, f"pgaudit did not log the DDL: {log!r}"


def test_rsyslog_forwards_to_the_collector(hardened):
    lab = hardened.lab
    marker = f"govcloud-forward-{uuid.uuid4().hex}"
    lab.ssh("lab-app-01", f"logger -t govcloud-test {marker}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = lab.ssh("lab-log-01", f"sudo grep -rl {marker} /var/log/remote", check=False)
        if r.returncode == 0:
            assert "lab-app-01" in r.stdout, f"forwarded line filed under {r.stdout!r}, not lab-app-01's directory"
            return
        time.sleep(1)
    pytest.fail(f"{marker} from lab-app-01 never reached lab-log-01:/var/log/remote")


def test_clamd_detects_a_planted_test_file(hardened):
    defaults = yaml.safe_load((REPO / "playbooks/roles/antivirus/defaults/main.yml").read_text())
    signature = defaults["antivirus_test_signature_string"]
    lab = hardened.lab
    lab.ssh("lab-app-01", f"printf %s {signature} > /tmp/planted.txt && echo clean > /tmp/clean.txt")
    hit = lab.ssh("lab-app-01", "clamdscan --fdpass --no-summary /tmp/planted.txt", check=False)
    assert hit.returncode == 1 and "FOUND" in hit.stdout, hit.stdout + hit.stderr
    clean = lab.ssh("lab-app-01", "clamdscan --fdpass --no-summary /tmp/clean.txt", check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_admin_can_still_log_in_after_hardening(hardened):
    for h in hardened.lab.hosts:
        r = subprocess.run([*h.ssh_args[:1], "-o", "ControlMaster=no", *h.ssh_args[1:], "id -un; sudo -n id -u"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and r.stdout.split() == ["govadmin", "0"], f"{h.name}: {r.stdout} {r.stderr}"


def test_second_run_changes_nothing(hardened):
    second = hardened.harden("apply-2")
    changed = {h: v["stats"]["changed"] for h, v in second.evidence["hosts"].items()}
    assert changed == {"lab-app-01": 0, "lab-app-02": 0, "lab-db-01": 0, "lab-log-01": 0}, {
        h: [c for c, r in v["controls"].items() if r["tasks"].get("changed")]
        for h, v in second.evidence["hosts"].items()}
    assert _fails(second) == {} and second.exit_code == 0
    ratio = second.evidence["run"]["seconds"] / hardened.first.evidence["run"]["seconds"]
    print(f"second run {second.evidence['run']['seconds']} s = {ratio:.0%} of the first")


def test_check_mode_on_a_fresh_host_reports_changes_and_makes_none(hardened):
    lab = hardened.lab
    fresh = lab.add_host("fresh1")
    probe = ("sha256sum /etc/pam.d/common-auth /etc/login.defs /etc/ssh/sshd_config; "
             "ls /etc/ssh/sshd_config.d /etc/sudoers.d; dpkg-query -W -f '${Package} ' 2>/dev/null | wc -w")
    before = lab.ssh(fresh, probe).stdout
    outcome = hardened.harden("check-fresh", check=True, limit="fresh1")
    h = outcome.evidence["hosts"]["fresh1"]
    assert outcome.evidence["run"]["mode"] == "check"
    assert h["stats"]["changed"] > 0, "check mode on a fresh host must report changes"
    assert h["stats"]["failed"] == 0, f"roles are not check-mode safe: {_fails(outcome)}"
    would = [cid for cid, c in h["controls"].items() if c["result"] == "fail" and "would change" in c["reason"]]
    assert "8.1.4.1a" in would and outcome.exit_code == 2
    assert lab.ssh(fresh, probe).stdout == before, "check mode changed the host"
    assert lab.ssh(fresh, "dpkg -s clamav-daemon", check=False).returncode != 0


def test_verify_hosts_reports_a_broken_control(hardened, tmp_path):
    lab = hardened.lab
    lab.ssh("lab-app-01", r"sudo sed -i -E '/^auth.*pam_unix\.so/ s/$/ nullok/' /etc/pam.d/common-auth")
    assert "nullok" in lab.ssh("lab-app-01", "grep pam_unix /etc/pam.d/common-auth").stdout
    outcome = hardened.harden("check-nullok", check=True, limit="lab-app-01", tags=["djbh_8.1.4.1a"])
    c = outcome.evidence["hosts"]["lab-app-01"]["controls"]["8.1.4.1a"]
    assert c["result"] == "fail" and "nullok" in c["reason"], c
    assert "nullok" in lab.ssh("lab-app-01", "grep pam_unix /etc/pam.d/common-auth").stdout, "check mode fixed it"
    report = verify_hosts(Evidence.load(outcome.evidence_path), load_control_map())
    assert report.exit_code == 2
    covered = {c.id for c in load_control_map().controls if "8.1.4.1a" in c.covered_by}  # e.g. 8.1.4.8b
    assert {(f.host, f.check, f.kind, f.control, f.subject) for f in report.findings} == {
        ("lab-app-01", "control.failed", "control-failed", cid, f"lab-app-01#{cid}") for cid in {"8.1.4.1a", *covered}}
    cli = subprocess.run([sys.executable, "-m", "govcloud.cli", "verify-hosts", str(outcome.evidence_path),
                          "--format", "json"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert cli.returncode == 2, cli.stderr
    first = json.loads(cli.stdout)["findings"][0]
    assert (first["check"], first["control"], first["clause"]) == ("control.failed", "8.1.4.1a", "article-6")
    table = subprocess.run([sys.executable, "-m", "govcloud.cli", "verify-hosts", str(outcome.evidence_path)],
                           capture_output=True, text=True, cwd=REPO, timeout=60, env={**os.environ, "COLUMNS": "200"})
    assert table.returncode == 2 and "FAIL" in table.stdout and "8.1.4.1a" in table.stdout
