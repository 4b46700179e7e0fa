"""`govcloud harden`: run site.yml (+ the evidence play) in one ansible-runner run, write evidence."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from govcloud.paths import PROJECT_ROOT

from .addons import ADDON_UNITS
from .builder import build_evidence
from .controls import DEFAULT_CONTROL_MAP, load_control_map
from .errors import HardenError
from .evidence import write_evidence
from .inventory import write_stack_inventory
from .progress import Progress
from .runner import EVIDENCE_PLAYBOOK, PLAYBOOKS_DIR, run_playbooks

RUNS_DIR = PROJECT_ROOT / "runs"
SITE_PLAYBOOK = PLAYBOOKS_DIR / "site.yml"


@dataclass(frozen=True)
class HardenOutcome:
    evidence: dict
    evidence_path: Path
    run_dir: Path
    rc: int

    @property
    def failed_controls(self) -> dict[str, list[str]]:
        return {h: [c for c, r in v["controls"].items() if r["result"] == "fail"]
                for h, v in self.evidence["hosts"].items()}

    @property
    def changed(self) -> dict[str, int]:
        return {h: v["stats"]["changed"] for h, v in self.evidence["hosts"].items()}

    @property
    def exit_code(self) -> int:
        """0 clean; 2 a control failed (apply: task failed; check: would change) or a host failed; 1 never here."""
        bad = any(self.failed_controls.values()) or any(
            v["stats"]["failed"] or v["stats"]["unreachable"] for v in self.evidence["hosts"].values())
        return 2 if bad or self.rc not in (0,) else 0


def harden(
    *,
    inventory: Path | None = None,
    stack: str | None = None,
    check: bool = False,
    limit: str | None = None,
    tags: list[str] | None = None,
    playbooks: list[Path] | None = None,
    run_dir: Path | None = None,
    evidence_out: Path | None = None,
    control_map: Path = DEFAULT_CONTROL_MAP,
    console: Console | None = None,
    verbose: bool = False,
    forks: int = 10,
) -> HardenOutcome:
    """Harden (or `check`) the hosts of `inventory` or of `stack`'s outputs and write the evidence."""
    console = console or Console(stderr=True)
    cmap = load_control_map(control_map)
    label = stack or (inventory.stem if inventory else "hosts")
    run_dir = run_dir or RUNS_DIR / f"harden-{label}-{time.strftime('%Y%m%d-%H%M%S')}-{'check' if check else 'apply'}"
    host_addons = None
    if inventory is None:
        if not stack:
            raise HardenError("harden: give --stack NAME or --inventory FILE")
        inventory, host_addons = write_stack_inventory(stack, RUNS_DIR / "inventories")
    playbooks = [*(playbooks or [SITE_PLAYBOOK]), EVIDENCE_PLAYBOOK]
    filters = (f" --limit {limit}" if limit else "") + (" --tags " + ",".join(tags) if tags else "")
    console.print(f"harden{' (check mode)' if check else ''}: {', '.join(p.name for p in playbooks)} on "
                  f"{inventory}{filters}; run dir {run_dir}")
    # the evidence play asks systemd about the add-on units only (systemd_facts names:)
    result = run_playbooks(playbooks, inventory, run_dir, check=check, limit=limit, tags=tags or (),
                           extravars={"govcloud_evidence_units": list(ADDON_UNITS)}, forks=forks,
                           on_event=Progress(console, check=check, verbose=verbose))
    doc = build_evidence(result, cmap, inventory=str(inventory), stack=stack, limit=limit, tags=tags,
                         host_addons=host_addons)
    path = write_evidence(doc, evidence_out or run_dir / "evidence.json")
    console.print(f"evidence: {path} ({len(doc['hosts'])} hosts, ansible rc {result.rc}, {result.seconds} s); "
                  f"raw events: {result.events_file}")
    return HardenOutcome(doc, path, run_dir, result.rc)
