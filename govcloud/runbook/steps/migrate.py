"""``govcloud runbook migrate-in``: a system and its data moved into the cloud with proof.

Articles 1-2 (systems migrated in, coordinating with the previous provider), 23 (a unified
work order at the 入云 node), 12 (resources due 30 working days after it), 24 (入云安全测试:
the security gate before any data moves: verify-hosts clean and a vulnerability scan within the
configured level). Files and a PostgreSQL database move with proof. The steps are data: playbooks/runbooks/migrate-in.yaml;
the command line (its parameters, ``rollback-in``) is govcloud.commands.runbook_migrate.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path
from typing import Any

from govcloud.hosts.inventory import load_stack_hosts, stack_outputs_file
from govcloud.jsondoc import load_json
from govcloud.ledger import Status
from govcloud.paths import PROJECT_ROOT
from govcloud.runbook.engine import output
from govcloud.runbook.engine.context import RunContext
from govcloud.runbook.engine.errors import StepFailed
from govcloud.runbook.engine.journal import JOURNAL, read_journal, sha256_file, step_states
from govcloud.runbook.engine.registry import ActionResult, CheckResult, action, check
from govcloud.schemas import check_output

from . import workorder
from .stack_contract import run_contract

RUNBOOK_FILE = PROJECT_ROOT / "playbooks" / "runbooks" / "migrate-in.yaml"


# ------------------------------------------------------------------ work order
@action("migrate.work_order")
def make_work_order(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """Article 23's 统一工单 (入云) for the system, as JSON and a one-page HTML form; article 12's deadline."""
    contract = run_contract(ctx.params, args)
    hosts = load_stack_hosts(stack_outputs_file(args["stack"]))
    if not any(h.system == args["system"] for h in hosts):
        systems = sorted({h.system for h in hosts})
        raise StepFailed(f"system {args['system']!r} has no hosts in the outputs of stack {args['stack']} "
                         f"({stack_outputs_file(args['stack'])}; systems: {', '.join(systems)})")
    order = workorder.work_order(contract, args["system"], hosts, source_host=args["source"],
                                 order_date=date.fromisoformat(args["order_date"]))
    workorder.write_json(order, ctx.path(args["json"]))
    workorder.write_html(order, ctx.path(args["html"]))
    ctx.note(f"work order {order.order_id}: resources due {order.provisioning_deadline} "
             f"({order.working_days} working days, article 12)")
    return ActionResult({"order_id": order.order_id, "provisioning_deadline": order.provisioning_deadline.isoformat(),
                         "hosts": [r.name for r in order.resources]})


@check("migrate.work_order_valid")
def work_order_valid(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    from govcloud.workdays import add_working_days

    doc = load_json(ctx.path(args["json"]))
    check_output(doc, workorder.SCHEMA)
    if doc["node"] == "exit":  # no resources are due; the schema requires its exit deadlines
        return CheckResult(True, f"work order {doc['order_id']} valid; {len(doc['exit_deadlines'])} exit deadlines, "
                                 f"the first {min(d['date'] for d in doc['exit_deadlines'])}")
    due = add_working_days(date.fromisoformat(doc["order_date"]), doc["working_days"])
    if due.isoformat() != doc["provisioning_deadline"]:
        return CheckResult(False, f"deadline {doc['provisioning_deadline']} != {due} recomputed")
    return CheckResult(True, f"work order {doc['order_id']} valid; resources due {doc['provisioning_deadline']}")


# ------------------------------------------------------------- stack and plan
@check("migrate.target_in_stack")
def target_in_stack(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    """The target host is in the stack's outputs for this system; no line item is over the contract."""
    outputs = load_json(ctx.path(args["outputs"]))
    plan = load_json(ctx.path(args["plan"]))
    host = next((h for h in outputs.get("hosts", []) if h.get("name") == args["target"]), None)
    if host is None:
        return CheckResult(False, f"target host {args['target']} is not in the stack outputs "
                                  f"(hosts: {', '.join(h['name'] for h in outputs.get('hosts', []))})")
    if host.get("system") != args["system"]:
        return CheckResult(False, f"target host {args['target']} belongs to system {host.get('system')}, "
                                  f"not {args['system']}")
    over = [i["id"] for i in plan.get("items", []) if i.get("status") == Status.OVER]
    if over:
        return CheckResult(False, f"the plan uses more than the contract allows (articles 7, 77): {', '.join(over)}")
    under = sum(1 for i in plan.get("items", []) if i.get("status") == Status.UNDER)
    return CheckResult(True, f"{args['target']} ({host.get('role')}, {host.get('flavor')}) declared for "
                             f"{args['system']}; no item over the contract ({under} under)")


