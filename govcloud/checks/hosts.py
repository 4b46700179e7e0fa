"""Per host: present, absent or extra; its flavor; each contracted add-on installed and active.

Hosts come from the instances of the declared and deployed states (through the ledger's
``HostRecord``); add-on state comes from the harden evidence. The findings are the registered
checks' (``govcloud.checks.rules``): an absent, extra or re-flavored host is a resource finding. Without ``--evidence`` add-ons are not checked (the report says so);
with it, a host the evidence does not cover has its add-ons ``unverifiable``, never ``ok``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Protocol

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
    details: Mapping[str, str] = field(default_factory=dict)  # add-on item -> what the evidence says
    status: str = "ok"  # the kind of the first finding on the host, once the checks have run


def addon_state(name: str, addon: str, evidence: HostEvidence) -> tuple[str, str]:
    """One add-on on one present host, from the evidence: (ok | missing | inactive | unverifiable, detail)."""
    if not evidence.has_host(name):
        return "unverifiable", "no harden evidence for this host"
    st = evidence.addon_state(name, addon)
    if st.installed is None or st.active is None:
        return "unverifiable", st.detail or "not measured"
    if not st.installed:
        return "missing", st.detail
    if not st.active:
        return "inactive", st.detail
    return "ok", st.detail


def host_results(declared: list[HostRecord], deployed: list[HostRecord], evidence: HostEvidence | None
                 ) -> list[HostResult]:
    """One result per host named in either state: presence, flavors, and each contracted add-on's state
    (an absent host's add-ons are missing; without evidence, a present host's are not checked)."""
    dec = {h.name: h for h in declared}
    dep = {h.name: h for h in deployed}
    results = []
    for name in sorted(dec.keys() | dep.keys()):
        d, p = dec.get(name), dep.get(name)
        if p is None:
            assert d is not None
            results.append(HostResult(name, "absent", d.flavor, "", {a: "missing" for a in d.addons},
                                      {a: "host absent" for a in d.addons}))
            continue
        addons: dict[str, str] = {}
        details: dict[str, str] = {}
        for addon in ((d or p).addons if evidence is not None else ()):
            addons[addon], details[addon] = addon_state(name, addon, evidence)  # type: ignore[arg-type]
        results.append(HostResult(name, "extra" if d is None else "present", d.flavor if d else "", p.flavor,
                                  addons, details))
    return results
