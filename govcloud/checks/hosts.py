"""Per host: present, absent or extra; its flavor; each contracted add-on installed and active; each
control of the control map measured and passed. The one owner of the add-on words (``AddonStatus``).

Hosts come from the instances of the declared and deployed states (through the ledger's
``HostRecord``) for ``govcloud check``, or from the harden evidence alone for ``govcloud
verify-hosts`` (``evidence_hosts``); add-on state comes from the harden evidence. The findings are
the registered checks' (``govcloud.checks.rules``): an absent, extra or re-flavored host is a
resource finding; an add-on or a control is a ``host`` check, which reads only a ``HostsView``.
Without evidence add-ons are not checked (the report says so); with it, a host the evidence does
not cover has its add-ons ``unverifiable``, never ``ok``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Collection, Mapping, Protocol

from govcloud.hosts.addons import AddonState
from govcloud.ledger.counting import HostRecord

if TYPE_CHECKING:
    from govcloud.hosts.evidence import Evidence

#: the clause of the per-host add-ons: each is a line item of the contract (article 2; 主机杀毒 … 数据库审计)
ADDON_CLAUSE = "article-2"
#: the clause of the 等保 controls (GB/T 22239-2019 level 3, 8.1.4 安全计算环境) the hardening delivers
CONTROL_CLAUSE = "article-6"


class AddonStatus(StrEnum):
    """One contracted add-on on one host, as every report prints it (``check`` and ``verify-hosts``)."""

    OK = "ok"  # installed and its service running
    MISSING = "missing"  # not installed (or the host is absent)
    INACTIVE = "inactive"  # installed, its service not running
    UNVERIFIABLE = "unverifiable"  # not measured: never ok


def addon_status(st: AddonState) -> AddonStatus:
    """The one judgement of a measured add-on (article 2): unmeasured is never ``ok``."""
    if st.installed is None or st.active is None:
        return AddonStatus.UNVERIFIABLE
    if not st.installed:
        return AddonStatus.MISSING
    if not st.active:
        return AddonStatus.INACTIVE
    return AddonStatus.OK


class HostEvidence(Protocol):
    """The harden evidence as the host checks read it (``govcloud.hosts.evidence.Evidence``)."""

    def has_host(self, name: str) -> bool: ...

    def addon_state(self, host: str, addon: str) -> AddonState: ...

    def failed_controls(self, host: str) -> list[tuple[str, str, str]]: ...  # (control id, line item, reason)

    def measured_controls(self, host: str) -> Collection[str]: ...  # the control ids with a result for the host

    def mapped_controls(self) -> Mapping[str, str]: ...  # control id -> line item, as the run's control map said


@dataclass(frozen=True)
class HostResult:
    name: str
    presence: str  # present | absent | extra
    flavor_declared: str
    flavor_deployed: str
    addons: Mapping[str, AddonStatus] = field(default_factory=dict)  # add-on item -> its status
    details: Mapping[str, str] = field(default_factory=dict)  # add-on item -> what the evidence says
    status: str = "ok"  # the kind of the first finding on the host, once the checks have run


class HostsView(Protocol):
    """What the ``host`` checks read: ``checks.context.Context`` in ``check``, ``EvidenceView`` in
    ``verify-hosts``. ``expected_controls`` (control id -> line item): the controls every host must
    have a result for; None: those of the evidence's own control map."""

    @property
    def hosts(self) -> list[HostResult]: ...

    @property
    def evidence(self) -> HostEvidence | None: ...

    @property
    def expected_controls(self) -> Mapping[str, str] | None: ...


@dataclass(frozen=True)
class EvidenceView:
    """The hosts of the harden evidence alone, for ``verify-hosts``: no contract, no stack state."""

    hosts: list[HostResult]
    evidence: HostEvidence | None
    expected_controls: Mapping[str, str] | None = None


def addon_state(name: str, addon: str, evidence: HostEvidence) -> tuple[AddonStatus, str]:
    """One add-on on one present host, from the evidence: (its status, what the evidence says)."""
    if not evidence.has_host(name):
        return AddonStatus.UNVERIFIABLE, "no harden evidence for this host"
    st = evidence.addon_state(name, addon)
    status = addon_status(st)
    return status, st.detail or ("not measured" if status is AddonStatus.UNVERIFIABLE else "")


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
            results.append(HostResult(name, "absent", d.flavor, "", {a: AddonStatus.MISSING for a in d.addons},
                                      {a: "host absent" for a in d.addons}))
            continue
        addons: dict[str, AddonStatus] = {}
        details: dict[str, str] = {}
        for addon in ((d or p).addons if evidence is not None else ()):
            addons[addon], details[addon] = addon_state(name, addon, evidence)  # type: ignore[arg-type]
        results.append(HostResult(name, "extra" if d is None else "present", d.flavor if d else "", p.flavor,
                                  addons, details))
    return results


def evidence_hosts(ev: "Evidence") -> list[HostResult]:
    """One result per host of the evidence (``verify-hosts``: no stack state), each add-on the evidence
    says the host bought with its status."""
    results = []
    for name in sorted(ev.hosts):
        addons: dict[str, AddonStatus] = {}
        details: dict[str, str] = {}
        for addon in sorted(ev.hosts[name]["addon_state"]):
            addons[addon], details[addon] = addon_state(name, addon, ev)
        results.append(HostResult(name, "present", "", "", addons, details))
    return results
