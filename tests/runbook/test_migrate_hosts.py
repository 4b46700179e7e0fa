"""`govcloud runbook migrate-in` on booted hosts: the whole runbook, and the article-24 gate
that stops it before any data moves.

The harden evidence is real and of this boot: `govcloud harden` (the CLI: site.yml and the evidence
play) applied to the target once per module, before the first migration. The gate passes on it, and
refuses the same evidence aged past the limit or naming other hosts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from govcloud.runbook.engine.journal import read_journal, step_states
from govcloud.runbook.remote import database as db
from govcloud.runbook.remote.transfer import inventory_endpoints, verify_target

from .conftest import DATA, DATABASE, DB_TARGET, ROWS, SOURCE, TARGET

pytestmark = pytest.mark.hosts

REPO = Path(__file__).resolve().parents[2]
# the target's real lynis report has warnings and a low index (the gate's scan level is tested below)
LENIENT_SCAN = ("--scan-max-warnings", "99", "--scan-min-index", "1")
TS = "%Y-%m-%dT%H:%M:%S%z"  # how `govcloud harden` writes its times


def own_ssh_masters(d: Path) -> dict[str, str]:
    """The environment of a `govcloud harden` run inside a test: its SSH ControlMasters in a folder of
    its own. harden keeps them 300 s without ServerAliveInterval (govcloud/hosts/runner.py); a
    runbook's Ansible run on the same host would reuse one and, the link then cut, hang instead of
    failing fast (tests/runbook/test_transfer_hosts.py's unreachable target, seen: 300 s timeout)."""
    return {**os.environ, "ANSIBLE_SSH_CONTROL_PATH_DIR": str(d / "cp")}


@pytest.fixture(scope="module")
def harden_evidence(mlab, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`govcloud harden --inventory LAB --limit TARGET`: the target hardened on this boot, its evidence.

    The migration lab has no log-analysis endpoint (the stack's lab has lab-log-01): without one the
    target never gets its log forwarder and the gate rightly finds log_analysis missing. So the harden
    run's inventory is the lab's own plus the group log_collector = the target: it receives its own
    forwarded logs over TLS, like lab-log-01 does."""
    d = tmp_path_factory.mktemp("harden-target")
    inv = yaml.safe_load(mlab.inventory.read_text())
    inv["all"]["children"]["log_collector"] = {"hosts": {TARGET: {}}}
    (d / "inventory.yml").write_text(yaml.safe_dump(inv, sort_keys=False))
    r = subprocess.run([sys.executable, "-m", "govcloud.cli", "harden", "--inventory", str(d / "inventory.yml"),
                        "--limit", TARGET, "--run-dir", str(d / "run"), "--evidence", str(d / "evidence.json")],
                       capture_output=True, text=True, cwd=REPO, timeout=2400, env=own_ssh_masters(d))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-5000:]
    doc = json.loads((d / "evidence.json").read_text())
    assert list(doc["hosts"]) == [TARGET] and doc["run"]["mode"] == "apply"
    return d / "evidence.json"


def variant(evidence: Path, out: Path, change) -> Path:
    """A copy of real evidence with one thing changed by ``change(doc)``."""
    doc = json.loads(evidence.read_text())
    change(doc)
    out.write_text(json.dumps(doc, ensure_ascii=False))
    return out


def migrate(mlab, run_dir: Path, evidence: Path, target_path: str, *extra: str):
    args = [sys.executable, "-m", "govcloud.cli", "runbook", "migrate-in", "--stack", "lab", "--system", "litigation",
            "--source", SOURCE, "--inventory", str(mlab.inventory), "--evidence", str(evidence),
            "--target-path", target_path, "--database", DATABASE, "--source-path", DATA, "--order-date", "2025-09-26",
            "--run-dir", str(run_dir), *extra]
    env = {**os.environ, "GOVCLOUD_LOCK_DIR": str(run_dir.parent / "locks"), "COLUMNS": "200"}
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=REPO, timeout=1500)


def rollback(run_dir: Path, rb_dir: Path):
    return subprocess.run([sys.executable, "-m", "govcloud.cli", "runbook", "rollback-in", "--migration-run",
                           str(run_dir), "--run-dir", str(rb_dir)], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "GOVCLOUD_LOCK_DIR": str(run_dir.parent / "locks"), "COLUMNS": "200"})


def test_article_24_gate_on_evidence_of_this_boot(mlab, harden_evidence, tmp_path):
    """The gate (migrate-in up to and including security-gate) on the evidence `govcloud harden` just
    wrote for the booted target: open. The same evidence aged past the limit, or naming other hosts:
    refused with the file, the field and what was expected, and nothing moves."""
    gated = "/srv/gate-test"

    def gate(evidence: Path, name: str, *extra: str):
        run_dir = tmp_path / name
        r = migrate(mlab, run_dir, evidence, gated, "--stop-before", "vuln-scan-gate", *extra)
        return r, step_states(read_journal(run_dir).records)

    r, st = gate(harden_evidence, "fresh")
    assert r.returncode == 3, r.stdout + r.stderr  # paused before vuln-scan-gate: the gate passed
    assert st["security-gate"]["state"] == "verified", st["security-gate"]
    assert f"verify-hosts clean on {TARGET}" in st["security-gate"]["detail"]["verification"]
    report = json.loads((tmp_path / "fresh/security/verify-hosts.json").read_text())
    assert report["mode"] == "apply" and [h["host"] for h in report["hosts"]] == [TARGET] and not report["findings"]

    finished = datetime.strptime(json.loads(harden_evidence.read_text())["run"]["finished"], TS)

    def age(doc: dict) -> None:  # the run ended 25 hours earlier than it did
        for k in ("started", "finished"):
            doc["run"][k] = (datetime.strptime(doc["run"][k], TS) - timedelta(hours=25)).strftime(TS)
        doc["generated_at"] = doc["run"]["finished"]

    aged = variant(harden_evidence, tmp_path / "aged.json", age)
    r, st = gate(aged, "aged")
    assert r.returncode == 2, r.stdout + r.stderr
    assert st["security-gate"]["state"] == "blocked" and "files-tools" not in st
    why = st["security-gate"]["detail"]["why"]
    assert f"{aged}: run.finished: expected a harden run that finished at most 24 h ago" in why, why
    assert f"got {(finished - timedelta(hours=25)).strftime(TS)}, 2" in why and " h ago" in why
    # the limit is settable: the same aged evidence within 48 hours passes
    r, st = gate(aged, "aged-48h", "--evidence-max-age", "48")
    assert r.returncode == 3 and st["security-gate"]["state"] == "verified", r.stdout + r.stderr

    def rename(doc: dict) -> None:  # evidence of another host: the target's record under another name
        doc["hosts"] = {"lab-app-09": doc["hosts"].pop(TARGET)}

    foreign = variant(harden_evidence, tmp_path / "foreign.json", rename)
    r, st = gate(foreign, "foreign")
    assert r.returncode == 2 and st["security-gate"]["state"] == "blocked", r.stdout + r.stderr
    why = st["security-gate"]["detail"]["why"]
    assert f"{foreign}: hosts.{TARGET}: expected harden evidence of {TARGET} (the migration target), got hosts lab-app-09" in why

    def extra_host(doc: dict) -> None:  # the target and a host of no inventory this run uses
        doc["hosts"]["prod-app-17"] = json.loads(json.dumps(doc["hosts"][TARGET]))

    wider = variant(harden_evidence, tmp_path / "wider.json", extra_host)
    r, st = gate(wider, "wider")
    assert r.returncode == 2 and st["security-gate"]["state"] == "blocked", r.stdout + r.stderr
    why = st["security-gate"]["detail"]["why"]
    assert f"{wider}: hosts.prod-app-17: expected only hosts of the inventory {mlab.inventory.resolve()}" in why, why
    assert "harden evidence refused (article 24)" in r.stdout and "hosts.prod-app-17" in r.stdout
    assert mlab.lab.ssh(TARGET, f"test -e {gated}", check=False).returncode == 1, "data moved past a closed gate"


def test_migrate_in_end_to_end(pglab, harden_evidence, tmp_path):
    mlab = pglab
    run_dir = tmp_path / "run"
    r = migrate(mlab, run_dir, harden_evidence, "/srv/litigation", *LENIENT_SCAN)
    assert r.returncode == 0, r.stdout + r.stderr
    order = json.loads((run_dir / "work-order.json").read_text())
    # article 12 by hand: 30 working days after Fri 2025-09-26 across the National Day holiday
    # (Oct 1-8 off; Sun Sep 28 and Sat Oct 11 are make-up workdays) is Thu 2025-11-13
    assert order["provisioning_deadline"] == "2025-11-13" and order["node_zh"] == "入云"
    assert [h["name"] for h in order["resources"]] == ["lab-app-01", "lab-app-02", "lab-db-01"]
    assert "北京市高级人民法院" in (run_dir / "work-order.html").read_text()
    states = step_states(read_journal(run_dir).records)
    assert all(s["state"] == "verified" and s["attempts"] == 1 for s in states.values()), states
    assert len(states) == 17
    scan = json.loads((run_dir / "security/vuln-scan.json").read_text())
    assert scan["report"].startswith("/var/lib/govcloud/vuln-scan/lynis-") and scan["hardening_index"] > 0
    checklist = json.loads((run_dir / "cutover/checklist.json").read_text())
    assert checklist["automated_ok"] and {i["id"] for i in checklist["items"] if i["status"] == "pending-operator"} == {
        "switch-traffic", "go-live-order", "owner-acceptance"}
    assert {i["id"] for i in checklist["items"] if i["status"] == "pass"} >= {"cutover-freeze", "final-sync", "target-services"}
    assert any("rollback-in" in x for x in checklist["rollback"])
    # the dump is gone from both hosts once the restore verified
    for host in (SOURCE, DB_TARGET):
        assert mlab.lab.ssh(host, f"sudo test -e /var/tmp/govcloud-dump/{DATABASE}", check=False).returncode == 1, host
    # cut-over: writes stopped at the source (a new session cannot write), nothing left to sync, PostgreSQL up
    eps = inventory_endpoints(mlab.inventory)
    refused, why = db.write_refused(eps[SOURCE], DATABASE)
    assert refused and "read-only transaction" in why
    final = json.loads((run_dir / "cutover/final-transfer-report.json").read_text())
    assert final["verified"] and final["rsync"]["files_transferred"] == 0 and final["repair"] is None
    health = json.loads((run_dir / "cutover/health.json").read_text())
    assert health["problems"] == [] and f"{DB_TARGET}:postgresql active" in health["active"]
    tables = {t["table"]: t for t in json.loads((run_dir / "db/target-tables.json").read_text())["tables"]}
    assert tables["public.cases"]["rows"] == ROWS and tables["public.parties"]["rows"] == 1000
    assert json.loads((run_dir / "db/source-tables.json").read_text())["tables"] == list(tables.values())
    summary = json.loads((run_dir / "bundle/summary.json").read_text())
    assert summary["complete"] and {f["path"] for f in summary["files"]} >= {
        "work-order.json", "stack/plan.json", "security/verify-hosts.json", "manifests/source-files.json",
        "manifests/target-files.json", "transfer-report.json", "journal.jsonl", "security/harden-evidence.json"}
    assert verify_target(mlab.source_manifest, mlab.target, "/srv/litigation") == []
    st = subprocess.run([sys.executable, "-m", "govcloud.cli", "runbook", "status", str(run_dir), "--format", "json"],
                        capture_output=True, text=True, cwd=REPO)
    assert json.loads(st.stdout)["state"] == "completed"

    # rollback: the source is as the migration recorded it, so service can return to it
    rb = rollback(run_dir, tmp_path / "rollback-1")
    assert rb.returncode == 0, rb.stdout + rb.stderr
    assert db.write_refused(eps[SOURCE], DATABASE)[0] is False, "the rollback left the source read-only"
    # rows written to the source after the dump: the same digests now name the table
    mlab.lab.ssh(SOURCE, f"sudo -n -u postgres psql -X -q -d {DATABASE} -c "
                         "\"INSERT INTO cases VALUES (0, 'late filing', now())\"")
    rb = rollback(run_dir, tmp_path / "rollback-2")
    assert rb.returncode == 2, rb.stdout + rb.stderr
    assert "changed since the dump" in rb.stdout and f"public.cases: {ROWS} rows at the dump, {ROWS + 1} now" in rb.stdout
    problems = db.compare_tables(db.table_digests(eps[SOURCE], DATABASE), db.table_digests(eps[DB_TARGET], DATABASE))
    assert problems == [f"public.cases: {ROWS + 1} rows at the source, {ROWS} at the target"]
    # a changed row, same count: the digest names it
    mlab.lab.ssh(SOURCE, f"sudo -n -u postgres psql -X -q -d {DATABASE} -c "
                         "\"DELETE FROM cases WHERE id = 0; UPDATE parties SET name = 'changed' WHERE id = 7\"")
    problems = db.compare_tables(db.table_digests(eps[SOURCE], DATABASE), db.table_digests(eps[DB_TARGET], DATABASE))
    assert problems == ["public.parties: content digest differs (1000 rows on both sides)"]


def test_bulk_copy_before_the_window_then_final_sync_moves_what_changed(pglab, harden_evidence, tmp_path):
    """The bulk copy ahead of the maintenance window (`--stop-before cutover-freeze`, exit 3, the
    source still in service), the court writing meanwhile, then `--resume` in the window: final-sync
    sends the changed and new files and, the database having changed since the dump, dumps,
    transfers and restores it again. Runs after the end-to-end test on the same hosts and puts the
    source back as it found it."""
    mlab, eps = pglab, inventory_endpoints(pglab.inventory)
    run_dir, target_path = tmp_path / "run", "/srv/litigation-window"
    evidence = harden_evidence
    psql = f"sudo -n -u postgres psql -X -q -d {DATABASE} -c "
    amended, late = f"{DATA}/docs/00/case-00000.txt", f"{DATA}/late-filing.txt"
    r = migrate(mlab, run_dir, evidence, target_path, *LENIENT_SCAN, "--stop-before", "cutover-freeze")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "paused before this step" in r.stdout
    states = step_states(read_journal(run_dir).records)
    assert states["db-cleanup"]["state"] == "verified" and "cutover-freeze" not in states
    assert db.write_refused(eps[SOURCE], DATABASE)[0] is False, "the pause froze the source"
    rows = db.table_digests(eps[SOURCE], DATABASE)
    mlab.lab.ssh(SOURCE, f"sudo cp -p {amended} /var/tmp/case-00000.keep")
    try:
        mlab.lab.ssh(SOURCE, psql + "\"INSERT INTO cases VALUES (-1, 'filed during the migration', now())\"")
        mlab.lab.ssh(SOURCE, f"sudo sh -c 'echo amended >> {amended}; echo late > {late}'")
        r = migrate(mlab, run_dir, evidence, target_path, *LENIENT_SCAN, "--resume")
        assert r.returncode == 0, r.stdout + r.stderr
        final = json.loads((run_dir / "cutover/final-transfer-report.json").read_text())
        assert final["verified"] and final["rsync"]["files_transferred"] == 2, final["rsync"]
        changed = step_states(read_journal(run_dir).records)["final-sync"]["detail"]["action"]["database_changed"]
        assert any(c.startswith("public.cases: ") for c in changed), changed
        assert "database changed since the dump" in r.stdout
        target = {t.table: t.rows for t in db.table_digests(eps[DB_TARGET], DATABASE)}
        assert target["public.cases"] == {t.table: t.rows for t in rows}["public.cases"] + 1
        assert db.compare_tables(db.table_digests(eps[SOURCE], DATABASE), db.table_digests(eps[DB_TARGET], DATABASE)) == []
        assert mlab.lab.ssh(TARGET, f"sudo tail -c 8 {target_path}/docs/00/case-00000.txt").stdout == "amended\n"
        assert mlab.lab.ssh(TARGET, f"sudo cat {target_path}/late-filing.txt").stdout.strip() == "late"
        for host in (SOURCE, DB_TARGET):
            assert mlab.lab.ssh(host, f"sudo test -e /var/tmp/govcloud-dump/{DATABASE}", check=False).returncode == 1
    finally:
        rb = rollback(run_dir, tmp_path / "rollback")
        mlab.lab.ssh(SOURCE, psql + "\"DELETE FROM cases WHERE id = -1\"", check=False)
        mlab.lab.ssh(SOURCE, f"sudo sh -c 'cp -p /var/tmp/case-00000.keep {amended} && rm -f {late} "
                             "/var/tmp/case-00000.keep'")
    assert rb.returncode == 0, rb.stdout + rb.stderr


def test_security_gate_closed_stops_before_data_moves(mlab, harden_evidence, tmp_path):
    # a failed control recorded in this boot's evidence (the gate reads it through verify-hosts)
    doc = json.loads(harden_evidence.read_text())
    doc["hosts"][TARGET]["controls"]["8.1.4.1a"]["result"] = "fail"
    bad = tmp_path / "evidence-fail.json"
    bad.write_text(json.dumps(doc))
    run_dir = tmp_path / "run"
    r = migrate(mlab, run_dir, bad, "/srv/gated")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "security gate (article 24) closed" in r.stdout and "8.1.4.1a" in r.stdout
    states = step_states(read_journal(run_dir).records)
    assert states["security-gate"]["state"] == "unverified"
    assert not {"files-tools", "files-manifest", "files-transfer"} & set(states), "steps ran past the gate"
    assert mlab.lab.ssh(TARGET, "test -e /srv/gated", check=False).returncode == 1, "data moved past a closed gate"


def test_vulnerability_scan_above_the_level_stops_the_run(pglab, harden_evidence, tmp_path):
    run_dir = tmp_path / "run"
    r = migrate(pglab, run_dir, harden_evidence, "/srv/scan-gated",
                "--scan-max-warnings", "99", "--scan-min-index", "100")
    assert r.returncode == 2, r.stdout + r.stderr
    index = json.loads((run_dir / "security/vuln-scan.json").read_text())["hardening_index"]
    assert f"vulnerability scan gate (article 24) closed on {TARGET}: hardening index {index} below 100" in r.stdout
    states = step_states(read_journal(run_dir).records)
    assert states["security-gate"]["state"] == "verified" and states["vuln-scan-gate"]["state"] == "unverified"
    assert "files-transfer" not in states
    assert pglab.lab.ssh(TARGET, "test -e /srv/scan-gated", check=False).returncode == 1
