"""What the harden evidence says, as the rows of the verify-hosts report: per host its facts and the
tally of its control results, per control of the map each host's result. Data only, no judgement:
the findings (and the add-on words) are the registered host checks' (govcloud.checks.rules.hosts),
assembled by govcloud.checks.hostreport.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from .controls import ControlMap
from .evidence import Evidence

#: a control of the map with no result in the evidence for a host (results are the evidence schema's words)
NO_RESULT = "missing"
#: the results whose reason a clause row carries
WITH_REASON = ("fail", "waived", "not_run")


def host_rows(ev: Evidence) -> list[dict]:
    """Per host of the evidence (by name): reachable, facts, the tally of its control results, tasks changed."""
    rows = []
    for name in sorted(ev.hosts):
        h = ev.hosts[name]
        facts = h.get("facts") or {}
        os_ = facts.get("os") or {}
        rows.append({
            "host": name, "reachable": h["reachable"],
            "virtualization": (facts.get("virtualization") or {}).get("type"),
            "os": " ".join(str(x) for x in (os_.get("distribution"), os_.get("version")) if x),
            "vcpus": facts.get("vcpus"), "memory_mb": facts.get("memory_mb"),
            "results": dict(sorted(Counter(c["result"] for c in h["controls"].values()).items())),
            "changed": h["stats"]["changed"],
        })
    return rows


def clause_rows(ev: Evidence, cmap: ControlMap) -> list[dict]:
    """Per control of the map, in its order: what it is and each host's result (``missing``: none), with
    the reason of each failed, waived or not run result."""
    names = sorted(ev.hosts)
    rows = []
    for c in cmap.controls:
        results = {n: ev.hosts[n]["controls"].get(c.id, {}).get("result", NO_RESULT) for n in names}
        reasons = {n: ev.hosts[n]["controls"][c.id].get("reason", "") for n in names if results[n] in WITH_REASON}
        rows.append({"id": c.id, "clause_zh": c.clause_zh, "title": c.title, "status": c.status,
                     "line_item": c.line_item, "results": results, "reasons": reasons})
    return rows


def map_changed(ev: Evidence, cmap: ControlMap) -> str | None:
    """A warning when the control map file is not the one the evidence was written with."""
    if ev.doc["control_map"]["sha256"] != hashlib.sha256(cmap.path.read_bytes()).hexdigest():
        return f"{cmap.path} changed since the evidence was written; results follow the evidence"
    return None
