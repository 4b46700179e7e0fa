"""The exit report over a real journal: a small runbook of built-ins run by the engine in a temp dir
(a receipt written, the article-68 checklist, the report as the last step), then the report read
back, evidence tampered with, HTML escaping."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from rich.console import Console

from govcloud.runbook.engine.journal import sha256_file
from govcloud.runbook.engine.loader import load_runbook
from govcloud.runbook.engine.run import execute
from govcloud.runbook.steps.exit_report import build_report, write_exit_report
from govcloud.schemas import check_output

RUNBOOK = """\
kind: govcloud/runbook
version: 1
name: exit-mini
title: exit report test
params: [system, materials]
steps:
  - id: timeline
    title: exit timeline
    clause: article-59
    precondition: {none: first step}
    action: {builtin: {name: timeline.write, with: {trigger: expiry, on: "2026-03-01", notice: "2025-09-29"}}}
    verification: {builtin: {name: timeline.valid, with: {}}}
    evidence: [timeline/timeline.json, timeline/timeline.ics]
  - id: receipt
    title: receipt for ${system}
    clause: article-68
    precondition: {none: first step}
    action: {builtin: {name: file.write, with: {path: receipts/paper.txt, text: "signed receipt"}}}
    verification: {builtin: {name: file.exists, with: {path: receipts/paper.txt}}}
    evidence: [receipts/paper.txt]
  - id: materials
    title: return of materials
    clause: article-68
    after: [receipt]
    precondition: {builtin: {name: step.verified, with: {steps: [receipt]}}}
    action: {builtin: {name: materials.checklist, with: {materials: "${materials}", out: materials, as_of: "2025-10-09"}}}
    verification: {builtin: {name: materials.complete, with: {out: materials}}}
    evidence: [materials/checklist.json, materials/checklist.html]
  - id: report
    title: exit report
    clause: article-58
    after: [materials]
    precondition: {builtin: {name: step.verified, with: {steps: [timeline, receipt, materials]}}}
    action: {builtin: {name: report.exit, with: {out: report}}}
    verification: {builtin: {name: report.exit_valid, with: {out: report}}}
    evidence: [report/exit-report.json, report/exit-report.html]
"""

MATERIALS = """\
kind: govcloud/exit-materials
version: 1
system: court-case
notice: 2025-09-29
items:
  - id: design-docs
    description: 系统设计文档
    holder: 乙方项目经理
    kind: paper
    disposition: returned
    done_on: 2025-10-08
    evidence: {file: receipts/paper.txt}
"""


@pytest.fixture(autouse=True)
def _locks(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVCLOUD_LOCK_DIR", str(tmp_path / "locks"))


def quiet() -> Console:
    return Console(file=open(os.devnull, "w"), width=200)


def run(tmp_path: Path, system: str = "court-case", runbook: str = RUNBOOK,
        materials: str = MATERIALS) -> tuple[int, Path]:
    rb = tmp_path / "rb.yaml"
    rb.write_text(runbook, encoding="utf-8")
    m = tmp_path / "materials.yaml"
    m.write_text(materials, encoding="utf-8")
    run_dir = tmp_path / "run"
    out = execute(load_runbook(rb), {"system": system, "materials": str(m)}, run_dir, console=quiet())
    return out.exit_code, run_dir


def test_report_step_completes_the_run(tmp_path):
    rc, run_dir = run(tmp_path)
    assert rc == 0
    doc = json.loads((run_dir / "report" / "exit-report.json").read_text(encoding="utf-8"))
    check_output(doc, "exit-report.schema.json")
    assert [s["id"] for s in doc["steps"]] == ["timeline", "receipt", "materials", "report"]
    assert [s["state"] for s in doc["steps"]] == ["verified", "verified", "verified", "reporting"]
    assert doc["complete"] is True and doc["evidence_problems"] == []
    # the clause and its text from the contract's exit terms
    s68 = doc["steps"][2]
    assert s68["clause"] == "article-68" and "5日内归还" in s68["clause_text_zh"]
    # every evidence file with the digest the engine recorded, equal to the file's digest now
    ev = {e["path"]: e for s in doc["steps"] for e in s["evidence"]}
    assert set(ev) == {"timeline/timeline.json", "timeline/timeline.ics", "receipts/paper.txt",
                       "materials/checklist.json", "materials/checklist.html"}
    for path, e in ev.items():
        assert e["sha256"] == sha256_file(run_dir / path) == e["sha256_now"] and e["now"] == "intact"
        assert e["bytes"] == (run_dir / path).stat().st_size


def test_report_after_the_run_sees_every_step_and_pins_the_journal(tmp_path):
    rc, run_dir = run(tmp_path)
    assert rc == 0
    jp, hp = write_exit_report(run_dir, out_dir=tmp_path / "later")
    doc = json.loads(jp.read_text(encoding="utf-8"))
    assert [s["state"] for s in doc["steps"]] == ["verified"] * 4 and doc["state"] == "completed"
    assert doc["journal"]["sha256"] == sha256_file(run_dir / "journal.jsonl")
    # the report step's own evidence is listed too
    assert {e["path"] for e in doc["steps"][3]["evidence"]} == {"report/exit-report.json", "report/exit-report.html"}
    assert hp.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_changed_and_missing_evidence_are_reported(tmp_path):
    rc, run_dir = run(tmp_path)
    assert rc == 0
    (run_dir / "receipts" / "paper.txt").write_text("forged receipt")
    (run_dir / "materials" / "checklist.html").unlink()
    doc = build_report(run_dir)
    ev = {e["path"]: e for s in doc["steps"] for e in s["evidence"]}
    assert ev["receipts/paper.txt"]["now"] == "changed"
    assert ev["receipts/paper.txt"]["sha256_now"] != ev["receipts/paper.txt"]["sha256"]
    assert ev["materials/checklist.html"]["now"] == "missing" and ev["materials/checklist.html"]["sha256_now"] is None
    assert doc["complete"] is False
    assert sorted(doc["evidence_problems"]) == ["materials: materials/checklist.html missing",
                                                "receipt: receipts/paper.txt changed"]


def test_stopped_run_and_html_escaping(tmp_path):
    # the checklist is not complete (overdue): the run stops unverified at "materials"; the report says so
    late = RUNBOOK.replace('as_of: "2025-10-09"', 'as_of: "2025-10-10"')
    evil = "<script>alert('x')</script>"
    not_returned = MATERIALS.replace("    disposition: returned\n    done_on: 2025-10-08\n"
                                     "    evidence: {file: receipts/paper.txt}\n", "")
    assert "disposition" not in not_returned
    rc, run_dir = run(tmp_path, system=evil, runbook=late, materials=not_returned)
    assert rc == 2
    jp, hp = write_exit_report(run_dir)
    doc = json.loads(jp.read_text(encoding="utf-8"))
    assert [s["state"] for s in doc["steps"]] == ["verified", "verified", "unverified", "pending"]
    assert doc["state"] == "unverified" and doc["complete"] is False
    assert "design-docs overdue" in doc["steps"][2]["detail"]
    page = hp.read_text(encoding="utf-8")
    assert evil not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<script" not in page.lower()
