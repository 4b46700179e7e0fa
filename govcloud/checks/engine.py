"""``govcloud check``: contract (on a date, amendments applied) ⇄ declared ⇄ deployed.

Data flows one way: the contract and the two states go in; the registered checks
(``govcloud.checks.registry``) find the causes, the line items' verdicts are attached to the
causes that explain them (``govcloud.checks.causes``), the ignore file is applied; writers
(``govcloud.checks.writers``) only format the report. Exit codes as ``terraform plan
-detailed-exitcode``: 0 compliant and no drift, 2 findings, 1 error.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Mapping

from govcloud.checks.causes import attribute, order
from govcloud.checks.context import Context
from govcloud.checks.findings import Finding
from govcloud.checks.hosts import HostEvidence, HostResult
from govcloud.checks.ignore import Ignored, IgnoreFile, apply_ignore
from govcloud.checks.quantities import ItemResult, count
from govcloud.checks.registry import of_stage
from govcloud.checks.resources import Coverage
from govcloud.exitcodes import EXIT_FINDINGS, EXIT_OK
from govcloud.state.export import Deployment


@dataclass(frozen=True)
class CheckReport:
    stack: str
    contract: str
    on: date
    items: tuple[ItemResult, ...]
    hosts: tuple[HostResult, ...]
    coverage: Coverage
    findings: tuple[Finding, ...]  # one per cause, most severe first
    ignored: tuple[Ignored, ...]
    sources: Mapping[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return EXIT_FINDINGS if self.findings else EXIT_OK

    @property
    def effects(self) -> int:
        return sum(len(f.effects) for f in self.findings)

    def counts(self) -> dict[str, Any]:
        """By cause (findings by kind, severity and check) and by effect (effects per line item, and the
        item verdicts the causes explain)."""
        return {
            "causes": len(self.findings), "effects": self.effects,
            "by_kind": dict(sorted(Counter(f.kind for f in self.findings).items())),
            "by_severity": dict(sorted(Counter(f.severity for f in self.findings).items())),
            "by_check": dict(sorted(Counter(f.check for f in self.findings).items())),
            "effects_by_item": dict(sorted(Counter(e.item for f in self.findings for e in f.effects).items())),
            "verdicts_by_item": dict(sorted(Counter(f"{e.item}:{s}" for f in self.findings for e in f.effects
                                                    for s in e.statuses).items())),
        }


def run_check(stack: str, contract_number: str, contracted: Mapping[str, Any], on: date, declared: Deployment,
              deployed: Deployment, evidence: HostEvidence | None = None, ignore: IgnoreFile | None = None,
              sources: Mapping[str, str] | None = None) -> CheckReport:
    """Run every registered check, attach item verdicts to their causes, apply the ignore file."""
    start = time.perf_counter()
    ctx = Context(contracted, declared, deployed, count(declared, "declared"), count(deployed, "deployed"), evidence)
    causes = [f for c in of_stage("cause", "host") for f in c.run(ctx)]
    verdicts = [f for c in of_stage("item") for f in c.run(ctx)]
    causes, alone = attribute(causes, verdicts, ctx.addon_items)
    findings = order(causes + alone)
    first: dict[str, str] = {}
    for f in findings:
        if f.host:
            first.setdefault(f.host, f.kind)
    hosts = tuple(replace(h, status=first[h.name]) if h.name in first else h for h in ctx.hosts)
    kept, ignored = apply_ignore(findings, ignore, on)
    cov = ctx.coverage()
    return CheckReport(stack, contract_number, on, tuple(ctx.items), hosts, cov, tuple(kept), tuple(ignored),
                       dict(sources or {}), time.perf_counter() - start)
