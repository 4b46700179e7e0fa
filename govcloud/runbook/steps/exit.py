"""``govcloud runbook exit``: a system leaves the cloud with proof (articles 14, 57-59, 68, 73).

The steps are data (playbooks/runbooks/exit.yaml): the 统一工单 at the 退出 node with the exit
deadlines (article 23; the timeline of "timeline"), the handover package (article 58: resources
and security policies, handover.py), the verified export of files and database to the court's
target host (articles 58-59, the migration's transfer), ``export/manifest.json`` whose SHA-256 the
court accepts, the wait for that acceptance (exit 3 until the file is there; ``--resume``), the
stable-run check on the court's side, the old services shut down (Ansible), the secure erase of
"erase" (NIST SP 800-88 Rev. 1, refused until the acceptance matches and ``--confirm`` names the
system), the article 68 checklist and the exit report. The command line (its parameters, the input
files refused before anything runs) is govcloud.commands.runbook_exit.
"""

from __future__ import annotations

import shlex
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govcloud.errors import InputError
from govcloud.hosts.inventory import load_stack_hosts, stack_outputs_file
from govcloud.jsondoc import load_json
from govcloud.paths import PROJECT_ROOT
from govcloud.runbook.engine import output
from govcloud.runbook.engine.context import RunContext
from govcloud.runbook.engine.errors import StepFailed
from govcloud.runbook.engine.journal import sha256_file
from govcloud.runbook.engine.params import BadValue
from govcloud.runbook.engine.registry import ActionResult, CheckResult, action, check
from govcloud.schemas import check_output

from . import handover, workorder
from .stack_contract import run_contract

if TYPE_CHECKING:
    from govcloud.hosts.evidence import Evidence

RUNBOOK_FILE = PROJECT_ROOT / "playbooks" / "runbooks" / "exit.yaml"
EXPORT_SCHEMA = "exit-export.schema.json"
STABLE_SCHEMA = "exit-stable-run.schema.json"
ACCEPTANCE_COPY = "acceptance/exit-acceptance.json"


def _path(ctx: RunContext, value: str) -> Path:
    """An absolute path as given, a relative one inside the run directory."""
    p = Path(value)
    return p if p.is_absolute() else ctx.path(value)