# ------------------------------------------------------------- security gate
def _arg(ctx: RunContext, args: dict[str, Any], name: str) -> str | None:
    """A step argument, else the run's parameter of that name (migrate-in passes every one)."""
    value = args.get(name)
    return str(value) if value not in (None, "") else ctx.params.get(name)


@check("migrate.evidence_present")
def evidence_present(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    """The harden evidence is there, is about this run's hosts and is recent (article 24).

    Hosts: the evidence must cover the target (the host the gate judges) and name no host outside the
    run's inventory (evidence of another tenancy or lab is refused). Age: ``run.finished`` at most
    ``evidence_max_age`` hours before now (default: $GOVCLOUD_EVIDENCE_MAX_AGE, else 24). Checked each
    time the gate step runs; a gate already verified is not asked again on --resume."""
    from govcloud.errors import InputError
    from govcloud.hosts.evidence import evidence_for_run, evidence_max_age
    from govcloud.runbook.remote.transfer import inventory_endpoints

    p = Path(args["evidence"])
    if not p.is_file():
        return CheckResult(False, f"no harden evidence at {p}: run `govcloud harden` on the target first (article 24)")
    target, inventory = _arg(ctx, args, "target"), _arg(ctx, args, "inventory")
    known = set(inventory_endpoints(Path(inventory))) if inventory else None
    max_age = evidence_max_age(_arg(ctx, args, "evidence_max_age"))
    try:
        ev = evidence_for_run(p, required=[target] if target else [], why="the migration target",
                              known=known, known_from=f"the inventory {inventory}", max_age=max_age)
    except InputError as exc:
        if any(i.path == "run.finished" or i.path.startswith("hosts.") for i in exc.issues):
            return CheckResult(False, f"harden evidence refused (article 24): {exc}")
        raise
    return CheckResult(True, f"harden evidence {p}: {len(ev.hosts)} host(s) of the inventory, {target} among them; "
                             f"the run finished {ev.doc['run']['finished']} (limit {max_age.total_seconds() / 3600:g} h)")


@check("migrate.security_gate")
def security_gate(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    """Article 24 (入云安全测试): verify-hosts clean, from an applied (not check-mode) run covering the target."""
    rep = load_json(ctx.path(args["report"]))
    hosts = {h["host"]: h for h in rep.get("hosts", [])}
    target = args["target"]
    if target not in hosts:
        return CheckResult(False, f"the harden evidence does not cover {target} (hosts: {', '.join(sorted(hosts))})")
    if rep.get("mode") != "apply":
        return CheckResult(False, f"the harden evidence is from a {rep.get('mode')} run; the gate needs an applied one")
    if not hosts[target].get("reachable", False):
        return CheckResult(False, f"{target} was unreachable when the evidence was taken")
    mine = [f for f in rep.get("findings", []) if f.get("host") == target]
    if mine:
        shown = "; ".join(f"{f.get('kind')} {f.get('subject', '')}".strip() for f in mine[:5])
        return CheckResult(False, f"security gate (article 24) closed: {len(mine)} finding(s) on {target}: {shown}")
    return CheckResult(True, f"security gate (article 24) open: verify-hosts clean on {target}")


# ------------------------------------------------------------ evidence bundle
@action("migrate.bundle")
def bundle(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """The evidence bundle: every earlier step's evidence, the harden evidence, a journal copy,
    and a summary (JSON + HTML) naming each step, its clause, result and evidence digests."""
    out = ctx.path(args["dir"])
    records = read_journal(ctx.run_dir).records
    states = step_states(records)
    files: list[dict[str, Any]] = []

    def add(src: Path, name: str) -> None:
        dst = output.copy_file(src, out / name)
        files.append({"path": name, "sha256": sha256_file(dst), "bytes": dst.stat().st_size})

    steps = []
    for s in ctx.runbook.steps:
        if s.id == (ctx.step.id if ctx.step else ""):
            continue
        st = states.get(s.id, {})
        for ev in st.get("evidence", []):
            src = ctx.path(ev["path"])
            if sha256_file(src) != ev["sha256"]:
                raise StepFailed(f"evidence {ev['path']} changed since step {s.id} recorded it")
            add(src, ev["path"])
        steps.append({"id": s.id, "title": s.title, "clause": s.clause, "state": st.get("state", "pending"),
                      "evidence": [{"path": e["path"], "sha256": e["sha256"]} for e in st.get("evidence", [])]})
    if args.get("harden_evidence") and Path(args["harden_evidence"]).is_file():
        add(Path(args["harden_evidence"]), "security/harden-evidence.json")
    add(ctx.run_dir / JOURNAL, "journal.jsonl")
    summary = {"kind": "govcloud/migration-summary", "runbook": ctx.runbook.name,
               "params": {k: v for k, v in ctx.params.items() if k != "run_dir"},
               "steps": steps, "files": files,
               "complete": all(s["state"] == "verified" for s in steps)}
    output.write_json(out / "summary.json", summary)
    e = html.escape
    rows = "".join(f"<tr><td>{e(s['id'])}</td><td>{e(s['title'])}</td><td>{e(s['clause'])}</td><td>{e(s['state'])}</td>"
                   f"<td>{'<br>'.join(e(x['path'] + ' ' + x['sha256'][:16]) for x in s['evidence'])}</td></tr>"
                   for s in steps)
    output.write_text(
        out / "summary.html",
        f"<!doctype html><html><head><meta charset='utf-8'><title>migration {e(ctx.params.get('system', ''))}</title>"
        f"<style>td,th{{border:1px solid #666;padding:3px}}table{{border-collapse:collapse}}</style></head><body>"
        f"<h1>Migration evidence: {e(ctx.params.get('system', ''))}</h1>"
        f"<table><tr><th>step</th><th>title</th><th>clause</th><th>result</th><th>evidence (sha256)</th></tr>{rows}"
        f"</table></body></html>\n")
    return ActionResult({"files": len(files), "complete": summary["complete"]})


@check("migrate.bundle_valid")
def bundle_valid(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    out = ctx.path(args["dir"])
    summary = load_json(out / "summary.json")
    bad = [f["path"] for f in summary["files"] if sha256_file(out / f["path"]) != f["sha256"]]
    if bad:
        return CheckResult(False, f"bundle files changed: {', '.join(bad)}")
    if not summary["complete"]:
        return CheckResult(False, "a step before the bundle is not verified")
    return CheckResult(True, f"{len(summary['files'])} files in the bundle, digests match")


# ----------------------------------------------------------- cut-over, rollback
def _healthy(ctx: RunContext, inventory: str, host: str, units: list[str]) -> tuple[bool, str]:
    from .transfer_steps import endpoint

    ep = endpoint(inventory, host)
    r = ep.run("systemctl is-system-running; " + " ".join(f"systemctl is-active {u};" for u in units),
               what="(service check)")
    lines = r.stdout.split()
    ok = bool(lines) and lines[0] in ("running", "degraded") and all(x == "active" for x in lines[1:])
    return ok, f"{host}: system {lines[0] if lines else '?'}" + "".join(
        f", {u} {s}" for u, s in zip(units, lines[1:]))


@action("migrate.cutover_checklist")
def cutover_checklist(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """The cut-over checklist (上线): automated items from the journal and the hosts, the operator's
    items listed with the rollback that returns service to the source."""
    states = step_states(read_journal(ctx.run_dir).records)
    items: list[dict[str, Any]] = []

    def item(iid: str, text: str, kind: str, ok: bool | None, evidence: str) -> None:
        items.append({"id": iid, "item": text, "kind": kind,
                      "status": "pending-operator" if ok is None else ("pass" if ok else "fail"), "evidence": evidence})

    for sid, text in (("files-transfer", "files at the target equal the source manifest"),
                      ("db-restore", "database tables equal the source (row counts, digests)"),
                      ("security-gate", "security gate passed (article 24)"),
                      ("db-cleanup", "the database dump removed from both hosts"),
                      ("cutover-freeze", "writes stopped at the source (database read-only, services stopped)"),
                      ("final-sync", "final delta sync with writes stopped; files and tables verified"),
                      ("target-services", "services started on the cloud hosts; health check passed")):
        st = states.get(sid, {}).get("state", "pending")
        item(sid, text, "automated", st == "verified", f"journal: {sid} {st}")
    ok, why = _healthy(ctx, args["inventory"], args["target"], [])
    item("target-up", f"{args['target']} running", "automated", ok, why)
    ok, why = _healthy(ctx, args["inventory"], args["db_target"], ["postgresql"])
    item("db-target-up", f"{args['db_target']} running PostgreSQL", "automated", ok, why)
    # what only people can do: no API here reaches the court's DNS, the work-order desk or its users
    for iid, text in (("switch-traffic", "DNS / load balancer points at the cloud hosts"),
                      ("go-live-order", "统一工单 上线 (go-live) filed with the cloud authority (article 23)"),
                      ("owner-acceptance", "the system's owner and users confirm the service works on the cloud hosts")):
        item(iid, text, "operator", None, "")
    rollback = ["stop writes on the cloud hosts", "point DNS / load balancer back at the source",
                "run `govcloud runbook rollback-in --migration-run RUN_DIR`: proves the source files and "
                "database are as they were at the freeze (manifest and table digests), then makes the source "
                "database writable again and starts the services the freeze stopped",
                "file a 统一工单 变更 (change) recording the rollback (article 23)"]
    doc = {"kind": "govcloud/cutover-checklist", "system": ctx.params.get("system"), "items": items,
           "rollback": rollback, "automated_ok": all(i["status"] == "pass" for i in items if i["kind"] == "automated")}
    out = output.write_json(ctx.path(args["out"]), doc)
    e = html.escape
    rows = "".join(f"<tr><td>{e(i['status'])}</td><td>{e(i['item'])}</td><td>{e(i['evidence'])}</td></tr>" for i in items)
    output.write_text(
        out.with_suffix(".html"),
        f"<!doctype html><html><head><meta charset='utf-8'><title>cut-over {e(str(doc['system']))}</title></head><body>"
        f"<h1>Cut-over checklist: {e(str(doc['system']))}</h1><table border=1>{rows}</table><h2>Rollback</h2><ol>"
        + "".join(f"<li>{e(x)}</li>" for x in rollback) + "</ol></body></html>\n")
    return ActionResult({"automated_ok": doc["automated_ok"],
                         "failed": [i["id"] for i in items if i["status"] == "fail"]})


@check("migrate.cutover_ready")
def cutover_ready(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    doc = load_json(ctx.path(args["out"]))
    bad = [f"{i['id']} ({i['evidence']})" for i in doc["items"] if i["kind"] == "automated" and i["status"] != "pass"]
    if bad:
        return CheckResult(False, f"cut-over not ready: {'; '.join(bad)}")
    pending = sum(1 for i in doc["items"] if i["status"] == "pending-operator")
    return CheckResult(True, f"automated checks pass; {pending} operator item(s) listed with the rollback")


@check("rollback.source_files_intact")
def source_files_intact(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    """Rollback can return service to the source: its files are as the migration's manifest recorded."""
    from govcloud.runbook.remote.transfer import Manifest, blocking, compare, make_manifest

    from .transfer_steps import endpoint

    final = Path(args["manifest"]).with_name("source-files-final.json")
    recorded = Manifest.read(final if final.is_file() else Path(args["manifest"]))
    now = make_manifest(endpoint(args["inventory"], recorded.host), recorded.root)
    diffs = blocking(compare(recorded, now))
    if diffs:
        return CheckResult(False, f"{recorded.host}:{recorded.root} changed since the migration: "
                                  + "; ".join(str(d) for d in diffs[:10]))
    return CheckResult(True, f"{recorded.host}:{recorded.root}: {len(recorded.files)} files as at the migration")


@check("rollback.source_db_intact")
def source_db_intact(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    from govcloud.runbook.remote import database as db

    from .transfer_steps import endpoint

    final = Path(args["tables"]).with_name("final-source-tables.json")
    rec = load_json(final if final.is_file() else Path(args["tables"]))
    recorded = [db.TableDigest(t["table"], t["rows"], t["digest"]) for t in rec["tables"]]
    now = db.table_digests(endpoint(args["inventory"], rec["host"]), rec["database"])
    problems = db.compare_tables(recorded, now, names=("at the dump", "now"))
    if problems:
        return CheckResult(False, f"database {rec['database']} on {rec['host']} changed since the dump "
                                  "(writes after the dump are not at the target): " + "; ".join(problems[:10]))
    return CheckResult(True, f"database {rec['database']} on {rec['host']}: every table as at the dump")


# ------------------------------------------------------- vulnerability scan gate
SCAN_DIR = "/var/lib/govcloud/vuln-scan"  # the vuln_scan role's vuln_scan_report_dir


@action("migrate.fetch_scan")
def fetch_scan(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """The newest lynis report the vuln_scan role left on the target (主机漏洞扫描), parsed."""
    from .transfer_steps import endpoint

    host = endpoint(args["inventory"], args["target"])
    r = host.run(f"f=$(sudo -n sh -c 'ls -1t {SCAN_DIR}/lynis-*.dat 2>/dev/null' | head -n 1); "
                 f"[ -n \"$f\" ] && echo \"$f\" && sudo -n cat \"$f\"", what="(fetching the vulnerability scan)")
    doc: dict[str, Any] = {"host": host.name, "report": None, "hardening_index": None, "warnings": [],
                           "suggestions": 0}
    if r.returncode == 0 and r.stdout.strip():
        path, _, text = r.stdout.partition("\n")
        output.write_text(ctx.path(args["raw"]), text)
        doc["report"] = path.strip()
        for line in text.splitlines():
            if line.startswith("hardening_index="):
                doc["hardening_index"] = int(line.split("=", 1)[1] or 0)
            elif line.startswith("warning[]="):
                doc["warnings"].append(line.split("=", 1)[1])
            elif line.startswith("suggestion[]="):
                doc["suggestions"] += 1
    else:
        output.write_text(ctx.path(args["raw"]), "")
    output.write_json(ctx.path(args["out"]), doc)
    return ActionResult({k: doc[k] for k in ("report", "hardening_index", "suggestions")} |
                        {"warnings": len(doc["warnings"])})


@check("migrate.scan_gate")
def scan_gate(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    """Article 24: a vulnerability scan exists for the target and none of its findings is above the
    configured level (lynis warnings ≤ max, hardening index ≥ min)."""
    doc = load_json(ctx.path(args["out"]))
    if doc["report"] is None:
        return CheckResult(False, f"no vulnerability scan report on {doc['host']} ({SCAN_DIR}/lynis-*.dat): "
                                  "run the vuln_scan role first (article 24)")
    max_w, min_i = int(args["max_warnings"]), int(args["min_index"])
    problems = []
    if len(doc["warnings"]) > max_w:
        problems.append(f"{len(doc['warnings'])} lynis warning(s) (at most {max_w} allowed): "
                        + ", ".join(w.split("|")[0] for w in doc["warnings"][:5]))
    if doc["hardening_index"] is None or doc["hardening_index"] < min_i:
        problems.append(f"hardening index {doc['hardening_index']} below {min_i}")
    if problems:
        return CheckResult(False, f"vulnerability scan gate (article 24) closed on {doc['host']}: " + "; ".join(problems))
    return CheckResult(True, f"vulnerability scan of {doc['host']}: index {doc['hardening_index']}, "
                             f"{len(doc['warnings'])} warning(s) ≤ {max_w}")
