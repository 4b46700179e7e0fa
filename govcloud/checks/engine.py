"""``govcloud check``: contract (on a date, amendments applied) ⇄ declared ⇄ deployed.

Data flows one way: the contract and the two states go in, findings come out; writers
(``govcloud.checks.writers``) only format them. Exit codes as ``terraform plan
-detailed-exitcode``: 0 compliant and no drift, 2 findings, 1 error.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from govcloud.checks.findings import Finding
from govcloud.checks.hosts import HostEvidence, HostResult, check_hosts
from govcloud.checks.ignore import IgnoreFile, Ignored, apply_ignore
from govcloud.checks.quantities import ItemResult, compare_items, count
from govcloud.checks.resources import Coverage, compare_resources
from govcloud.state.export import Deployment

EXIT_OK, EXIT_ERROR, EXIT_FINDINGS = 0, 1, 2


@dataclass(frozen=True)
class CheckReport:
    stack: str
    contract: str
    on: date
    items: tuple[ItemResult, ...]
    hosts: tuple[HostResult, ...]
    coverage: Coverage
    findings: tuple[Finding, ...]
    ignored: tuple[Ignored, ...]
    sources: Mapping[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return EXIT_FINDINGS if self.findings else EXIT_OK


def _pending(dep: Deployment) -> list[Finding]:
    return [Finding("pending-operation", "state", "article-2", op.urn, "no pending operations",
                    f"{op.type} {op.resource_type}",
                    f"{dep.source}: pending operation '{op.type}' on {op.urn}: an interrupted `pulumi up`; "
                    "the state cannot be trusted until `pulumi refresh` resolves it")
            for op in dep.pending_operations]


def run_check(stack: str, contract_number: str, contracted: Mapping[str, Any], on: date, declared: Deployment,
              deployed: Deployment, evidence: HostEvidence | None = None, ignore: IgnoreFile | None = None,
              sources: Mapping[str, str] | None = None) -> CheckReport:
    """Compare, collect findings, apply the ignore file."""
    start = time.perf_counter()
    dec_tally, dep_tally = count(declared, "declared"), count(deployed, "deployed")
    host_urns = {r.name: r.urn for r in deployed.resources if r.type.endswith("instance:Instance")}
    items, item_findings = compare_items(contracted, dec_tally, dep_tally, {})
    coverage, resource_findings = compare_resources(declared, deployed, dec_tally, dep_tally)
    hosts = check_hosts(dec_tally.hosts, dep_tally.hosts, host_urns, evidence)
    findings: list[Finding] = _pending(deployed) + item_findings + resource_findings
    for h in hosts:
        findings.extend(h.findings)
    kept, ignored = apply_ignore(findings, ignore, on)
    return CheckReport(stack, contract_number, on, tuple(items), tuple(hosts), coverage, tuple(kept), tuple(ignored),
                       dict(sources or {}), time.perf_counter() - start)
