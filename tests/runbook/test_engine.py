"""The runbook engine without hosts: loader refusals, journal, resume, dry run, lock, status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rich.console import Console

from govcloud.cli import main
from govcloud.errors import InputError
from govcloud.runbook.engine.journal import read_journal, step_states
from govcloud.runbook.engine.loader import load_runbook
from govcloud.runbook.engine.lock import RunLock
from govcloud.runbook.engine.run import execute
from govcloud.schemas import check_output

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
kind: govcloud/runbook
version: 1
name: demo
title: demo runbook
params: [system]
steps:
  - id: order
    title: work order for ${system}
    clause: article-23
    touches: ["run dir: order.json"]
    precondition: {none: first step}
    action: {builtin: {name: file.write, with: {path: order.json, json: {system: "${system}"}}}}
    verification: {builtin: {name: file.exists, with: {path: order.json}}}
    evidence: [order.json]
  - id: gate
    title: gate
    clause: article-24
    after: [order]
    precondition: {builtin: {name: step.verified, with: {steps: [order]}}}
    action: {govcloud: {args: [deadline, --from, "2025-06-03", --working-days, "30", --format, json], stdout: gate.json}}
    verification: {builtin: {name: file.exists, with: {path: "${marker}"}}}
    evidence: [gate.json]
"""


