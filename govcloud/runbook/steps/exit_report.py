"""The exit report (articles 14, 58, 59, 68): every step of a run, its result, its evidence and its clause.

``write_exit_report(run_dir, *, out_dir=None, contract=None, self_step=None) -> (json_path, html_path)``
reads the run's journal (govcloud/runbook/journal.py) and writes ``out_dir`` (default
``RUN_DIR/report``) ``/exit-report.json`` (schemas/exit-report.schema.json) and
``/exit-report.html`` (self-contained, every value escaped). Each step's evidence is listed with
the SHA-256 the journal recorded and checked again now: ``intact``, ``changed`` or ``missing``.
The report pins the journal itself by its SHA-256. ``self_step`` is the id of the step writing the
report, if any: it is shown as ``reporting`` rather than as an unfinished step. The clause text
(``text_zh``) comes from the contract's exit terms where a step cites one of their clauses.

Built-ins: action ``report.exit`` with {out?: DIR (default report), contract?: FILE} writes the
report; check ``report.exit_valid`` with {out?: DIR} is ok when the report is schema-valid, every
other step is verified and every evidence file is intact.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from govcloud.contract.model import Contract
from govcloud.jsondoc import load_json
from govcloud.runbook.engine import output
from govcloud.runbook.engine.context import RunContext
from govcloud.runbook.engine.journal import JOURNAL, VERIFIED, read_journal, sha256_file, step_states
from govcloud.runbook.engine.registry import ActionResult, CheckResult, action, check
from govcloud.runbook.engine.status import run_status
from govcloud.schemas import check_output

from .stack_contract import run_contract

SCHEMA = "exit-report.schema.json"
REPORTING = "reporting"
JSON_NAME, HTML_NAME = "exit-report.json", "exit-report.html"


def _evidence_now(run_dir: Path, ev: dict[str, Any]) -> dict[str, Any]:
    p = (run_dir / ev["path"]).resolve()
    inside = run_dir.resolve() in p.parents
    if not inside or not p.is_file():
        now, digest = "missing", None
    else:
        digest = sha256_file(p)
        now = "intact" if digest == ev["sha256"] else "changed"
    return {"path": ev["path"], "sha256": ev["sha256"], "bytes": ev.get("bytes"), "now": now, "sha256_now": digest}


def build_report(run_dir: Path, *, contract: Contract | None = None, self_step: str | None = None) -> dict[str, Any]:
    """The report as a JSON-ready dict (validated against its schema)."""
    run_dir = Path(run_dir)
    st = run_status(run_dir)
    read = read_journal(run_dir)
    states = step_states(read.records)
    # the parameters of the last attempt: a resume may add some (e.g. the erase confirmation)
    starts = [r for r in read.records if r["event"] == "run-start"]
    params = {k: str(v) for k, v in (starts[-1].get("params") or {}).items()} if starts else st["params"]
    contract = contract or run_contract(params)
    texts: dict[str, str] = {}
    for t in contract.exit_terms:
        texts.setdefault(t.clause, t.text_zh)
    steps, problems = [], []
    for s in st["steps"]:
        full = states.get(s["id"], {})
        evidence = [_evidence_now(run_dir, e) for e in full.get("evidence", [])]
        problems += [f"{s['id']}: {e['path']} {e['now']}" for e in evidence if e["now"] != "intact"]
        state = REPORTING if s["id"] == self_step else s["state"]
        steps.append({"id": s["id"], "title": s["title"], "clause": s["clause"], "clause_text_zh": texts.get(s["clause"]),
                      "state": state, "attempts": s["attempts"], "started": s["started"], "ended": s["ended"],
                      "seconds": s["seconds"], "detail": s["detail"], "evidence": evidence})
    complete = all(s["state"] in (VERIFIED, REPORTING) for s in steps) and bool(steps)
    doc = {"kind": "govcloud/exit-report", "version": 1, "contract": contract.number,
           "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "run_dir": str(run_dir), "runbook": st["runbook"], "params": params, "state": st["state"],
           "attempts": st["attempts"], "verified": st["verified"], "total": st["total"],
           "journal": {"path": JOURNAL, "sha256": sha256_file(run_dir / JOURNAL), "records": len(read.records),
                       "torn_tail": read.torn_tail},
           "steps": steps, "evidence_problems": problems, "complete": complete and not problems}
    check_output(doc, SCHEMA)
    return doc


_STATE_COLOUR = {VERIFIED: "#cfc", REPORTING: "#cfc", "pending": "#eee", "started": "#fd9", "waiting": "#fd9"}


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def to_html(doc: dict[str, Any]) -> str:
    e = _e
    rows = []
    for s in doc["steps"]:
        ev = "<br>".join(f"{e(x['path'])} <code>{e(x['sha256'])}</code> {e(x['bytes'])} B — "
                         f"<b>{e(x['now'])}</b>" for x in s["evidence"]) or "-"
        rows.append(f"<tr style='background:{_STATE_COLOUR.get(s['state'], '#f99')}'><td>{e(s['id'])}</td>"
                    f"<td>{e(s['title'])}</td><td>{e(s['clause'])}<br><small>{e(s['clause_text_zh'])}</small></td>"
                    f"<td>{e(s['state'])}</td><td>{e(s['attempts'])}</td><td>{e(s['ended'])}</td>"
                    f"<td>{e(s['detail'])}</td><td>{ev}</td></tr>")
    params = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in doc["params"].items())
    problems = "".join(f"<li>{e(p)}</li>" for p in doc["evidence_problems"])
    j = doc["journal"]
    system = doc["params"].get("system", "")
    return ("<!doctype html><html lang='zh'><head><meta charset='utf-8'>"
            f"<title>{e('exit report ' + system)}</title>"
            "<style>body{font-family:sans-serif}td,th{border:1px solid #666;padding:3px 6px;vertical-align:top}"
            "table{border-collapse:collapse}code{font-size:90%}</style></head><body>"
            f"<h1>{e('退出报告 Exit report: ' + system)}</h1>"
            f"<p>{e('Contract ' + doc['contract'])}"
            f"{e(', runbook ' + doc['runbook'] + ', run ' + doc['state'])}: "
            f"{e(doc['verified'])}/{e(doc['total'])} {e('steps verified')}; "
            f"<b>{e('complete' if doc['complete'] else 'NOT complete')}</b>. "
            f"{e('Generated ' + doc['generated_at'])}.</p>"
            f"<p>{e('Journal ' + j['path'] + ' sha256 ')}<code>{e(j['sha256'])}</code> {e(j['records'])} "
            f"{e('records')}{e(', torn last record ignored' if j['torn_tail'] else '')}.</p>"
            + (f"<h2>Evidence problems</h2><ul>{problems}</ul>" if problems else "")
            + f"<h2>Parameters</h2><table>{params}</table>"
            "<h2>Steps</h2><table><tr><th>step</th><th>title</th><th>clause</th><th>result</th><th>attempts</th>"
            f"<th>ended</th><th>detail</th><th>evidence (sha256, now)</th></tr>{''.join(rows)}</table>"
            "</body></html>\n")


def write_exit_report(run_dir: Path, *, out_dir: Path | None = None, contract: Contract | None = None,
                      self_step: str | None = None) -> tuple[Path, Path]:
    """Write the report of the run in ``run_dir``; returns (json_path, html_path)."""
    doc = build_report(run_dir, contract=contract, self_step=self_step)
    out = Path(out_dir) if out_dir is not None else Path(run_dir) / "report"
    return output.write_json(out / JSON_NAME, doc), output.write_text(out / HTML_NAME, to_html(doc))


@action("report.exit")
def report_step(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    contract = run_contract(ctx.params, args)
    jp, _ = write_exit_report(ctx.run_dir, out_dir=ctx.path(args.get("out", "report")), contract=contract,
                              self_step=ctx.step.id if ctx.step else None)
    doc = load_json(jp)
    return ActionResult({"steps": len(doc["steps"]), "complete": doc["complete"],
                         "evidence_problems": len(doc["evidence_problems"])})


@check("report.exit_valid")
def report_valid(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    doc = load_json(ctx.path(args.get("out", "report")) / JSON_NAME)
    check_output(doc, SCHEMA)
    if doc["evidence_problems"]:
        return CheckResult(False, "exit report: evidence changed or missing: " + "; ".join(doc["evidence_problems"][:10]))
    if not doc["complete"]:
        bad = [f"{s['id']} {s['state']}" for s in doc["steps"] if s["state"] not in (VERIFIED, REPORTING)]
        return CheckResult(False, "exit report: steps not verified: " + ", ".join(bad))
    return CheckResult(True, f"exit report: {len(doc['steps'])} steps, evidence intact")
