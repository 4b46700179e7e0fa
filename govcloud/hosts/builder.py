"""Turn one run's event stream into evidence: per host facts, add-on state, per control results.

A control's result on a host (task names are "<control id> | <what>"):
  pass        its tasks ran ok/changed (apply) — or all ok, nothing would change (check)
  fail        a task failed, the host was unreachable, or (check) a task would change
  waived      status waived in the map, a waiver task ran ("<id> | waived: ..."), or
              kernel_bound on a host sharing the machine's kernel (container/chroot)
  manual      status manual: organisational evidence, nothing to run on the host
  not_run     no task ran: filtered out by --tags/--limit, or all its tasks skipped
  not_applicable  the host did not buy the control's line item (e.g. db_audit on an app host)

Evidence version 2 keeps one lean record per host and control — result, reason, the non-zero task
tally and, for a failure only, the failed (or would-change) tasks, at most ``MAX_DETAILS`` of them with
messages cut to ``MAX_MSG`` characters. What a control is (line item, clause, title, status, kernel-bound)
is written once, in ``control_map.controls``, not repeated on every host; the task-by-task record of a
run stays in the raw event log (``run.events_file``). At 2,000 hosts this keeps the file a reader can
load and schema-check in well under a second (benchmarks/check.py).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field

from govcloud import __version__

from .addons import ADDONS, DEFAULT_ADDONS, SHARED_KERNEL, evaluate
from .controls import Control, ControlMap
from .runner import RunResult

SCHEMA_ID = "https://govcloud.example/schemas/harden-evidence.schema.json"
TASK_RE = re.compile(r"^\s*(?P<id>[0-9][0-9.]*[a-z]?|addon\.[a-z0-9_.]+|evidence)\s*\|\s*(?P<what>.*)$")
EVIDENCE_VERSION = 2
MAX_DETAILS = 10  # failed or would-change tasks kept per failed control
MAX_MSG = 300  # characters of a task message kept in the evidence
_OUTCOME = {"runner_on_ok": "ok", "runner_on_failed": "failed", "runner_on_skipped": "skipped",
            "runner_on_unreachable": "unreachable"}


@dataclass
class TaskOutcome:
    task: str
    outcome: str  # ok | changed | failed | skipped | unreachable | ignored
    msg: str = ""


@dataclass
class HostEvents:
    """Everything the run said about one host."""

    tasks: dict[str, list[TaskOutcome]] = field(default_factory=lambda: defaultdict(list))
    waivers: dict[str, str] = field(default_factory=dict)
    unmapped: list[TaskOutcome] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    gathered: dict = field(default_factory=dict)  # a play's own fact gathering (used when it has the hardware facts)
    packages: dict | None = None
    services: dict | None = None
    meta: dict | None = None
    unreachable: str = ""


def _msg(res: dict) -> str:
    m = res.get("msg") or res.get("stderr") or res.get("reason") or ""
    return " ".join(str(m).split())[:500]


def collect(events: list[dict], control_ids: set[str]) -> dict[str, HostEvents]:
    """Group task results by host and control id."""
    hosts: dict[str, HostEvents] = defaultdict(HostEvents)
    for ev in events:
        kind = ev.get("event")
        if kind not in _OUTCOME:
            continue
        data = ev.get("event_data") or {}
        host, task = data.get("host"), str(data.get("task") or "")
        if not host:
            continue
        res = data.get("res") or {}
        outcome = _OUTCOME[kind]
        if outcome == "ok" and res.get("changed"):
            outcome = "changed"
        if outcome == "failed" and data.get("ignore_errors"):
            outcome = "ignored"
        he = hosts[host]
        if outcome == "unreachable":
            he.unreachable = _msg(res) or "unreachable"
        if task == "Gathering Facts" and outcome == "ok" and (res.get("ansible_facts") or {}).get("ansible_devices"):
            he.gathered = res["ansible_facts"]
            continue
        m = TASK_RE.match(task)
        cid = m.group("id") if m else None
        if cid == "evidence":
            if outcome in ("ok", "changed"):
                facts = res.get("ansible_facts") or {}
                if "packages" in facts:
                    he.packages = facts["packages"]
                elif "services" in facts:
                    he.services = facts["services"]
                elif facts:
                    he.facts = facts
                elif isinstance(res.get("msg"), dict):
                    he.meta = res["msg"]
            continue
        if cid is None or cid not in control_ids:
            he.unmapped.append(TaskOutcome(task, outcome, _msg(res)))
            continue
        msg = res.get("msg")
        is_waiver = (m is not None and m.group("what").lower().startswith("waived")) or (
            isinstance(msg, dict) and msg.get("status") == "waived")
        if is_waiver:
            if outcome == "ok":
                he.waivers[cid] = str(msg.get("reason")) if isinstance(msg, dict) and msg.get("reason") else task
            continue
        he.tasks[cid].append(TaskOutcome(task, outcome, _msg(res)))
    for he in hosts.values():
        # evidence.yml skips its own setup when a play already gathered the hardware facts
        if not he.facts and he.gathered:
            he.facts = he.gathered
    return dict(hosts)


def _facts(f: dict) -> dict:
    disks = []
    for name, dev in sorted((f.get("ansible_devices") or {}).items()):
        if name.startswith(("loop", "ram", "zram", "sr")):
            continue
        sectors, size = dev.get("sectors"), dev.get("sectorsize")
        gb = round(int(sectors) * int(size) / 1024**3, 1) if str(sectors).isdigit() and str(size).isdigit() else None
        disks.append({"device": name, "size_gb": gb})
    return {
        "vcpus": f.get("ansible_processor_vcpus"),
        "memory_mb": f.get("ansible_memtotal_mb"),
        "disks": disks,
        "mounts": [{"mount": m.get("mount"), "fstype": m.get("fstype"),
                    "size_gb": round((m.get("size_total") or 0) / 1024**3, 1)}
                   for m in (f.get("ansible_mounts") or []) if m.get("mount") == "/"],
        "os": {"distribution": f.get("ansible_distribution"),
               "version": str(f.get("ansible_distribution_major_version") or ""),
               "release": f.get("ansible_distribution_release"), "kernel": f.get("ansible_kernel")},
        "virtualization": {"type": f.get("ansible_virtualization_type") or "unknown",
                           "role": f.get("ansible_virtualization_role") or "unknown",
                           "tech_guest": list(f.get("ansible_virtualization_tech_guest") or [])},
        "hostname": f.get("ansible_hostname"),
    }


def _control_result(c: Control, he: HostEvents, check: bool, virt: str, addons: list[str],
                    is_lab: bool) -> dict:
    """The lean per-host record of one control: result, reason, task tally; failed tasks on a failure."""
    tasks = he.tasks.get(c.id, [])
    tally = {k: n for k in ("ok", "changed", "failed", "skipped", "ignored")
             if (n := sum(1 for t in tasks if t.outcome == k))}
    n_ok, n_changed = tally.get("ok", 0), tally.get("changed", 0)

    def out(result: str, reason: str, details: list[dict] | None = None) -> dict:
        rec = {"result": result, "reason": reason, "tasks": tally}
        if details:
            rec["details"] = [{**d, "msg": d["msg"][:MAX_MSG]} for d in details[:MAX_DETAILS]]
            if len(details) > MAX_DETAILS:
                rec["details_omitted"] = len(details) - MAX_DETAILS
        return rec

    failed = [{"task": t.task, "outcome": t.outcome, "msg": t.msg} for t in tasks if t.outcome == "failed"]
    changed = [{"task": t.task, "outcome": "would change", "msg": t.msg} for t in tasks if t.outcome == "changed"]
    if c.line_item not in addons or (c.scope == "lab" and not is_lab):
        if not tasks:
            return out("not_applicable", f"host did not buy {c.line_item}" if c.line_item not in addons
                       else "lab-only control on a non-lab host")
    if c.status == "waived":
        return out("waived", c.reason or "waived in the control map")
    if he.unreachable:
        return out("fail", f"host unreachable: {he.unreachable}")
    if failed:
        return out("fail", f"{len(failed)} task(s) failed: " + "; ".join(f"{d['task']}: {d['msg']}" for d in failed)[:800],
                   failed)
    if c.id in he.waivers:
        return out("waived", he.waivers[c.id])
    if c.kernel_bound and virt in SHARED_KERNEL:
        return out("waived", f"kernel-bound control on a {virt} host (shares the machine's kernel): {c.reason}")
    if check and changed:
        return out("fail", "check mode: would change " + "; ".join(d["task"] for d in changed)[:800], changed)
    if n_ok or n_changed:
        what = "nothing would change" if check else f"{n_ok} ok, {n_changed} changed"
        return out("pass", f"{n_ok + n_changed} task(s) ran: {what}")
    if tasks:
        return out("not_run", f"all {len(tasks)} task(s) skipped (toggle off or condition false)")
    if c.status == "manual":
        return out("manual", c.reason or "organisational evidence, not checked on the host")
    return out("not_run", "no task of this control ran on this host (filtered by --tags/--limit, "
                          "or its role is not applied to the host's groups)")


def control_catalogue(cmap: ControlMap) -> dict[str, dict]:
    """What each control is, written once per evidence file (``control_map.controls``)."""
    return {c.id: {"line_item": c.line_item, "clause_zh": c.clause_zh, "title": c.title, "status": c.status,
                   "kernel_bound": c.kernel_bound} for c in cmap.controls}


def _apply_covered_by(controls: dict[str, dict], cmap: ControlMap) -> None:
    """A control with no tasks of its own takes the results of the controls that cover it."""
    for c in cmap.controls:
        r = controls.get(c.id)
        if not r or not c.covered_by or r["result"] not in ("not_run", "manual"):
            continue
        deps = [controls[d]["result"] for d in c.covered_by if d in controls]
        if not deps:
            continue
        if "fail" in deps:
            r["result"] = "fail"
        elif all(d in ("pass", "waived") for d in deps):
            r["result"] = "pass" if "pass" in deps else "waived"
        else:
            continue
        r["reason"] = f"covered by {', '.join(c.covered_by)}: {', '.join(deps)}" + (
            f" (status {c.status}: {c.reason})" if c.status != "automated" else "")


def build_evidence(result: RunResult, cmap: ControlMap, *, inventory: str, stack: str | None = None,
                   limit: str | None = None, tags: list[str] | None = None,
                   host_addons: dict[str, list[str]] | None = None, contract: str = "2025095") -> dict:
    """The evidence document (schemas/harden-evidence.schema.json) of one run."""
    ids = set(cmap.ids)
    by_host = collect(result.events, ids)
    stats = next((e.get("event_data") or {} for e in result.events if e.get("event") == "playbook_on_stats"), {})
    hosts: dict[str, dict] = {}
    for name in sorted(by_host):
        he = by_host[name]
        facts = _facts(he.facts) if he.facts else None
        virt = (facts or {}).get("virtualization", {}).get("type", "unknown")
        meta = he.meta or {}
        groups = sorted(meta.get("groups") or [])
        if host_addons and name in host_addons:
            addons, source = sorted(host_addons[name]), "stack"
        elif meta.get("addons"):
            addons, source = sorted(meta["addons"]), "inventory"
        else:
            addons = sorted(set(DEFAULT_ADDONS) | ({"db_audit"} if "db" in groups else set()))
            source = "default"
        pkgs = None if he.packages is None else {
            p: (he.packages.get(p) or [{}])[0].get("version") if p in he.packages else None
            for spec in ADDONS.values() for p in spec.packages}
        svcs = None if he.services is None else {
            s: {"state": he.services[s].get("state"), "status": he.services[s].get("status")}
            if s in he.services else {"state": "absent", "status": "absent"}
            for spec in ADDONS.values() for s in spec.services}
        os_id = ((facts or {}).get("os", {}).get("distribution") or "", (facts or {}).get("os", {}).get("version") or "")
        addon_state = {}
        for a in addons:
            spec = ADDONS.get(a)
            if spec is None:
                addon_state[a] = {"installed": None, "active": None, "detail": "no package/service map for this line item"}
            elif pkgs is None or svcs is None or facts is None:
                addon_state[a] = {"installed": None, "active": None,
                                  "detail": "package/service facts not gathered (host unreachable or evidence play failed)"}
            else:
                st = evaluate(spec, {p: v for p, v in pkgs.items()}, svcs, virt, os_id)
                addon_state[a] = {"installed": st.installed, "active": st.active, "detail": st.detail}
        controls = {c.id: _control_result(c, he, result.check, virt, addons, "lab" in groups) for c in cmap.controls}
        _apply_covered_by(controls, cmap)
        hosts[name] = {
            "reachable": not he.unreachable,
            "groups": groups,
            "addons": addons,
            "addons_source": source,
            "facts": facts,
            "packages": pkgs,
            "services": svcs,
            "addon_state": addon_state,
            "stats": {k: int((stats.get(src) or {}).get(name, 0)) for k, src in
                      (("ok", "ok"), ("changed", "changed"), ("failed", "failures"), ("unreachable", "dark"),
                       ("skipped", "skipped"), ("rescued", "rescued"), ("ignored", "ignored"))},
            "controls": controls,
            "unmapped_tasks": [{"task": t.task, "outcome": t.outcome, "msg": t.msg[:MAX_MSG]}
                               for t in he.unmapped if t.outcome in ("failed", "changed")],
        }
    return {
        "$schema": SCHEMA_ID,
        "kind": "govcloud/harden-evidence",
        "version": EVIDENCE_VERSION,
        "contract": contract,
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "generator": f"govcloud {__version__}",
        "run": {
            "mode": "check" if result.check else "apply",
            "stack": stack, "inventory": inventory, "limit": limit, "tags": list(tags or []),
            "started": result.started, "finished": result.finished, "seconds": result.seconds,
            "rc": result.rc, "status": result.status, "run_dir": str(result.run_dir),
            "events_file": str(result.events_file), "command": result.command,
        },
        "control_map": {"path": str(cmap.path),
                        "sha256": hashlib.sha256(cmap.path.read_bytes()).hexdigest(),
                        "controls": control_catalogue(cmap)},
        "hosts": hosts,
    }