@pytest.fixture(autouse=True)
def _locks(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVCLOUD_LOCK_DIR", str(tmp_path / "locks"))


def write(tmp_path: Path, text: str, name: str = "rb.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def quiet() -> Console:
    return Console(file=open(os.devnull, "w"), width=200)


def issues_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as exc:
        load_runbook(path)
    return [str(i) for i in exc.value.issues]


def good(tmp_path: Path) -> Path:
    return write(tmp_path, GOOD.replace("${marker}", "gate.json").replace("params: [system]", "params: [system]"))


def test_loads_in_order_with_lines(tmp_path):
    rb = load_runbook(good(tmp_path))
    assert [s.id for s in rb.steps] == ["order", "gate"]
    assert rb.steps[1].line == 15 and rb.steps[1].after == ("order",)


@pytest.mark.parametrize("edit, expected", [
    (lambda t: t.replace("action: {builtin: {name: file.write", "action: {shell: {name: file.write"),
     ":12: steps[0].action.shell: unknown field 'shell' (expected one of: ansible, builtin, govcloud)"),
    (lambda t: t.replace("    precondition: {none: first step}\n", ""),
     ":7: steps[0].precondition: missing required field 'precondition'"),
    (lambda t: t.replace("id: gate", "id: order"),
     ":15: steps[1].id: duplicate step id 'order' (first at steps[0])"),
    (lambda t: t.replace("    touches:", "    after: [gate]\n    touches:"),
     "steps[0].after: dependency cycle: order -> gate -> order"),
    (lambda t: t.replace("name: file.exists, with: {path: order.json}", "name: file.nope, with: {path: order.json}"),
     ":13: steps[0].verification.builtin.name: unknown built-in check 'file.nope'"),
    (lambda t: t.replace("after: [order]", "after: [ordr]"),
     ":18: steps[1].after[0]: unknown step 'ordr'"),
])
def test_refused_before_anything_runs(tmp_path, edit, expected):
    path = write(tmp_path, edit(GOOD.replace("${marker}", "gate.json")))
    found = issues_of(path)
    assert any(expected in i for i in found), found
    assert all(i.startswith(str(path)) for i in found)
    # the CLI refuses too, exit 1, and creates no run directory
    run_dir = tmp_path / "run"
    assert main(["runbook", "run", str(path), "--param", "system=s1", "--run-dir", str(run_dir)]) == 1
    assert not run_dir.exists()


def test_unknown_parameter_is_refused(tmp_path):
    found = issues_of(write(tmp_path, GOOD))
    assert any("steps[1].verification.builtin.with.path: unknown parameter ${marker}" in i for i in found), found


def test_run_journal_and_resume_never_reruns(tmp_path):
    rb = load_runbook(good(tmp_path))
    run_dir = tmp_path / "run"
    out = execute(rb, {"system": "s1"}, run_dir, console=quiet())
    assert out.exit_code == 0 and out.result == "completed"
    recs = read_journal(run_dir).records
    assert [r["event"] for r in recs] == ["run-start", "step-start", "step-end", "step-start", "step-end", "run-end"]
    order = json.loads((run_dir / "order.json").read_text())
    assert order == {"system": "s1"}
    import hashlib
    assert recs[2]["evidence"][0]["sha256"] == hashlib.sha256((run_dir / "order.json").read_bytes()).hexdigest()
    assert json.loads((run_dir / "gate.json").read_text())["deadline"] == "2025-07-15"
    # a second run without --resume is refused; with --resume every step is skipped, none re-run
    with pytest.raises(Exception, match="pass --resume"):
        execute(rb, {"system": "s1"}, run_dir, console=quiet())
    out = execute(rb, {"system": "s1"}, run_dir, resume=True, console=quiet())
    assert out.exit_code == 0
    states = step_states(read_journal(run_dir).records)
    assert states["order"]["attempts"] == 1 and states["order"]["skips"] == 1
    assert states["gate"]["attempts"] == 1 and states["gate"]["skips"] == 1
    # resume with other parameters is refused
    with pytest.raises(Exception, match="same runbook and parameters"):
        execute(rb, {"system": "other"}, run_dir, resume=True, console=quiet())


def test_unverified_step_stops_and_resume_starts_there(tmp_path):
    path = write(tmp_path, GOOD.replace("${marker}", "marker.txt"))
    rb = load_runbook(path)
    run_dir = tmp_path / "run"
    out = execute(rb, {"system": "s1"}, run_dir, console=quiet())
    assert (out.exit_code, out.stopped_at, out.result) == (2, "gate", "unverified")
    (run_dir / "marker.txt").write_text("now it exists")
    out = execute(rb, {"system": "s1"}, run_dir, resume=True, console=quiet())
    assert out.exit_code == 0
    states = step_states(read_journal(run_dir).records)
    assert states["order"]["attempts"] == 1, "a verified step ran twice"
    assert states["gate"]["attempts"] == 2


def test_torn_last_record_is_ignored(tmp_path):
    rb = load_runbook(good(tmp_path))
    run_dir = tmp_path / "run"
    execute(rb, {"system": "s1"}, run_dir, console=quiet())
    with open(run_dir / "journal.jsonl", "a") as fh:
        fh.write('{"ts": "2026-01-01", "event": "step-st')
    read = read_journal(run_dir)
    assert read.torn_tail and read.records[-1]["event"] == "run-end"


def test_dry_run_touches_nothing(tmp_path, capsys):
    path = good(tmp_path)
    run_dir = tmp_path / "run"
    assert main(["runbook", "run", str(path), "--param", "system=s1", "--run-dir", str(run_dir), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "run dir: order.json" in out and "builtin file.write" in out and "deadline --from" in out
    assert not run_dir.exists()
    assert not (tmp_path / "locks").exists() or not list((tmp_path / "locks").iterdir())


def test_second_run_of_same_runbook_and_system_is_refused_naming_pid(tmp_path):
    path = good(tmp_path)
    holder = RunLock.acquire("demo", "s1", tmp_path / "elsewhere")
    try:
        r = subprocess.run([sys.executable, "-m", "govcloud.cli", "runbook", "run", str(path), "--param", "system=s1",
                            "--run-dir", str(tmp_path / "run")], capture_output=True, text=True,
                           env={**os.environ, "GOVCLOUD_LOCK_DIR": str(tmp_path / "locks")}, cwd=REPO)
        assert r.returncode == 1, r.stdout + r.stderr
        assert f"pid {os.getpid()}" in r.stderr and "already running" in r.stderr
        assert not (tmp_path / "run" / "journal.jsonl").exists()
        # another system is not blocked
        assert main(["runbook", "run", str(path), "--param", "system=s2", "--run-dir", str(tmp_path / "run2")]) == 0
    finally:
        holder.release()
    assert main(["runbook", "run", str(path), "--param", "system=s1", "--run-dir", str(tmp_path / "run")]) == 0


def test_status_table_and_json(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace("${marker}", "marker.txt"))
    run_dir = tmp_path / "run"
    assert main(["runbook", "run", str(path), "--param", "system=s1", "--run-dir", str(run_dir)]) == 2
    capsys.readouterr()
    assert main(["runbook", "status", str(run_dir), "--format", "json"]) == 0
    st = json.loads(capsys.readouterr().out)
    check_output(st, "runbook-status.schema.json")
    assert (st["state"], st["next_step"], st["verified"], st["total"]) == ("unverified", "gate", 1, 2)
    assert st["steps"][1]["detail"].startswith("marker.txt is missing")
    assert main(["runbook", "status", str(run_dir)]) == 0
    assert "next: gate" in capsys.readouterr().out
    assert main(["runbook", "status", str(tmp_path / "nowhere")]) == 1


def test_unknown_govcloud_subcommand_is_refused(tmp_path):
    path = write(tmp_path, GOOD.replace("${marker}", "gate.json").replace("args: [deadline,", "args: [dedline,"))
    found = issues_of(path)
    assert any(":20: steps[1].action.govcloud.args[0]: unknown govcloud sub-command 'dedline'" in i for i in found), found


def test_stop_before_pauses_with_the_step_unstarted_and_resume_runs_it(tmp_path, capsys):
    path = good(tmp_path)
    run_dir = tmp_path / "run"
    base = ["runbook", "run", str(path), "--param", "system=s1", "--run-dir", str(run_dir)]
    assert main([*base, "--stop-before", "gate"]) == 3
    states = step_states(read_journal(run_dir).records)
    assert states["order"]["state"] == "verified" and "gate" not in states
    assert not (run_dir / "gate.json").exists()
    capsys.readouterr()
    assert main(["runbook", "status", str(run_dir), "--format", "json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert (st["state"], st["next_step"], st["steps"][1]["state"]) == ("paused", "gate", "pending")
    # the resume runs the paused step; a stop before a step already verified does not pause
    assert main([*base, "--resume"]) == 0
    assert main([*base, "--resume", "--stop-before", "order"]) == 0
    states = step_states(read_journal(run_dir).records)
    assert (states["order"]["attempts"], states["gate"]["attempts"]) == (1, 1)


def test_stop_before_an_unknown_step_is_refused_listing_the_steps(tmp_path, capsys):
    path = good(tmp_path)
    run_dir = tmp_path / "run"
    for extra in ([], ["--dry-run"]):
        assert main(["runbook", "run", str(path), "--param", "system=s1", "--run-dir", str(run_dir),
                     "--stop-before", "cutover", *extra]) == 1
        assert "--stop-before cutover: runbook demo" in capsys.readouterr().err
    assert not run_dir.exists()
