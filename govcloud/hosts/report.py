"""verify-hosts: the compliance table per host and per clause, computed from evidence + control map.

Exit codes (as `terraform plan -detailed-exitcode`): 0 every control passed or is
waived/manual/not applicable and every add-on is installed and active; 2 a control
failed or an add-on is missing, inactive or unmeasured; 1 error (bad input).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .controls import ControlMap
from .evidence import Evidence

EXIT_OK, EXIT_ERROR, EXIT_FINDINGS = 0, 1, 2
_STYLE = {"pass": "green", "fail": "bold red", "waived": "cyan", "manual": "magenta", "not_run": "yellow",
          "not_applicable": "dim", "missing": "bold red"}
_SHORT = {"pass": "pass", "fail": "FAIL", "waived": "waived", "manual": "manual", "not_run": "not run",
          "not_applicable": "n/a", "missing": "MISSING"}


@dataclass(frozen=True)
class Finding:
    host: str
    kind: str  # control-failed | addon-missing | addon-inactive | addon-unmeasured | control-missing
    subject: str  # control id or add-on line item
    line_item: str
    clause: str
    detail: str


@dataclass
class Report:
    evidence: str
    mode: str
    hosts: list[dict] = field(default_factory=list)
    clauses: list[dict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_FINDINGS if self.findings else EXIT_OK

    def to_dict(self) -> dict:
        return {"evidence": self.evidence, "mode": self.mode,
                "verdict": "fail" if self.findings else "pass", "exit_code": self.exit_code,
                "hosts": self.hosts, "clauses": self.clauses,
                "findings": [asdict(f) for f in self.findings], "warnings": self.warnings}


def verify(ev: Evidence, cmap: ControlMap) -> Report:
    """Findings and tables from the evidence, in the order of the control map."""
    rep = Report(str(ev.path), ev.mode)
    if ev.doc["control_map"]["sha256"] != _sha(cmap):
        rep.warnings.append(f"{cmap.path} changed since the evidence was written; results follow the evidence")
    names = sorted(ev.hosts)
    for name in names:
        h = ev.hosts[name]
        counts = Counter(c["result"] for c in h["controls"].values())
        for cid, c in h["controls"].items():
            if c["result"] == "fail":
                rep.findings.append(Finding(name, "control-failed", cid, ev.controls[cid]["line_item"],
                                            "article-6", c["reason"]))
        for c in cmap.controls:
            if c.id not in h["controls"]:
                rep.findings.append(Finding(name, "control-missing", c.id, c.line_item, "article-6",
                                            "control is in the map but not in the evidence (re-run harden)"))
        addon_summary = {}
        for addon, st in sorted(h["addon_state"].items()):
            if st["installed"] is None or st["active"] is None:
                kind, short = "addon-unmeasured", "unmeasured"
            elif not st["installed"]:
                kind, short = "addon-missing", "missing"
            elif not st["active"]:
                kind, short = "addon-inactive", "inactive"
            else:
                kind, short = "", "ok"
            addon_summary[addon] = short
            if kind:
                rep.findings.append(Finding(name, kind, addon, addon, "article-2", st["detail"]))
        facts = h.get("facts") or {}
        rep.hosts.append({
            "host": name, "reachable": h["reachable"],
            "virtualization": (facts.get("virtualization") or {}).get("type"),
            "os": " ".join(str(x) for x in ((facts.get("os") or {}).get("distribution"), (facts.get("os") or {}).get("version")) if x),
            "vcpus": facts.get("vcpus"), "memory_mb": facts.get("memory_mb"),
            "results": dict(sorted(counts.items())), "addons": addon_summary, "changed": h["stats"]["changed"],
        })
    for c in cmap.controls:
        per_host = {n: ev.hosts[n]["controls"].get(c.id, {}).get("result", "missing") for n in names}
        reasons = {n: ev.hosts[n]["controls"].get(c.id, {}).get("reason", "") for n in names
                   if per_host[n] in ("fail", "waived", "not_run")}
        rep.clauses.append({"id": c.id, "clause_zh": c.clause_zh, "title": c.title, "status": c.status,
                            "line_item": c.line_item, "results": per_host, "reasons": reasons})
    return rep


def _sha(cmap: ControlMap) -> str:
    import hashlib

    return hashlib.sha256(cmap.path.read_bytes()).hexdigest()


def render_table(rep: Report, console: Console) -> None:
    """Two rich tables (hosts, clauses), then the findings."""
    ht = Table(title=f"hosts — evidence {rep.evidence} ({rep.mode})")
    for col in ("host", "reachable", "virt", "OS", "vCPU", "mem MB", "pass", "fail", "waived", "other", "add-ons"):
        ht.add_column(col)
    for h in rep.hosts:
        r = h["results"]
        other = sum(v for k, v in r.items() if k not in ("pass", "fail", "waived"))
        bad = {a: s for a, s in h["addons"].items() if s != "ok"}
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
            console.print(f"  {f.host}  {f.kind}  {f.subject} [{f.line_item}, {f.clause}]: {f.detail}")
    else:
        console.print(Text("compliant: every control passed or is waived/manual/not applicable; "
                           "every add-on installed and active", "green"))
