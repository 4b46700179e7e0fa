"""``govcloud runbook status RUN_DIR``: where a run stands, from its journal alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from govcloud.schemas import check_output

from .journal import VERIFIED, read_journal, step_states

SCHEMA = "runbook-status.schema.json"


def run_status(run_dir: Path) -> dict[str, Any]:
    read = read_journal(run_dir)
    recs = read.records
    starts = [r for r in recs if r["event"] == "run-start"]
    first = starts[0] if starts else {}
    last = starts[-1] if starts else {}
    ends = [r for r in recs if r["event"] == "run-end"]
    states = step_states(recs)
    steps = []
    for s in last.get("steps", []):
        st = states.get(s["id"], {})
        steps.append({"id": s["id"], "title": s["title"], "clause": s["clause"],
                      "state": st.get("state", "pending"), "attempts": st.get("attempts", 0),
                      "skipped_as_verified": st.get("skips", 0), "started": st.get("started"),
                      "ended": st.get("ended"), "seconds": st.get("seconds"),
                      "evidence": [{"path": e["path"], "sha256": e["sha256"]} for e in st.get("evidence", [])],
                      "detail": _short(st.get("detail"))})
    nxt = next((s["id"] for s in steps if s["state"] != VERIFIED), None)
    last_end = ends[-1] if ends and ends[-1]["ts"] >= last.get("ts", "") else None
    if not starts:
        state = "empty"
    elif nxt is None:
        state = "completed"
    elif last_end is None:
        state = "interrupted" if not _alive(last.get("pid")) else "running"
    else:
        state = last_end["result"]
    out = {"run_dir": str(run_dir), "runbook": first.get("runbook", ""), "params": first.get("params", {}),
           "state": state, "attempts": len(starts), "next_step": nxt,
           "verified": sum(1 for s in steps if s["state"] == VERIFIED), "total": len(steps),
           "torn_tail": read.torn_tail, "steps": steps}
    check_output(out, SCHEMA)
    return out


def _short(detail: Any) -> str | None:
    if detail is None:
        return None
    if isinstance(detail, dict):
        for key in ("error", "why", "waiting_for", "verification"):
            if key in detail:
                return str(detail[key])[:300]
    return str(detail)[:300]


def _alive(pid: Any) -> bool:
    import os

    try:
        os.kill(int(pid), 0)
    except (TypeError, ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def render_status(st: dict[str, Any], console: Console) -> None:
    t = Table(title=f"{st['runbook']} {st['params'].get('system', '')}: {st['state']} — "
                    f"{st['verified']}/{st['total']} steps verified" +
                    (f", next: {st['next_step']}" if st["next_step"] else ""))
    for col in ("step", "clause", "state", "attempts", "ended", "seconds", "evidence", "detail"):
        t.add_column(col, overflow="fold")
    colour = {"verified": "green", "failed": "red", "blocked": "red", "unverified": "red", "started": "yellow", "waiting": "yellow"}
    for s in st["steps"]:
        c = colour.get(s["state"], "white")
        t.add_row(s["id"], s["clause"], f"[{c}]{s['state']}[/{c}]", str(s["attempts"]), s["ended"] or "-",
                  "-" if s["seconds"] is None else f"{s['seconds']:.1f}",
                  "\n".join(f"{e['path']} {e['sha256'][:12]}" for e in s["evidence"]) or "-", s["detail"] or "")
    console.print(t)
