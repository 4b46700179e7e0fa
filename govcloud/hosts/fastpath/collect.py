"""`govcloud harden --verify-only`: the evidence of a check-mode harden run, one probe per host.

Load the playbooks and the inventory once (plays.py), compile each host's request (engine.py), probe
every host at once over SSH with bounded concurrency (transport.py), evaluate the answers in check-mode
semantics and hand the events to the builder a real run uses (builder.py). The evidence says
``run.method: probe``; its mode is ``check``: readers judge it as they judge `harden --check`.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from ..addons import ADDON_UNITS
from ..builder import build_evidence
from ..controls import DEFAULT_CONTROL_MAP, load_control_map
from ..errors import HardenError
from ..evidence import write_evidence
from ..harden import RUNS_DIR, SITE_PLAYBOOK, HardenOutcome
from ..inventory import write_stack_inventory
from ..runner import EVIDENCE_PLAYBOOK, PLAYBOOKS_DIR, RunResult, group_vars_source

DEFAULT_CONCURRENCY = 20
CONNECTION_VARS = ("ansible_host", "ansible_port", "ansible_user", "ansible_ssh_private_key_file",
                   "ansible_ssh_common_args", "ansible_ssh_extra_args", "ansible_become", "ansible_become_user",
                   "ansible_connection", "ansible_python_interpreter")
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Figures:
    """Where the time went, printed at the end of a run."""

    hosts: int
    load_s: float
    compile_s: float
    probe_s: float
    evaluate_s: float


def target_of(name: str, hv: dict[str, Any], templar: Any) -> Any:
    """The SSH target of a host from its inventory variables (as the ssh connection plugin reads them)."""
    import shlex

    from ansible.module_utils.parsing.convert_bool import boolean

    from .transport import Target

    hv = {k: templar.template(hv[k]) for k in CONNECTION_VARS if k in hv}

    python = hv.get("ansible_python_interpreter") or "/usr/bin/python3"
    if not isinstance(python, str) or not python.startswith("/"):
        python = "/usr/bin/python3"
    return Target(name=name, address=str(hv.get("ansible_host") or name), port=int(hv.get("ansible_port") or 22),
                  user=str(hv.get("ansible_user") or ""), key_file=str(hv.get("ansible_ssh_private_key_file") or ""),
                  ssh_common_args=[*shlex.split(str(hv.get("ansible_ssh_common_args") or "")),
                                   *shlex.split(str(hv.get("ansible_ssh_extra_args") or ""))],
                  become=boolean(hv.get("ansible_become", True), strict=False),
                  become_user=str(hv.get("ansible_become_user") or "root"), python=python,
                  local=hv.get("ansible_connection") == "local")


def verify_only(*, inventory: Path | None = None, stack: str | None = None, limit: str | None = None,
                run_dir: Path | None = None, evidence_out: Path | None = None,
                control_map: Path = DEFAULT_CONTROL_MAP, console: Console | None = None,
                concurrency: int = DEFAULT_CONCURRENCY, timeout: float = DEFAULT_TIMEOUT) -> HardenOutcome:
    """Probe the hosts of ``inventory`` (or of ``stack``'s outputs) and write check-mode evidence."""
    from .engine import Engine
    from .plays import Plays

    console = console or Console(stderr=True)
    cmap = load_control_map(control_map)
    label = stack or (inventory.stem if inventory else "hosts")
    run_dir = run_dir or RUNS_DIR / f"harden-{label}-{time.strftime('%Y%m%d-%H%M%S')}-verify"
    run_dir.mkdir(parents=True, exist_ok=True)
    host_addons = None
    if inventory is None:
        if not stack:
            raise HardenError("harden: give --stack NAME or --inventory FILE")
        inventory, host_addons = write_stack_inventory(stack, RUNS_DIR / "inventories")
    started, t0 = time.strftime("%Y-%m-%dT%H:%M:%S%z"), time.monotonic()
    plays = Plays.load([SITE_PLAYBOOK, EVIDENCE_PLAYBOOK], [str(group_vars_source(run_dir)), str(inventory.resolve())],
                       collections=[str(PLAYBOOKS_DIR / "collections")], roles=[str(PLAYBOOKS_DIR / "roles")],
                       extravars={"govcloud_evidence_units": list(ADDON_UNITS)})
    if limit:
        plays.inventory.subset(limit)  # as --limit does: ansible_play_hosts_all and run_once see these only
    names = [h.name for h in plays.hosts()]
    if not names:
        raise HardenError(f"harden --verify-only: no host of {inventory} matches {limit or 'all'}")
    engine = Engine(plays, list(ADDON_UNITS))
    t1 = time.monotonic()
    requests = {n: engine.request(n) for n in names}
    targets = []
    for n in names:
        hv = plays.variables.get_vars(host=plays.inventory.get_host(n), include_hostvars=False)
        targets.append(target_of(n, hv, plays.templar(hv)))
    t2 = time.monotonic()
    console.print(f"harden --verify-only: {len(names)} host(s) of {inventory}, {concurrency} at a time; "
                  f"run dir {run_dir}")
    answers = asyncio.run(_probe(targets, requests, concurrency, timeout, console))
    t3 = time.monotonic()
    events: list[dict[str, Any]] = []
    stats: dict[str, dict[str, int]] = {}
    manifests: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for n in names:
        got = answers.get(n)
        reason = (got.unreachable or getattr(got, "error", "")) if got is not None else "not probed"
        run = engine.evaluate(n, requests[n], got.answer if got is not None and not reason else None, reason)
        events += run.events
        manifests[n] = run.manifest
        for k, v in run.stats.items():
            stats.setdefault(k, {})[n] = v
    events.append({"event": "playbook_on_stats", "event_data": stats})
    with open(run_dir / "events.jsonl", "w", encoding="utf-8") as fh:  # the evaluated tasks, as a real run logs them
        fh.writelines(json.dumps(e, default=str) + "\n" for e in events)
    # what each host was held to, per control, as the roles rendered it for that host (digests, not contents)
    (run_dir / "manifests.json").write_text(json.dumps(manifests, indent=1, default=str) + "\n", encoding="utf-8")
    t4 = time.monotonic()
    rc = 4 if stats.get("dark") else 2 if stats.get("failures") else 0
    result = RunResult(run_dir=run_dir, rc=rc, status="successful" if rc == 0 else "failed", check=True,
                       events=events, seconds=round(t4 - t0, 1), started=started,
                       finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                       command=["govcloud", "harden", "--verify-only", "--inventory", str(inventory)])
    doc = build_evidence(result, cmap, inventory=str(inventory), stack=stack, limit=limit, tags=None,
                         host_addons=host_addons)
    doc["run"]["method"] = "probe"
    path = write_evidence(doc, evidence_out or run_dir / "evidence.json")
    fig = Figures(len(names), round(t1 - t0, 2), round(t2 - t1, 2), round(t3 - t2, 2), round(t4 - t3, 2))
    console.print(f"evidence: {path} ({len(names)} hosts; load {fig.load_s} s, compile {fig.compile_s} s, "
                  f"probe {fig.probe_s} s, evaluate {fig.evaluate_s} s)")
    return HardenOutcome(doc, path, run_dir, rc)


async def _probe(targets: list[Any], requests: dict[str, dict[str, Any]], concurrency: int, timeout: float,
                 console: Console) -> dict[str, Any]:
    from .transport import probe_hosts

    done = [0]

    def on_done(name: str, got: Any) -> None:
        done[0] += 1
        state = "unreachable: " + got.unreachable if got.unreachable else getattr(got, "error", "") or "read"
        console.print(f"  [{done[0]}/{len(targets)}] {name} {state} ({got.seconds:.1f} s)")

    def request_of(t: Any) -> dict[str, Any]:
        return {k: v for k, v in requests[t.name].items() if k != "unit_names"}

    return await probe_hosts(targets, request_of, concurrency=concurrency, timeout=timeout, on_done=on_done)
