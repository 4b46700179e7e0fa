"""Cut-over (上线) built-ins: stop writes at the source, the final delta sync, services started on
the cloud hosts with a health check, and the way back (rollback unfreezes the source).

Articles 1-2 (the system moved, coordinating with the previous provider) and 23 (the 上线 node of
the unified work order). What stays with people: pointing DNS / the load balancer at the cloud
hosts, filing the go-live order, and the system owner's acceptance; the checklist lists them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govcloud.jsondoc import load_json
from govcloud.runbook.engine import output
from govcloud.runbook.engine.context import RunContext
from govcloud.runbook.engine.errors import StepFailed
from govcloud.runbook.engine.registry import ActionResult, CheckResult, action, check
from govcloud.runbook.remote import database as db
from govcloud.runbook.remote.transfer import Manifest, blocking, make_manifest, verified_transfer, verify_target

from .transfer_steps import endpoint


def units(text: str) -> list[str]:
    """A comma-separated list of systemd units (empty entries dropped); refuses odd names."""
    out = [u.strip() for u in str(text or "").split(",") if u.strip()]
    for u in out:
        if not all(c.isalnum() or c in "@._-" for c in u):
            raise StepFailed(f"service name {u!r}: expected a systemd unit name")
    return out


def _active(host: Any, names: list[str]) -> dict[str, str]:
    if not names:
        return {}
    r = host.run(" ".join(f"systemctl is-active {u};" for u in names), what="(service state)")
    states = r.stdout.split()
    return dict(zip(names, states + ["unknown"] * (len(names) - len(states))))


# ---------------------------------------------------------------- freeze
@action("cutover.freeze_source")
def freeze_source(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """Stop writes at the source: its services stopped, its database read-only for new sessions and
    the open sessions ended (a DBA can still override; applications cannot write)."""
    src = endpoint(args["inventory"], args["source"])
    dbsrc = endpoint(args["inventory"], args["db_source"])
    services = units(args.get("services", ""))
    for u in services:
        r = src.run(f"sudo -n systemctl stop {u}", what=f"(stopping {u})")
        if r.returncode != 0:
            raise StepFailed(f"host {src.name}: systemctl stop {u} failed: {r.stderr.strip()[-300:]}")
    ended = db.set_read_only(dbsrc, args["database"], True)
    output.write_json(ctx.path(args["out"]), {"kind": "govcloud/cutover-freeze", "source": src.name,
                                              "services_stopped": services, "db_host": dbsrc.name,
                                              "database": args["database"], "sessions_ended": ended})
    ctx.note(f"{dbsrc.name}: {args['database']} read-only ({ended} session(s) ended); "
             f"stopped on {src.name}: {', '.join(services) or 'no services named'}")
    return ActionResult({"services_stopped": services, "sessions_ended": ended})


@check("cutover.source_frozen")
def source_frozen(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    """A write probe in a new session is refused, and the named services are inactive."""
    src = endpoint(args["inventory"], args["source"])
    dbsrc = endpoint(args["inventory"], args["db_source"])
    refused, why = db.write_refused(dbsrc, args["database"])
    running = {u: s for u, s in _active(src, units(args.get("services", ""))).items() if s == "active"}
    if not refused or running:
        return CheckResult(False, "writes not stopped at the source: "
                           + ("; ".join(([f"{args['database']} on {dbsrc.name} accepted a write"] if not refused else [])
                                        + [f"{u} still active on {src.name}" for u in running])))
    return CheckResult(True, f"{args['database']} on {dbsrc.name} refuses writes ({why})")


# ------------------------------------------------------------ final sync
@action("cutover.final_sync")
def final_sync(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """With writes stopped: a fresh source manifest, the delta rsync and full verification; the
    database compared by table digests and moved again (dump, transfer, restore) only if it changed."""
    inv = args["inventory"]
    src, dst = endpoint(inv, args["source"]), endpoint(inv, args["target"])
    m = make_manifest(src, args["source_path"])
    m.write(ctx.path("manifests/source-files-final.json"))
    rep = verified_transfer(src, dst, args["source_path"], args["target_path"],
                            source_manifest=ctx.path("manifests/source-files-final.json"),
                            target_manifest=ctx.path("manifests/target-files-final.json"))
    output.write_json(ctx.path("cutover/final-transfer-report.json"), rep.to_dict())
    if not rep.verified:
        raise StepFailed(f"final sync: {dst.name}:{args['target_path']} differs: {'; '.join(rep.remaining[:5])}")
    ctx.note(f"final sync: {rep.rsync.files_transferred} file(s), {rep.rsync.literal_bytes} bytes sent; "
             f"{len(m.files)} files verified")
    dbs, dbt, name = endpoint(inv, args["db_source"]), endpoint(inv, args["db_target"]), args["database"]
    before = db.table_digests(dbs, name)
    output.write_json(ctx.path("db/final-source-tables.json"), db.digests_doc(dbs, name, before))
    changed = db.compare_tables(before, db.table_digests(dbt, name))
    if changed:
        ctx.note(f"database changed since the dump ({'; '.join(changed[:3])}): dump, transfer, restore again")
        where = db.dump(dbs, name)
        dm = make_manifest(dbs, where)
        dm.write(ctx.path("manifests/source-db-final.json"))
        drep = verified_transfer(dbs, dbt, where, where, source_manifest=ctx.path("manifests/source-db-final.json"),
                                 target_manifest=ctx.path("manifests/target-db-final.json"))
        if not drep.verified:
            raise StepFailed(f"final sync: the dump differs on {dbt.name}: {'; '.join(drep.remaining[:5])}")
        db.restore(dbt, name)
        for h in (dbs, dbt):
            db.remove_dump(h, name)
    return ActionResult({"files_transferred": rep.rsync.files_transferred, "literal_bytes": rep.rsync.literal_bytes,
                         "files_verified": len(m.files), "database_changed": changed[:20]})


@check("cutover.final_synced")
def final_synced(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    """Hash the target now against the post-freeze manifest; table digests equal on both sides now."""
    inv = args["inventory"]
    dst = endpoint(inv, args["target"])
    src_m = Manifest.read(ctx.path("manifests/source-files-final.json"))
    diffs = blocking(verify_target(src_m, dst, args["target_path"]))
    dbs, dbt, name = endpoint(inv, args["db_source"]), endpoint(inv, args["db_target"]), args["database"]
    problems = [str(d) for d in diffs[:10]] + db.compare_tables(db.table_digests(dbs, name), db.table_digests(dbt, name))
    if problems:
        return CheckResult(False, f"final sync not complete: {'; '.join(problems[:10])}")
    return CheckResult(True, f"{len(src_m.files)} files and database {name} equal at the source and the target "
                             "with writes stopped")


# ------------------------------------------------------ services, health
def _targets(args: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(args["target"], units(args.get("services", ""))), (args["db_target"], ["postgresql"])]


def _health(ctx: RunContext, args: dict[str, Any]) -> dict[str, Any]:
    """The cloud hosts run, their services are active, the database answers with every table."""
    problems, seen = [], []
    for host_name, names in _targets(args):
        host = endpoint(args["inventory"], host_name)
        r = host.run("systemctl is-system-running", what="(health)")
        state = r.stdout.strip() or "unknown"
        if state not in ("running", "degraded"):
            problems.append(f"{host.name}: system {state}")
        for u, s in _active(host, names).items():
            (seen if s == "active" else problems).append(f"{host.name}:{u} {s}")
    dbt = endpoint(args["inventory"], args["db_target"])
    want = {t["table"] for t in load_json(ctx.path("db/final-source-tables.json"))["tables"]}
    got = {t.table for t in db.table_digests(dbt, args["database"])}
    if want - got:
        problems.append(f"{dbt.name}: tables missing: {', '.join(sorted(want - got))}")
    return {"kind": "govcloud/cutover-health", "db_host": dbt.name, "problems": problems, "active": seen,
            "tables": sorted(got)}


@action("cutover.start_target")
def start_target(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """Enable and start the system's services on the cloud hosts (PostgreSQL on the database host),
    then record their health."""
    started = []
    for host_name, names in _targets(args):
        host = endpoint(args["inventory"], host_name)
        for u in names:
            r = host.run(f"sudo -n systemctl enable --now {u}", what=f"(starting {u})")
            if r.returncode != 0:
                raise StepFailed(f"host {host.name}: systemctl enable --now {u} failed: {r.stderr.strip()[-300:]}")
            started.append(f"{host.name}:{u}")
    health = _health(ctx, args)
    output.write_json(ctx.path(args["out"]), {**health, "started": started})
    return ActionResult({"started": started, "problems": health["problems"]})


@check("cutover.target_healthy")
def target_healthy(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    """Checked again now: the hosts run, the services are active, every table answers."""
    health = _health(ctx, args)
    if health["problems"]:
        return CheckResult(False, f"target not healthy: {'; '.join(health['problems'])}")
    return CheckResult(True, f"healthy: {', '.join(health['active'])}; {len(health['tables'])} tables answer "
                             f"on {health['db_host']}")


# -------------------------------------------------------------- rollback
@action("rollback.unfreeze_source")
def unfreeze_source(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """Return service to the source: its database writable again, the services the freeze stopped started."""
    rec_path = Path(args["freeze"])
    if not rec_path.is_file():
        output.write_json(ctx.path(args["out"]), {"kind": "govcloud/rollback-unfreeze",
                                                  "note": "the migration never froze the source"})
        return ActionResult({"note": "the migration never froze the source; nothing to undo"})
    rec = load_json(rec_path)
    db.set_read_only(endpoint(args["inventory"], rec["db_host"]), rec["database"], False)
    src = endpoint(args["inventory"], rec["source"])
    for u in rec["services_stopped"]:
        r = src.run(f"sudo -n systemctl start {u}", what=f"(starting {u})")
        if r.returncode != 0:
            raise StepFailed(f"host {src.name}: systemctl start {u} failed: {r.stderr.strip()[-300:]}")
    output.write_json(ctx.path(args["out"]), {"kind": "govcloud/rollback-unfreeze", **rec})
    return ActionResult({"database": rec["database"], "services_started": rec["services_stopped"]})


@check("rollback.source_writable")
def source_writable(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    if not Path(args["freeze"]).is_file():
        return CheckResult(True, "the migration never froze the source: it serves as before")
    rec = load_json(Path(args["freeze"]))
    refused, why = db.write_refused(endpoint(args["inventory"], rec["db_host"]), rec["database"])
    down = {u: s for u, s in _active(endpoint(args["inventory"], rec["source"]), rec["services_stopped"]).items()
            if s != "active"}
    if refused or down:
        return CheckResult(False, f"the source does not serve again: {why if refused else ''} {down or ''}".strip())
    return CheckResult(True, f"{rec['database']} on {rec['db_host']} accepts writes; services active on {rec['source']}")
