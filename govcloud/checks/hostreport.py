"""``govcloud verify-hosts``: the harden evidence judged by the registered host checks alone (stage
``host``: add-ons, controls), with what the evidence says per host and per control of the map.

The findings are the ones ``check --evidence`` reports for the same evidence (same checks, same
``Finding``, same JSON); the add-on words are ``AddonStatus``. Exit codes (as ``terraform plan
-detailed-exitcode``): 0 every control passed or is waived/manual/not applicable and every add-on is
installed and active; 2 a finding (a control failed or has no result; an add-on missing, inactive or
not measured); 1 error (bad input). JSON: ``schemas/verify-hosts.schema.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govcloud.checks.causes import order
from govcloud.checks.findings import Finding
from govcloud.checks.hosts import AddonStatus, EvidenceView, evidence_hosts
from govcloud.checks.registry import of_stage
from govcloud.checks.writers import finding_json
from govcloud.exitcodes import EXIT_FINDINGS, EXIT_OK
from govcloud.hosts.controls import ControlMap
from govcloud.hosts.evidence import Evidence
from govcloud.hosts.report import clause_rows, host_rows, map_changed
from govcloud.schemas import check_output

if TYPE_CHECKING:
    from rich.console import Console

SCHEMA = "verify-hosts.schema.json"


@dataclass(frozen=True)
class HostsReport:
    evidence: str
    mode: str  # the harden run's: apply | check
    hosts: tuple[dict, ...]  # host rows (govcloud.hosts.report) with each add-on's status
    clauses: tuple[dict, ...]  # per control of the map, each host's result
    findings: tuple[Finding, ...]  # the host checks', most severe first
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def exit_code(self) -> int:
        return EXIT_FINDINGS if self.findings else EXIT_OK


def verify_hosts(ev: Evidence, cmap: ControlMap) -> HostsReport:
    """Run every ``host`` check over the hosts of the evidence; every control of ``cmap`` must have a result."""
    hosts = evidence_hosts(ev)
    view = EvidenceView(hosts, ev, {c.id: c.line_item for c in cmap.controls})
    findings = order([f for c in of_stage("host") for f in c.run(view)])
    addons = {h.name: h.addons for h in hosts}
    rows = tuple({**r, "addons": {a: str(s) for a, s in addons[r["host"]].items()}} for r in host_rows(ev))
    warning = map_changed(ev, cmap)
    return HostsReport(str(ev.path), ev.mode, rows, tuple(clause_rows(ev, cmap)), tuple(findings),
                       (warning,) if warning else ())


def to_json(rep: HostsReport) -> dict[str, Any]:
    """The report as ``schemas/verify-hosts.schema.json`` says (checked before it is returned)."""
    out = {"evidence": rep.evidence, "mode": rep.mode, "verdict": "fail" if rep.findings else "pass",
           "exit_code": rep.exit_code, "hosts": list(rep.hosts), "clauses": list(rep.clauses),
           "findings": [finding_json(f) for f in rep.findings], "warnings": list(rep.warnings)}
    check_output(out, SCHEMA)
    return out


def write_json(rep: HostsReport) -> str:
    return json.dumps(to_json(rep), indent=2, ensure_ascii=False)


_STYLE = {"pass": "green", "fail": "bold red", "waived": "cyan", "manual": "magenta", "not_run": "yellow",
          "not_applicable": "dim", "missing": "bold red"}
_SHORT = {"pass": "pass", "fail": "FAIL", "waived": "waived", "manual": "manual", "not_run": "not run",
          "not_applicable": "n/a", "missing": "MISSING"}


def print_table(rep: HostsReport, console: "Console") -> None:
    """Two rich tables (hosts, controls), then the findings."""
    from rich.table import Table  # only the table format needs rich
    from rich.text import Text

    ht = Table(title=f"hosts — evidence {rep.evidence} ({rep.mode})")
    for col in ("host", "reachable", "virt", "OS", "vCPU", "mem MB", "pass", "fail", "waived", "other", "add-ons"):
        ht.add_column(col)
    for h in rep.hosts:
        r = h["results"]
        other = sum(v for k, v in r.items() if k not in ("pass", "fail", "waived"))
        bad = {a: s for a, s in h["addons"].items() if s != AddonStatus.OK}
        ht.add_row(h["host"], "yes" if h["reachable"] else Text("NO", "bold red"), str(h["virtualization"]),
                   h["os"], str(h["vcpus"]), str(h["memory_mb"]), str(r.get("pass", 0)),
                   Text(str(r.get("fail", 0)), "bold red" if r.get("fail") else ""), str(r.get("waived", 0)),
                   str(other), Text(", ".join(f"{a}: {s}" for a, s in bad.items()) or f"all {len(h['addons'])} ok",
                                    "bold red" if bad else "green"))
    console.print(ht)
    hosts = [h["host"] for h in rep.hosts]
    ct = Table(title="controls (GB/T 22239-2019 8.1.4 and contract add-ons)")
    ct.add_column("control")
    ct.add_column("clause")
    ct.add_column("status")
    for n in hosts:
        ct.add_column(n)
    for c in rep.clauses:
        ct.add_row(c["id"], c["clause_zh"], c["status"],
                   *(Text(_SHORT.get(c["results"][n], c["results"][n]), _STYLE.get(c["results"][n], ""))
                     for n in hosts))
    console.print(ct)
    for w in rep.warnings:
        console.print(Text(f"warning: {w}", "yellow"))
    if rep.findings:
        console.print(Text(f"{len(rep.findings)} finding(s):", "bold red"))
        for f in rep.findings:
            console.print(Text(f"  {f.severity}  {f.check}  {f.subject} [{f.item}, {f.clause}]: {f.message}"))
    else:
        console.print(Text("compliant: every control passed or is waived/manual/not applicable; "
                           "every add-on installed and active", "green"))
