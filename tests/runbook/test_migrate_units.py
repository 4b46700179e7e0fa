"""migrate-in without hosts: the dry run, the work order and its deadline (articles 12, 23)."""

from __future__ import annotations

from datetime import date

import pytest

from govcloud.cli import main
from govcloud.contract.loader import load_contract
from govcloud.hosts.inventory import load_stack_hosts, stack_outputs_file
from govcloud.paths import DEFAULT_CONTRACT
from govcloud.runbook import workorder
from govcloud.runbook.loader import load_runbook
from govcloud.runbook.migrate import RUNBOOK_FILE


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
