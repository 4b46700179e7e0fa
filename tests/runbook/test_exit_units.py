"""The exit runbook without hosts: the handover package from the real stack export, the export
manifest check, the engine's wait for an outside party (exit 3) and the parameters a resume may change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from govcloud.contract.loader import load_contract
from govcloud.errors import InputError
from govcloud.hosts.controls import load_control_map
from govcloud.hosts.evidence import load_evidence
from govcloud.paths import DEFAULT_CONTRACT
from govcloud.runbook.engine.errors import RunbookError
from govcloud.runbook.engine.journal import read_journal, step_states
from govcloud.runbook.engine.loader import load_runbook
from govcloud.runbook.steps import handover
from govcloud.runbook.steps.exit import old_units
from govcloud.state.export import read_export

REPO = Path(__file__).resolve().parents[2]
EVIDENCE = Path(__file__).parent / "data" / "harden-evidence.json"


@pytest.fixture(scope="module")
def lab_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`govcloud plan --stack lab --export-state`: a real deployment-v3 export and the stack outputs."""
    d = tmp_path_factory.mktemp("export")
    r = subprocess.run([sys.executable, "-m", "govcloud.cli", "plan", "--stack", "lab", "--format", "json",
                        "--outputs", str(d / "outputs.json"), "--export-state", str(d / "state.json")],
                       capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.returncode in (0, 2), r.stderr
    return d / "state.json", d / "outputs.json"


def test_handover_package_holds_the_systems_part_only(lab_export, tmp_path):
    state, outputs = lab_export
    out = tmp_path / "handover"
    m = handover.write_package(out, contract="2025095", stack="lab", system="litigation", dep=read_export(state),
                               outputs=json.loads(outputs.read_text()), cmap=load_control_map(),
                               evidence=load_evidence(EVIDENCE))
    assert m["hosts"] == ["lab-app-01", "lab-app-02", "lab-db-01"]
    # the recorded evidence covers the lab's four hosts; lab-log-01 belongs to the platform, not litigation
    assert m["evidence_hosts"] == ["lab-app-01", "lab-app-02", "lab-db-01"]
    pol = json.loads((out / "security-policies.json").read_text())
    # lab-log-01 (system platform) sits on mgmt: its group and rule are not the litigation system's
    assert {g["name"] for g in pol["security_groups"]} == {"sg-app", "sg-data"}
    assert {r["name"] for r in pol["security_group_rules"]} == {"sg-app-intra", "sg-data-intra"}
    waived = [c.id for c in load_control_map().controls if c.status == "waived"]
    assert {w["control"] for w in pol["waivers"] if w["scope"] == "control map"} == set(waived)
    host_waivers = [w for w in pol["waivers"] if w["scope"] == "host"]
    assert host_waivers and {w["host"] for w in host_waivers} <= {"lab-app-01", "lab-app-02", "lab-db-01"}
    assert all(w["title"] for w in host_waivers)  # titles come from the evidence's own control list
    ipp = json.loads((out / "ip-plan.json").read_text())
    assert [(n["name"], n["cidr"]) for n in ipp["networks"]] == [("app", "10.231.0.32/27"), ("data", "10.231.0.16/28")]
    ev = json.loads((out / "harden-evidence.json").read_text())
    assert list(ev["hosts"]) == ["lab-app-01", "lab-app-02", "lab-db-01"]
    assert "[secret]" in (out / "resources.json").read_text() and "ciphertext" not in (out / "resources.json").read_text()
    assert handover.verify_package(out) == []
    # a changed byte in a listed file is named
    (out / "ip-plan.json").write_text((out / "ip-plan.json").read_text().replace("10.231.0.20", "10.231.0.21"))
    assert handover.verify_package(out) == ["ip-plan.json: SHA-256 differs from the manifest"]


def test_handover_of_an_unknown_system_lists_no_hosts(lab_export, tmp_path):
    state, outputs = lab_export
    m = handover.write_package(tmp_path / "h", contract="2025095", stack="lab", system="nosuch", dep=read_export(state),
                               outputs=json.loads(outputs.read_text()), cmap=load_control_map(),
                               evidence=load_evidence(EVIDENCE))
    assert m["hosts"] == [] and handover.verify_package(tmp_path / "h") == ["no instance of system nosuch in the stack export"]


def test_old_units_parse_and_refuse():
    assert old_units("a=x.service, b=postgresql,a=y") == {"a": ["x.service", "y"], "b": ["postgresql"]}
    with pytest.raises(RunbookError, match="expected HOST=UNIT"):
        old_units("postgresql")


def test_exit_runbook_loads_with_every_builtin_registered():
    rb = load_runbook(REPO / "playbooks/runbooks/exit.yaml")
    ids = [s.id for s in rb.steps]
    assert ids.index("export-manifest") < ids.index("court-acceptance") < ids.index("stable-run") \
        < ids.index("shutdown-old") < ids.index("erase") < ids.index("materials") < ids.index("exit-report")
    erase = rb.step("erase")
    assert erase.precondition.spec["name"] == "erase.ready" and rb.step("export-manifest").evidence == ("export/manifest.json",)


WAIT_RUNBOOK = """
kind: govcloud/runbook
version: 1
name: wait-test
title: wait for an acceptance
clause: article-58
params: [system, acceptance, confirm]
steps:
  - id: manifest
    title: a manifest
    clause: article-58
    precondition: {none: first}
    action: {builtin: {name: file.write, with: {path: export/manifest.json, json: {system: "${system}"}}}}
    verification: {builtin: {name: file.exists, with: {path: export/manifest.json}}}
    evidence: [export/manifest.json]
  - id: acceptance
    title: wait for the court
    clause: article-58
    precondition: {builtin: {name: exit.acceptance_present, with: {acceptance: "${acceptance}", manifest: export/manifest.json}}}
    action: {builtin: {name: file.write, with: {path: done.txt, text: "${confirm}"}}}
    verification: {builtin: {name: file.exists, with: {path: done.txt}}}
    evidence: [done.txt]
"""


def test_waiting_exits_3_and_resume_may_change_only_the_named_params(tmp_path):
    rb = tmp_path / "wait.yaml"
    rb.write_text(WAIT_RUNBOOK)
    run_dir, acc = tmp_path / "run", tmp_path / "acc.json"
    env = {**os.environ, "GOVCLOUD_LOCK_DIR": str(tmp_path / "locks")}

    def run(*extra: str, acceptance: Path = acc, system: str = "litigation", confirm: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "govcloud.cli", "runbook", "run", str(rb), "--run-dir", str(run_dir),
                               "--param", f"system={system}", "--param", f"acceptance={acceptance}",
                               "--param", f"confirm={confirm}", *extra], capture_output=True, text=True, cwd=REPO, env=env)

    r = run()
    assert r.returncode == 3, r.stdout + r.stderr
    assert "waiting for the court's acceptance" in r.stdout
    st = step_states(read_journal(run_dir).records)
    assert st["manifest"]["state"] == "verified" and st["acceptance"]["state"] == "waiting"
    s = subprocess.run([sys.executable, "-m", "govcloud.cli", "runbook", "status", str(run_dir), "--format", "json"],
                       capture_output=True, text=True, cwd=REPO)
    assert json.loads(s.stdout)["state"] == "waiting"
    # still waiting: exit 3 again, the step is not run
    assert run("--resume").returncode == 3 and not (run_dir / "done.txt").exists()
    # `run` knows no parameters that may change: a resume with another acceptance path is refused
    other = tmp_path / "elsewhere.json"
    other.write_text("{}")
    r = run("--resume", acceptance=other)
    assert r.returncode == 1 and "resume with the same runbook and parameters" in r.stderr
    acc.write_text("{}")
    r = run("--resume")
    assert r.returncode == 0, r.stdout + r.stderr
    assert step_states(read_journal(run_dir).records)["manifest"]["attempts"] == 1


