"""General built-ins: files in the run directory and the journal's own record of earlier steps."""

from __future__ import annotations

from typing import Any

from . import output
from .context import RunContext
from .journal import VERIFIED, read_journal, step_states
from .registry import ActionResult, CheckResult, action, check


@action("file.write")
def write_file(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    """Write ``text`` (or ``json``) to ``path`` in the run directory."""
    text = output.json_text(args["json"]) if "json" in args else str(args.get("text", ""))
    output.write_text(ctx.path(args["path"]), text)
    return ActionResult({"wrote": args["path"], "bytes": len(text.encode())})


@check("file.exists")
def file_exists(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    p = ctx.path(args["path"])
    return CheckResult(p.is_file(), f"{args['path']} {'exists' if p.is_file() else 'is missing'} in the run directory")


@check("step.verified")
def steps_verified(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    """Every step in ``steps`` is verified in this run's journal."""
    wanted = args["steps"] if isinstance(args.get("steps"), list) else [args["steps"]]
    states = step_states(read_journal(ctx.run_dir).records)
    bad = [s for s in wanted if states.get(s, {}).get("state") != VERIFIED]
    if bad:
        return CheckResult(False, f"not verified yet: {', '.join(bad)}")
    return CheckResult(True, f"verified: {', '.join(wanted)}")