# ------------------------------------------------------------------ work order and deadlines
@action("exit.work_order")
def exit_work_order(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """Article 23's 统一工单 at the 退出 node, and the exit deadlines of the trigger (timeline)."""
    from .timeline import exit_timeline

    contract = run_contract(ctx.params, args)
    hosts = load_stack_hosts(stack_outputs_file(args["stack"]))
    if not any(h.system == args["system"] for h in hosts):
        raise StepFailed(f"system {args['system']!r} has no hosts in the outputs of stack {args['stack']} "
                         f"({stack_outputs_file(args['stack'])})")
    notice = date.fromisoformat(args["notice"]) if args.get("notice") else None
    deadlines = exit_timeline(contract, args["trigger"], date.fromisoformat(args["on"]), notice=notice)
    if not deadlines:
        raise StepFailed(f"trigger {args['trigger']} on {args['on']}: the contract's exit terms give no deadline")
    order = workorder.work_order(
        contract, args["system"], hosts, source_host=args["source"], order_date=date.fromisoformat(args["order_date"]),
        node="exit", exit_deadlines=tuple(workorder.OrderDeadline(d.clause, d.date, d.day_kind, d.by, d.text_zh)
                                          for d in deadlines))
    workorder.write_json(order, ctx.path(args["json"]))
    workorder.write_html(order, ctx.path(args["html"]))
    output.write_json(ctx.path(args["deadlines"]), {
        "kind": "govcloud/exit-deadlines", "contract": contract.number, "system": args["system"],
        "trigger": args["trigger"], "on": args["on"], "notice": args.get("notice") or None,
        "deadlines": [d.to_json() for d in deadlines]})
    for d in deadlines:
        ctx.note(f"{d.clause}: {d.date} ({d.day_kind} days, by {d.by})")
    return ActionResult({"order_id": order.order_id, "deadlines": {d.clause: d.date.isoformat() for d in deadlines}})


# ------------------------------------------------------------------ handover package
@action("exit.handover")
def make_handover(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """Article 58: the system's resources and security policies, its IP plan and harden evidence."""
    from govcloud.hosts.controls import load_control_map
    from govcloud.state.export import read_export

    dep = read_export(_path(ctx, args["state"]))
    outputs = load_json(_path(ctx, args["outputs"]))
    cmap = load_control_map(Path(args["controls"])) if args.get("controls") else load_control_map()
    try:  # the evidence packaged must be of this run's hosts and fresh when the package is made
        evidence = exit_evidence({**ctx.params, "evidence": args["evidence"]}, fresh=True)
    except InputError as exc:
        raise StepFailed(f"harden evidence refused: {exc}") from None
    out = ctx.path(args["out"])
    m = handover.write_package(out, contract=run_contract(ctx.params, args).number, stack=args["stack"],
                               system=args["system"], dep=dep, outputs=outputs, cmap=cmap, evidence=evidence)
    if not m["hosts"]:
        raise StepFailed(f"the stack export {dep.source} holds no instance of system {args['system']!r} "
                         f"(metadata {handover.SYSTEM_KEY})")
    missing = sorted(set(m["hosts"]) - set(m["evidence_hosts"]))
    ctx.note(f"handover: {', '.join(f'{k} {v}' for k, v in m['counts'].items())}"
             + (f"; no harden evidence for {', '.join(missing)}" if missing else ""))
    return ActionResult({"hosts": m["hosts"], "counts": m["counts"], "hosts_without_evidence": missing,
                         "manifest_sha256": sha256_file(out / handover.MANIFEST)})


@check("exit.handover_valid")
def handover_valid(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    problems = handover.verify_package(ctx.path(args["out"]))
    if problems:
        return CheckResult(False, "handover package: " + "; ".join(problems))
    doc = load_json(ctx.path(args["out"]) / handover.MANIFEST)
    return CheckResult(True, f"handover package: {len(doc['files'])} files as in its manifest; "
                             f"hosts {', '.join(doc['hosts'])}")


# ------------------------------------------------------------------ the export manifest
@action("exit.export_manifest")
def export_manifest(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """``export/manifest.json``: every record proving the export, with its SHA-256 (the court accepts
    the digest of this file)."""
    from govcloud.runbook.remote.transfer import Manifest

    records = []
    for rel, what in dict(args["records"]).items():
        p = ctx.path(rel)
        if not p.is_file():
            raise StepFailed(f"export record {rel} is missing in the run directory: the export step that "
                             "writes it has not run")
        records.append({"path": rel, "what": str(what), "sha256": sha256_file(p), "bytes": p.stat().st_size})
    files = Manifest.read(ctx.path(args["files_manifest"]))
    tables = load_json(ctx.path(args["tables"]))["tables"]
    doc = {"kind": "govcloud/exit-export", "version": 1, "contract": run_contract(ctx.params, args).number,
           "system": args["system"], "stack": args["stack"], "target": args["target"],
           "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "files": {"source": files.host, "source_path": files.root, "target_path": args["target_path"],
                     "count": len(files.files), "bytes": files.total_bytes},
           "database": {"name": args["database"], "source": args["db_source"], "target": args["db_target"],
                        "tables": len(tables), "rows": sum(int(t["rows"]) for t in tables)},
           "records": records}
    check_output(doc, EXPORT_SCHEMA)
    out = ctx.path(args["out"])
    output.write_json(out, doc)
    digest = sha256_file(out)
    ctx.note(f"export manifest {args['out']} SHA-256 {digest}: the court's acceptance must carry this digest")
    return ActionResult({"manifest": args["out"], "manifest_sha256": digest, "records": len(records),
                         "files": len(files.files), "tables": len(tables)})


@check("exit.export_valid")
def export_valid(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    doc = load_json(ctx.path(args["out"]))
    check_output(doc, EXPORT_SCHEMA)
    bad = [r["path"] for r in doc["records"]
           if not ctx.path(r["path"]).is_file() or sha256_file(ctx.path(r["path"])) != r["sha256"]]
    if bad:
        return CheckResult(False, f"export records changed or missing since the manifest: {', '.join(bad)}")
    return CheckResult(True, f"export manifest SHA-256 {sha256_file(ctx.path(args['out']))}: "
                             f"{len(doc['records'])} records as listed")


# ------------------------------------------------------------------ the court's acceptance
@check("exit.acceptance_present")
def acceptance_present(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    """Waits (exit 3) until the court's acceptance file is there; says which digest it must carry."""
    path = Path(args["acceptance"])
    if path.is_file():
        return CheckResult(True, f"the court's acceptance is at {path}")
    manifest = ctx.path(args["manifest"])
    digest = sha256_file(manifest) if manifest.is_file() else "(no export manifest yet)"
    return CheckResult(False, f"waiting for the court's acceptance at {path} (manifest_sha256 {digest}); "
                              "run again with --resume once it is there", waiting=True)


@action("exit.record_acceptance")
def record_acceptance(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """Validate the court's file (schema, names file and field) and keep a copy as evidence."""
    from .acceptance import load_acceptance

    src = Path(args["acceptance"])
    acc = load_acceptance(src)
    output.copy_file(src, ctx.path(args["copy"]))
    return ActionResult({"file": str(src), "accepted_by": acc.accepted_by.name,
                         "organisation": acc.accepted_by.organisation, "accepted_at": acc.accepted_at.isoformat(),
                         "manifest_sha256": acc.manifest_sha256})


@check("exit.acceptance_matches")
def acceptance_matches(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    """The recorded acceptance names this system and carries the digest of export/manifest.json."""
    from .acceptance import load_acceptance, matches

    acc = load_acceptance(ctx.path(args["copy"]))
    return matches(acc, ctx.path(args["manifest"]), args["system"],
                   contract=run_contract(ctx.params, args).number)


# ------------------------------------------------------------------ stable run on the court's side
def _units(value: str) -> list[str]:
    return [u.strip() for u in str(value or "").split(",") if u.strip()]


def _sample(args: dict[str, Any], ctx: RunContext) -> list[dict[str, Any]]:
    from govcloud.runbook.remote import database as db
    from govcloud.runbook.remote.transfer import Manifest, blocking, verify_target

    from .transfer_steps import endpoint

    checks: list[dict[str, Any]] = []

    def add(cid: str, host: str, ok: bool, detail: str) -> None:
        checks.append({"id": cid, "host": host, "ok": ok, "detail": detail})

    hosts = list(dict.fromkeys([args["target"], args["db_target"]]))
    units = _units(args.get("units", ""))
    for name in hosts:
        ep = endpoint(args["inventory"], name)
        mine = units if name == args["target"] else []
        if name == args["db_target"]:
            mine = list(dict.fromkeys([*mine, "postgresql"]))
        cmd = "systemctl is-system-running; " + " ".join(f"systemctl is-active {shlex.quote(u)};" for u in mine)
        out = ep.run(cmd, what="(stable-run service check)").stdout.split()
        state = out[0] if out else "?"
        add("system-running", name, state in ("running", "degraded"), f"systemd: {state}")
        for u, s in zip(mine, out[1:] + ["?"] * len(mine)):
            add(f"unit:{u}", name, s == "active", f"{u} {s}")
    dbh = endpoint(args["inventory"], args["db_target"])
    recorded = [db.TableDigest(t["table"], t["rows"], t["digest"]) for t in load_json(ctx.path(args["tables"]))["tables"]]
    try:
        now = db.table_digests(dbh, args["database"])
        add("db-answers", dbh.name, True, f"database {args['database']} answers: {len(now)} tables")
        problems = db.compare_tables(recorded, now, names=("as exported", "on the target now"))
        add("db-as-exported", dbh.name, not problems,
            "; ".join(problems[:5]) or f"{len(now)} tables, {sum(t.rows for t in now)} rows: counts and digests "
                                        "as exported")
    except StepFailed as exc:
        add("db-answers", dbh.name, False, str(exc))
    files = Manifest.read(ctx.path(args["files_manifest"]))
    diffs = blocking(verify_target(files, endpoint(args["inventory"], args["target"]), args["target_path"]))
    add("files-as-exported", args["target"], not diffs,
        "; ".join(str(d) for d in diffs[:5]) or f"{len(files.files)} files as exported at {args['target_path']}")
    return checks


@action("exit.stable_run")
def stable_run(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """Article 58: the system runs stably on the court's side — sampled ``samples`` times, ``interval``
    seconds apart: systemd running, the units active, the database answering with every table as
    exported (row counts and digests), the files as exported."""
    n, interval = max(1, int(args.get("samples", 2))), float(args.get("interval", 5))
    samples = []
    for i in range(n):
        if i:
            time.sleep(interval)
        samples.append({"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "checks": _sample(args, ctx)})
    ok = all(c["ok"] for s in samples for c in s["checks"])
    doc = {"kind": "govcloud/exit-stable-run", "version": 1, "system": ctx.params.get("system", ""),
           "target": args["target"], "db_target": args["db_target"], "database": args["database"],
           "samples": samples, "ok": ok}
    check_output(doc, STABLE_SCHEMA)
    output.write_json(ctx.path(args["out"]), doc)
    return ActionResult({"ok": ok, "samples": n,
                         "failed": sorted({f"{c['host']}:{c['id']}" for s in samples for c in s["checks"] if not c["ok"]})})


@check("exit.stable_run_ok")
def stable_run_ok(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    doc = load_json(ctx.path(args["out"]))
    check_output(doc, STABLE_SCHEMA)
    bad = [f"{c['host']} {c['id']}: {c['detail']}" for s in doc["samples"] for c in s["checks"] if not c["ok"]]
    if bad:
        return CheckResult(False, "not running stably on the court's side: " + "; ".join(bad[:6]))
    n = sum(len(s["checks"]) for s in doc["samples"])
    return CheckResult(True, f"{len(doc['samples'])} samples, {n} checks pass on {doc['target']}/{doc['db_target']}")


# ------------------------------------------------------------------ old services shut down
def old_units(value: str) -> dict[str, list[str]]:
    """``host=unit,host=unit`` → {host: [units]}; anything else is refused naming the item (BadValue:
    the command line names its flag, ``--old-unit``)."""
    out: dict[str, list[str]] = {}
    for item in _units(value):
        host, sep, unit = item.partition("=")
        if not sep or not host or not unit:
            raise BadValue(f"{item!r}: expected HOST=UNIT (e.g. lab-db-01=postgresql)")
        out.setdefault(host, []).append(unit)
    return out


@check("exit.services_stopped")
def services_stopped(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    """Every old unit inactive and not enabled (it does not come back at boot)."""
    from .transfer_steps import endpoint

    bad, seen = [], []
    for host, units in old_units(args["units"]).items():
        ep = endpoint(args["inventory"], host)
        cmd = " ".join(f"systemctl is-active {shlex.quote(u)}; systemctl is-enabled {shlex.quote(u)};" for u in units)
        out = ep.run(cmd, what="(old services check)").stdout.split()
        for i, u in enumerate(units):
            active, enabled = (out[2 * i:2 * i + 2] + ["?", "?"])[:2]
            seen.append(f"{host}:{u} {active}/{enabled}")
            if active in ("active", "activating", "reloading") or enabled in ("enabled", "enabled-runtime"):
                bad.append(f"{host}:{u} {active}/{enabled}")
    if bad:
        return CheckResult(False, f"old services still running or enabled: {', '.join(bad)}")
    return CheckResult(True, f"old services stopped and disabled: {', '.join(seen)}")


# ------------------------------------------------------------------ the harden evidence packaged
def exit_evidence(params: dict[str, Any], *, fresh: bool) -> Evidence:
    """The harden evidence of an exit, refused (InputError: file, field, what was expected) unless it
    covers the system's old hosts (``source``, ``db_source``: what the handover package describes and
    the erase empties), names no host outside the run's inventory, and, with ``fresh``, its run
    finished at most ``evidence_max_age`` hours ago (govcloud.hosts.evidence)."""
    from govcloud.hosts.evidence import evidence_for_run, evidence_max_age
    from govcloud.runbook.remote.transfer import inventory_endpoints

    inventory = params["inventory"]
    return evidence_for_run(
        Path(params["evidence"]), required=dict.fromkeys(h for h in (params.get("source"), params.get("db_source")) if h),
        why="the system's hosts leaving the cloud", known=set(inventory_endpoints(Path(inventory))),
        known_from=f"the inventory {inventory}",
        max_age=evidence_max_age(params.get("evidence_max_age")) if fresh else None)