def test_exit_resume_may_change_confirm_and_acceptance_but_not_the_rest(tmp_path):
    from govcloud.runbook.engine.run import _check_resume

    rb = load_runbook(REPO / "playbooks/runbooks/exit.yaml")
    first = {p: "x" for p in rb.params}
    records = ({"event": "run-start", "runbook": "exit", "params": first},)
    _check_resume(rb, {**first, "confirm": "litigation", "acceptance": "/court/acc.json"}, records, tmp_path,
                  frozenset({"confirm", "acceptance"}))
    with pytest.raises(RunbookError):
        _check_resume(rb, {**first, "volumes": "/other.yml"}, records, tmp_path, frozenset({"confirm", "acceptance"}))
    with pytest.raises(InputError):
        load_evidence(tmp_path / "missing.json")


def test_exit_refuses_bad_input_files_before_anything_runs(tmp_path):
    """Bad input: exit 1 naming the file and the field, no run directory made, nothing touched."""
    from .test_exit_hosts import make_secrets, write_materials, write_volumes_file

    inventory = tmp_path / "inventory.yml"
    inventory.write_text("all:\n  hosts:\n    lab-db-01: {ansible_host: 10.0.0.2}\n    court-01: {ansible_host: 10.0.0.3}\n")
    vols = write_volumes_file(make_secrets(tmp_path / "secrets"), tmp_path / "volumes.yml")
    base = [sys.executable, "-m", "govcloud.cli", "runbook", "exit", "--stack", "lab", "--system", "litigation",
            "--target", "court-01", "--inventory", str(inventory), "--evidence", str(EVIDENCE), "--database", "court_exit",
            "--materials", str(write_materials(tmp_path / "materials.yml"))]

    def run(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([*base, *extra, "--run-dir", str(tmp_path / "run")], capture_output=True, text=True,
                              cwd=REPO, env={**os.environ, "GOVCLOUD_LOCK_DIR": str(tmp_path / "locks")}, timeout=120)

    r = run("--volumes", str(vols))  # lab-app-01 carries volumes but is not in the inventory
    assert r.returncode == 1 and f"{vols}: hosts: hosts of the inventory" in r.stderr and "lab-app-01" in r.stderr
    other = tmp_path / "other.yml"
    other.write_text(vols.read_text().replace("system: litigation", "system: payroll"))
    r = run("--volumes", str(other))
    assert r.returncode == 1 and f"{other}: system:" in r.stderr
    r = run("--volumes", str(vols), "--old-unit", "postgresql")
    assert r.returncode == 1 and "--old-unit 'postgresql': expected HOST=UNIT" in r.stderr
    assert not (tmp_path / "run").exists()


def test_exit_work_order_carries_the_exit_deadlines_not_article_12(tmp_path):
    """The 退出 order (article 23) through the real exit.work_order action and its verification:
    the trigger's deadlines, no provisioning deadline; an entry order keeps article 12's."""
    from rich.console import Console

    from govcloud.runbook.engine.context import RunContext
    from govcloud.runbook.steps import workorder
    from govcloud.runbook.steps.exit import RUNBOOK_FILE, exit_work_order
    from govcloud.runbook.steps.migrate import work_order_valid
    from govcloud.schemas import check_output

    ctx = RunContext(runbook=load_runbook(RUNBOOK_FILE), params={}, run_dir=tmp_path, console=Console(quiet=True),
                     journal=None)
    res = exit_work_order(ctx, {"stack": "lab", "system": "litigation", "source": "lab-app-01",
                                "order_date": "2025-09-26", "trigger": "ordered", "on": "2025-09-26",
                                "notice": "", "json": "wo.json", "html": "wo.html",
                                "deadlines": "deadlines.json"})
    order = json.loads((tmp_path / "wo.json").read_text())
    dated = json.loads((tmp_path / "deadlines.json").read_text())["deadlines"]
    assert order["provisioning_deadline"] is None and order["working_days"] is None
    assert [(d["clause"], d["date"]) for d in order["exit_deadlines"]] == [(d["clause"], d["date"]) for d in dated]
    # 2025-09-26 + 10 natural days = 10-06, inside 国庆: moved to 2025-10-09 (民法典 203)
    assert {d["clause"]: d["date"] for d in order["exit_deadlines"]}["article-58"] == "2025-10-09"
    assert res.detail["deadlines"]["article-58"] == "2025-10-09"
    page = (tmp_path / "wo.html").read_text()
    assert "退出期限" in page and "2025-10-09" in page and "退出资源" in page
    assert "article 12" not in page and "交付期限" not in page
    assert work_order_valid(ctx, {"json": "wo.json"}).ok

    # the schema holds each node to its own deadline fields
    no_terms = {**order, "exit_deadlines": []}
    entry_without_due = {**order, "node": "entry", "node_zh": "入云", "exit_deadlines": []}
    for bad in (no_terms, entry_without_due):
        with pytest.raises(AssertionError, match="does not match schemas/work-order"):
            check_output(bad, workorder.SCHEMA)
    with pytest.raises(ValueError, match="exit deadlines"):
        workorder.work_order(load_contract(DEFAULT_CONTRACT), "litigation", [], source_host="x",
                             order_date=date(2025, 9, 26), node="exit")


# --- the harden evidence an exit packages: of this run's hosts, and fresh when the package is made ----
def _dated(tmp_path: Path, hours_ago: float, hosts: tuple[str, ...]) -> Path:
    """The recorded evidence, its run moved to end ``hours_ago`` hours before now, cut to ``hosts``."""
    from datetime import datetime, timedelta, timezone

    doc = json.loads(EVIDENCE.read_text())
    doc["hosts"] = {k: v for k, v in doc["hosts"].items() if k in hosts}
    doc["run"]["finished"] = (datetime.now(timezone.utc) - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%S%z")
    out = tmp_path / f"evidence-{hours_ago}-{'-'.join(hosts)}.json"
    out.write_text(json.dumps(doc))
    return out


def test_exit_refuses_stale_or_foreign_evidence_before_anything_runs(tmp_path, monkeypatch):
    from govcloud.runbook.engine.journal import Journal
    from govcloud.commands.runbook_exit import check_inputs

    from .test_exit_hosts import make_secrets, write_materials, write_volumes_file

    inventory = tmp_path / "inventory.yml"
    inventory.write_text("all:\n  hosts:\n    lab-app-01: {ansible_host: 10.0.0.1}\n    lab-db-01: {ansible_host: 10.0.0.2}\n"
                         "    court-01: {ansible_host: 10.0.0.3}\n")
    vols = write_volumes_file(make_secrets(tmp_path / "secrets"), tmp_path / "volumes.yml")
    materials = write_materials(tmp_path / "materials.yml")
    run_dir = tmp_path / "run"

    def run(evidence: Path, *extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "govcloud.cli", "runbook", "exit", "--stack", "lab", "--system", "litigation",
             "--target", "court-01", "--inventory", str(inventory), "--evidence", str(evidence), "--database",
             "court_exit", "--volumes", str(vols), "--materials", str(materials), "--run-dir", str(run_dir), *extra],
            capture_output=True, text=True, cwd=REPO, timeout=120,
            env={**os.environ, "GOVCLOUD_LOCK_DIR": str(tmp_path / "locks"), "GOVCLOUD_EVIDENCE_MAX_AGE": ""})

    stale = _dated(tmp_path, 30, ("lab-app-01", "lab-db-01"))
    r = run(stale)
    assert r.returncode == 1 and not run_dir.exists()
    assert r.stderr.count("\n") == 1, r.stderr  # one line
    assert f"{stale}: run.finished: expected a harden run that finished at most 24 h ago" in r.stderr
    foreign = _dated(tmp_path, 1, ("lab-app-01", "lab-app-02", "lab-db-01"))
    r = run(foreign)
    assert r.returncode == 1 and not run_dir.exists()
    assert (f"{foreign}: hosts.lab-app-02: expected only hosts of the inventory {inventory} (court-01, lab-app-01, "
            "lab-db-01), got lab-app-02 too") in r.stderr
    no_db = _dated(tmp_path, 1, ("lab-app-01",))
    r = run(no_db)
    assert r.returncode == 1 and (f"{no_db}: hosts.lab-db-01: expected harden evidence of lab-db-01 (the system's "
                                  "hosts leaving the cloud), got hosts lab-app-01") in r.stderr

    # the same checks in-process: the option's limit, and a resume past the handover takes older evidence
    params = {"stack": "lab", "system": "litigation", "source": "lab-app-01", "db_source": "lab-db-01",
              "inventory": str(inventory), "evidence": str(stale), "volumes": str(vols), "materials": str(materials),
              "evidence_max_age": "24"}
    with pytest.raises(InputError, match="run.finished"):
        check_inputs(params)
    check_inputs({**params, "evidence_max_age": "36"})
    check_inputs(params, fresh=False)
    with pytest.raises(InputError, match="hosts.lab-app-02"):
        check_inputs({**params, "evidence": str(foreign)}, fresh=False)  # the hosts are checked on every attempt
    # through the command: a resume whose journal has the handover verified does not ask for freshness
    run_dir.mkdir()
    j = Journal(run_dir)
    j.append("run-start", runbook="exit", params={}, resume=False)
    j.append("step-start", step="handover")
    j.append("step-end", step="handover", result="verified", detail={}, evidence=[])
    j.close()
    from govcloud.commands.runbook_exit import _handover_done

    assert _handover_done(run_dir) and not _handover_done(tmp_path / "elsewhere")
