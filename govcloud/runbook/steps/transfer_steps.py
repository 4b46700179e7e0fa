"""Built-ins for the verified file transfer (``transfer``): the source manifest, the transfer with
its repair, and the check that every file of the manifest is at the target as it was at the source.
Articles 1-2 (migration in) and 58-59 (migration out)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govcloud.runbook.engine import output
from govcloud.runbook.engine.context import RunContext
from govcloud.runbook.engine.errors import StepFailed
from govcloud.runbook.engine.registry import ActionResult, CheckResult, action, check
from govcloud.runbook.remote.transfer import (
    Endpoint,
    Manifest,
    blocking,
    inventory_endpoints,
    make_manifest,
    verified_transfer,
    verify_target,
)


def endpoint(inventory: str, name: str) -> Endpoint:
    hosts = inventory_endpoints(Path(inventory))
    if name not in hosts:
        raise StepFailed(f"host {name!r} is not in the inventory {inventory} (hosts: {', '.join(sorted(hosts))})")
    return hosts[name]


def _become(args: dict[str, Any]) -> bool:
    return str(args.get("become", "true")).lower() not in ("false", "no", "0")


@action("transfer.source_manifest")
def source_manifest(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """SHA-256 of every file under ``path`` on ``source``, made on the source host."""
    src = endpoint(args["inventory"], args["source"])
    m = make_manifest(src, args["path"], become=_become(args))
    if not m.files:
        raise StepFailed(f"host {src.name}: {args['path']} holds no files; nothing to migrate")
    m.write(ctx.path(args["out"]))
    ctx.note(f"{src.name}:{args['path']}: {len(m.files)} files, {m.total_bytes / 1e6:.1f} MB")
    return ActionResult({"host": src.name, "root": args["path"], "files": len(m.files), "bytes": m.total_bytes})


@action("transfer.files")
def transfer_files(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """rsync source → target (resumable), verify against the manifest, repair the differing files."""
    src = endpoint(args["inventory"], args["source"])
    dst = endpoint(args["inventory"], args["target"])
    bw = int(args["bwlimit"]) if str(args.get("bwlimit", "") or "0") not in ("", "0") else None
    seen = [0]

    def on_line(line: str) -> None:
        if line[:2] in (">f", "<f"):
            seen[0] += 1
            if seen[0] % 500 == 0:
                ctx.note(f"rsync: {seen[0]} files sent")

    ctx.note(f"rsync {src.name}:{args['source_path']} -> {dst.name}:{args['target_path']}"
             + (f" (bwlimit {bw} KiB/s)" if bw else ""))
    rep = verified_transfer(src, dst, args["source_path"], args["target_path"],
                            source_manifest=ctx.path(args["manifest"]), target_manifest=ctx.path(args["target_manifest"]),
                            bwlimit_kbps=bw, become=_become(args), on_line=on_line)
    output.write_json(ctx.path(args["report"]), rep.to_dict())
    st = rep.rsync
    ctx.note(f"rsync: {st.files_transferred} files, {st.literal_bytes} bytes literal, {st.matched_bytes} matched, "
             f"{st.seconds:.1f} s")
    if rep.differences_after_rsync:
        ctx.note(f"differed after rsync, repaired with --checksum: {', '.join(rep.differences_after_rsync[:5])}")
    if not rep.verified:
        raise StepFailed(f"{dst.name}:{args['target_path']} still differs after repair: {'; '.join(rep.remaining[:5])}")
    return ActionResult({"files_transferred": st.files_transferred, "literal_bytes": st.literal_bytes,
                         "matched_bytes": st.matched_bytes, "bytes_sent": st.bytes_sent, "seconds": st.seconds,
                         "differed_after_rsync": list(rep.differences_after_rsync[:50]),
                         "repaired": list(rep.repair.changed) if rep.repair else []})


@check("transfer.verified")
def transfer_verified(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    """Hash the target now: every file of the source manifest present with its size and digest."""
    dst = endpoint(args["inventory"], args["target"])
    src = Manifest.read(ctx.path(args["manifest"]))
    diffs = blocking(verify_target(src, dst, args["target_path"], become=_become(args)))
    if diffs:
        return CheckResult(False, f"{len(diffs)} file(s) differ at {dst.name}:{args['target_path']}: "
                                  + "; ".join(str(d) for d in diffs[:10]))
    return CheckResult(True, f"{len(src.files)} files ({src.total_bytes} bytes) verified at "
                             f"{dst.name}:{args['target_path']} against the source manifest")


@check("transfer.tools")
def transfer_tools(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    """rsync and python3 answer on every host named."""
    missing = []
    args = {**args, "hosts": list(dict.fromkeys(args["hosts"]))}
    for name in args["hosts"]:
        r = endpoint(args["inventory"], name).run("command -v rsync && command -v python3", what="(tools check)")
        if r.returncode != 0:
            missing.append(name)
    if missing:
        return CheckResult(False, f"rsync or python3 missing on: {', '.join(missing)}")
    return CheckResult(True, f"rsync and python3 present on {', '.join(args['hosts'])}")


# ------------------------------------------------------------------ PostgreSQL
@action("db.dump")
def db_dump(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """pg_dump -Fc at the source; the table digests at dump time are recorded beside it."""
    from govcloud.runbook.remote import database as db

    src = endpoint(args["inventory"], args["source"])
    tables = db.table_digests(src, args["database"])
    if not tables:
        raise StepFailed(f"host {src.name}: database {args['database']} has no tables to migrate")
    where = db.dump(src, args["database"])
    output.write_json(ctx.path(args["out"]), db.digests_doc(src, args["database"], tables))
    ctx.note(f"pg_dump {args['database']} on {src.name}: {len(tables)} tables, "
             f"{sum(t.rows for t in tables)} rows -> {where}")
    return ActionResult({"dump_dir": where, "tables": len(tables), "rows": sum(t.rows for t in tables)})


@action("db.restore")
def db_restore(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    from govcloud.runbook.remote import database as db

    dst = endpoint(args["inventory"], args["target"])
    db.restore(dst, args["database"])
    tables = db.table_digests(dst, args["database"])
    output.write_json(ctx.path(args["out"]), db.digests_doc(dst, args["database"], tables))
    return ActionResult({"tables": len(tables), "rows": sum(t.rows for t in tables)})


@check("db.verified")
def db_verified(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    """Row counts and digests of every table at the target equal the source's, both computed now."""
    from govcloud.runbook.remote import database as db

    src = endpoint(args["inventory"], args["source"])
    dst = endpoint(args["inventory"], args["target"])
    s, t = db.table_digests(src, args["database"]), db.table_digests(dst, args["database"])
    output.write_json(ctx.path(args["out"]), db.digests_doc(src, args["database"], s))
    problems = db.compare_tables(s, t)
    if problems:
        return CheckResult(False, f"database {args['database']} differs between {src.name} and {dst.name}: "
                                  + "; ".join(problems[:10]))
    return CheckResult(True, f"{len(s)} tables, {sum(x.rows for x in s)} rows: counts and digests equal on "
                             f"{src.name} and {dst.name}")


@action("db.remove_dump")
def db_remove_dump(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """The dump directory deleted on both hosts once the restore is verified (its digests stay in the run dir)."""
    from govcloud.runbook.remote import database as db

    removed = [f"{h.name}:{db.remove_dump(h, args['database'])}"
               for h in (endpoint(args["inventory"], args["source"]), endpoint(args["inventory"], args["target"]))]
    ctx.note(f"removed {', '.join(removed)}")
    return ActionResult({"removed": removed})


@check("db.dump_removed")
def db_dump_removed(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    from govcloud.runbook.remote import database as db

    hosts = [endpoint(args["inventory"], args["source"]), endpoint(args["inventory"], args["target"])]
    left = [h.name for h in hosts if db.dump_present(h, args["database"])]
    if left:
        return CheckResult(False, f"{db.DUMP_ROOT}/{args['database']} still on {', '.join(left)}")
    return CheckResult(True, f"no dump of {args['database']} left on {', '.join(h.name for h in hosts)}")
