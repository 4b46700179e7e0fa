"""migrate-in without hosts: the dry run, the work order and its deadline (articles 12, 23)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from govcloud.cli import main
from govcloud.contract.loader import load_contract
from govcloud.hosts.inventory import load_stack_hosts, stack_outputs_file
from govcloud.paths import DEFAULT_CONTRACT
from govcloud.runbook.engine.journal import read_journal, step_states
from govcloud.runbook.engine.loader import load_runbook
from govcloud.runbook.steps import workorder
from govcloud.runbook.steps.migrate import RUNBOOK_FILE


@pytest.fixture(autouse=True)
def _locks(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVCLOUD_LOCK_DIR", str(tmp_path / "locks"))


def test_shipped_runbooks_load():
    assert [s.id for s in load_runbook(RUNBOOK_FILE).steps] == [
        "work-order", "target-in-stack", "security-gate", "vuln-scan-gate", "files-tools", "files-manifest", "files-transfer",
        "db-dump", "db-manifest", "db-transfer", "db-restore", "db-cleanup", "cutover-freeze", "final-sync",
        "target-services", "cutover-checklist", "evidence-bundle"]
    for name in ("file-transfer", "migrate-in-rollback"):
        load_runbook(RUNBOOK_FILE.parent / f"{name}.yaml")


def test_dry_run_lists_every_step_and_touches_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    run_dir = tmp_path / "run"
    rc = main(["runbook", "migrate-in", "--stack", "lab", "--system", "litigation", "--source", "old-app-01",
               "--inventory", str(tmp_path / "inv.yml"), "--evidence", str(tmp_path / "ev.json"),
               "--database", "court", "--run-dir", str(run_dir), "--dry-run"])
    out = capsys.readouterr().out
    assert rc == 0
    for text in ("security-gate", "article-24", "lab-app-01:/srv/data (written)", "lab-db-01: database court",
                 "evidence-bundle"):
        assert text in out, text
    assert not run_dir.exists() and not (tmp_path / "locks").exists()


def test_work_order_deadline_and_form(tmp_path):
    contract = load_contract(DEFAULT_CONTRACT)
    hosts = load_stack_hosts(stack_outputs_file("lab"))
    # by hand: 30 working days after Mon 2026-01-05: Jan 6-9 (4), four full weeks to Feb 6 (24),
    # Feb 9-13 (29), then Sat Feb 14, a make-up workday (调休上班) before the Spring Festival (30)
    order = workorder.work_order(contract, "litigation", hosts, source_host="old <app>", order_date=date(2026, 1, 5))
    assert order.provisioning_deadline == date(2026, 2, 14)
    assert order.working_days == 30 and order.applicant_zh == "北京市高级人民法院"
    workorder.write_json(order, tmp_path / "wo.json")
    page = workorder.write_html(order, tmp_path / "wo.html").read_text()
    assert "old &lt;app&gt;" in page and "old <app>" not in page
    assert order.provisioning_deadline.isoformat() in page


def test_unknown_system_is_an_error_naming_the_stack(tmp_path, capsys):
    rc = main(["runbook", "migrate-in", "--stack", "lab", "--system", "nosuch", "--source", "x",
               "--inventory", str(tmp_path / "inv.yml"), "--evidence", str(tmp_path / "ev.json"),
               "--database", "court", "--run-dir", str(tmp_path / "run")])
    assert rc == 1
    err = capsys.readouterr().err
    assert "no app host for system nosuch" in err and "lab-hosts.json" in err


# --- the article-24 gate's evidence checks, without hosts: the steps before the gate touch no host ----
RECORDED = Path(__file__).parent / "data" / "harden-evidence.json"  # run.finished 2026-11-25T20:29:14+0000
INVENTORY = "all:\n  hosts:\n    old-app-01: {}\n    lab-app-01: {}\n    lab-db-01: {}\n"


def gate(tmp_path: Path, evidence: Path, name: str, *extra: str) -> tuple[int, dict, str]:
    """migrate-in up to and including security-gate (paused before vuln-scan-gate)."""
    inv = tmp_path / "inventory.yml"
    inv.write_text(INVENTORY)
    run_dir = tmp_path / name
    rc = main(["runbook", "migrate-in", "--stack", "lab", "--system", "litigation", "--source", "old-app-01",
               "--inventory", str(inv), "--evidence", str(evidence), "--database", "court", "--order-date",
               "2025-09-26", "--run-dir", str(run_dir), "--stop-before", "vuln-scan-gate", *extra])
    return rc, step_states(read_journal(run_dir).records)["security-gate"], str(inv)


def dated(tmp_path: Path, hours_ago: float, hosts: tuple[str, ...] = ("lab-app-01", "lab-db-01")) -> Path:
    """The recorded evidence with its run moved to end ``hours_ago`` hours before now, cut to ``hosts``."""
    doc = json.loads(RECORDED.read_text())
    doc["hosts"] = {k: v for k, v in doc["hosts"].items() if k in hosts}
    doc["run"]["finished"] = (datetime.now(timezone.utc) - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%S%z")
    out = tmp_path / f"evidence-{hours_ago}-{len(hosts)}.json"
    out.write_text(json.dumps(doc))
    return out


def test_gate_refuses_evidence_of_hosts_outside_the_inventory(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    evidence = dated(tmp_path, 1, hosts=("lab-app-01", "lab-app-02", "lab-db-01", "lab-log-01"))
    rc, st, inv = gate(tmp_path, evidence, "run")
    assert rc == 2 and st["state"] == "blocked"
    assert st["detail"]["why"] == (
        f"harden evidence refused (article 24): {evidence}: hosts.lab-app-02: expected only hosts of the inventory "
        f"{inv} (lab-app-01, lab-db-01, old-app-01), got lab-app-02, lab-log-01 too: evidence of other hosts is not "
        "this run's; narrow a wider run with `govcloud harden --limit`")
    assert "hosts.lab-app-02" in capsys.readouterr().out
    rc, st, inv = gate(tmp_path, dated(tmp_path, 1, hosts=("lab-db-01",)), "run-2")
    assert rc == 2 and "hosts.lab-app-01: expected harden evidence of lab-app-01 (the migration target), got hosts " \
        "lab-db-01" in st["detail"]["why"]


def test_gate_refuses_stale_evidence_and_a_resume_may_widen_the_limit(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.delenv("GOVCLOUD_EVIDENCE_MAX_AGE", raising=False)
    evidence = dated(tmp_path, 30)
    rc, st, _ = gate(tmp_path, evidence, "run")
    assert rc == 2 and st["state"] == "blocked"
    assert st["detail"]["why"].startswith(f"harden evidence refused (article 24): {evidence}: run.finished: expected a "
                                          "harden run that finished at most 24 h ago (after ")
    assert ", 30 h ago: run `govcloud harden` again" in st["detail"]["why"]
    # the limit may change on --resume (the gate runs again: it was not verified)
    rc, st, _ = gate(tmp_path, evidence, "run", "--resume", "--evidence-max-age", "36")
    assert st["state"] != "blocked" and st["attempts"] == 2, st
    # the same from the environment; the option wins over it
    monkeypatch.setenv("GOVCLOUD_EVIDENCE_MAX_AGE", "36")
    assert gate(tmp_path, evidence, "run-env")[1]["state"] != "blocked"
    assert gate(tmp_path, evidence, "run-opt", "--evidence-max-age", "29")[1]["state"] == "blocked"


def test_evidence_max_age_must_be_hours_above_zero(tmp_path, capsys, monkeypatch):
    rc = main(["runbook", "migrate-in", "--stack", "lab", "--system", "litigation", "--source", "old-app-01",
               "--inventory", str(tmp_path / "inv.yml"), "--evidence", str(RECORDED), "--database", "court",
               "--run-dir", str(tmp_path / "run"), "--evidence-max-age", "0"])
    assert rc == 1 and not (tmp_path / "run").exists()  # a usage error: exit 1, nothing run
    assert "--evidence-max-age: expected a number of hours > 0" in capsys.readouterr().err
    monkeypatch.setenv("GOVCLOUD_EVIDENCE_MAX_AGE", "a day")
    rc = main(["runbook", "migrate-in", "--stack", "lab", "--system", "litigation", "--source", "old-app-01",
               "--inventory", str(tmp_path / "inv.yml"), "--evidence", str(RECORDED), "--database", "court",
               "--run-dir", str(tmp_path / "run")])
    assert rc == 1 and not (tmp_path / "run").exists()
    assert "environment: GOVCLOUD_EVIDENCE_MAX_AGE: expected a number of hours > 0 (at most a year), got 'a day'" in \
        capsys.readouterr().err
