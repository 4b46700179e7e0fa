"""Per host: present, absent or extra; its flavor; each contracted add-on installed and active.

Hosts come from the instances of the declared and deployed states (through the mapping's
``HostRecord``); add-on state comes from the harden evidence. Without ``--evidence`` add-ons are not checked (the report says so);
with it, a host the evidence does not cover has its add-ons ``unverifiable``, never ``ok``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Protocol

from govcloud.checks.findings import Finding
from govcloud.hosts.addons import AddonState
from govcloud.ledger.counting import HostRecord

ADDON_CLAUSE = "article-2"


class HostEvidence(Protocol):
    """The harden evidence as the host checks read it."""

    def has_host(self, name: str) -> bool: ...

    def addon_state(self, host: str, addon: str) -> AddonState: ...

    def failed_controls(self, host: str) -> list[tuple[str, str, str]]: ...  # (control id, line item, reason)


@dataclass(frozen=True)
class HostResult:
    name: str
    presence: str  # present | absent | extra
    flavor_declared: str
    flavor_deployed: str
    addons: Mapping[str, str] = field(default_factory=dict)  # add-on item -> ok | missing | inactive | unverifiable
    findings: tuple[Finding, ...] = ()

    @property
    def status(self) -> str:
        return "ok" if not self.findings else self.findings[0].kind


def check_hosts(declared: list[HostRecord], deployed: list[HostRecord], urns: Mapping[str, str],
                evidence: HostEvidence | None) -> list[HostResult]:
    """One result per host named in either state."""
    dec = {h.name: h for h in declared}
    dep = {h.name: h for h in deployed}
    results = []
    for name in sorted(dec.keys() | dep.keys()):
        d, p = dec.get(name), dep.get(name)
        subject = name
        found: list[Finding] = []
        addons: dict[str, str] = {}
        if p is None:
            assert d is not None
            found.append(Finding("missing", "vcpu", "article-2", subject, "host deployed", "absent",
                                 f"host {name} is declared but not deployed"))
            for addon in d.addons:
                addons[addon] = "missing"
                found.append(Finding("addon-missing", addon, ADDON_CLAUSE, subject, "add-on on a deployed host",
                                     "host absent", f"host {name} is absent, so its {addon} is not delivered"))
            results.append(HostResult(name, "absent", d.flavor, "", addons, tuple(found)))
            continue
        if d is None:
            found.append(Finding("unmanaged", "vcpu", "article-2", subject, "declared by the program",
                                 f"{p.flavor} ({p.vcpus} vCPU, {p.ram_gb} GB)",
                                 f"host {name} is deployed but the program does not declare it"))
        elif d.flavor != p.flavor:
            found.append(Finding("drift", "vcpu", "article-2", subject, d.flavor, p.flavor,
                                 f"host {name} runs flavor {p.flavor}, declared {d.flavor}"))
        wanted = (d or p).addons if evidence is not None else ()
        for addon in wanted:
            if not evidence.has_host(name):  # type: ignore[union-attr]
                addons[addon] = "unverifiable"
                found.append(Finding("unverifiable", addon, ADDON_CLAUSE, subject, "installed and active",
                                     "no host evidence", f"host {name}: no harden evidence for this host, "
                                     f"so {addon} is not measured"))
                continue
            st = evidence.addon_state(name, addon)  # type: ignore[union-attr]
            if st.installed is None or st.active is None:
                addons[addon] = "unverifiable"
                found.append(Finding("unverifiable", addon, ADDON_CLAUSE, subject, "installed and active",
                                     st.detail or "not measured", f"host {name}: {addon} not measured ({st.detail})"))
            elif not st.installed:
                addons[addon] = "missing"
                found.append(Finding("addon-missing", addon, ADDON_CLAUSE, subject, "installed", "not installed",
                                     f"host {name}: {addon} is not installed ({st.detail})"))
            elif not st.active:
                addons[addon] = "inactive"
                found.append(Finding("addon-inactive", addon, ADDON_CLAUSE, subject, "active", "inactive",
                                     f"host {name}: {addon} is installed but not active ({st.detail})"))
            else:
                addons[addon] = "ok"
        if evidence is not None and evidence.has_host(name):
            for control, item, reason in evidence.failed_controls(name):
                found.append(Finding("control-failed", item, "article-6", f"{name}#{control}", "pass", "fail",
                                     f"host {name}: 等保 control {control} failed ({reason})"))
        results.append(HostResult(name, "extra" if d is None else "present", d.flavor if d else "", p.flavor,
                                  addons, tuple(found)))
    return results
