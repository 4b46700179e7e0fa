"""What every check reads: the contract on the day, the declared and deployed states, their
tallies through the ledger's counting table, the hosts and the harden evidence; and the effects
of a resource on the line items (``effects_of``), from those tallies (article 2)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any, Mapping

from govcloud.checks.findings import Basis, Effect
from govcloud.checks.hosts import HostEvidence, HostResult, host_results
from govcloud.checks.quantities import ItemResult, compare_items
from govcloud.checks.resources import Coverage, changes, counted, coverage, fallback_items, items_of
from govcloud.ledger.counting import INSTANCE, SUBSCRIPTION, Contribution, Tally
from govcloud.state.export import Deployment, StateResource

ItemsTable = dict[str, dict[str, tuple[str, ...]]]


def short_type(type_: str) -> str:
    """``openstack:compute/quotaSetV2:QuotaSetV2`` → ``compute/quotaSetV2``; ``govcloud:contract:Subscription``
    → ``contract:Subscription``."""
    parts = type_.split(":")
    return parts[1] if len(parts) == 3 and "/" in parts[1] else ":".join(parts[1:]) or type_


def readable(r: StateResource) -> str:
    """A resource as an engineer reads it: its name and type (the URN stays in the JSON)."""
    return f"{r.name} ({short_type(r.type)})"


@dataclass(frozen=True)
class Context:
    contracted: Mapping[str, Any]  # item id -> LineItem in force on the day
    declared: Deployment
    deployed: Deployment
    dec_tally: Tally
    dep_tally: Tally
    evidence: HostEvidence | None = None
    expected_controls: Mapping[str, str] | None = None  # None: the evidence's own control map (checks.hosts.HostsView)

    @cached_property
    def dec(self) -> dict[str, StateResource]:
        """The declared resources the checks compare: custom ones, and the subscriptions (components that
        stand for services with no OpenStack API, counted toward their items)."""
        return {r.urn: r for r in self.declared.resources if counted(r) or r.type == SUBSCRIPTION}

    @cached_property
    def dep(self) -> dict[str, StateResource]:
        return {r.urn: r for r in self.deployed.resources if counted(r) or r.type == SUBSCRIPTION}

    def coverage(self) -> Coverage:
        """driftctl's figures, over custom resources only."""
        dec = {u: r for u, r in self.dec.items() if counted(r)}
        dep = {u: r for u, r in self.dep.items() if counted(r)}
        return coverage(dec, dep, sum(1 for u in self.changes if counted(self.dec[u])))

    @cached_property
    def dec_items(self) -> ItemsTable:
        return items_of(self.declared, self.dec_tally)

    @cached_property
    def dep_items(self) -> ItemsTable:
        return items_of(self.deployed, self.dep_tally)

    @cached_property
    def _dec_contrib(self) -> dict[str, list[Contribution]]:
        return _by_resource(self.dec_tally)

    @cached_property
    def _dep_contrib(self) -> dict[str, list[Contribution]]:
        return _by_resource(self.dep_tally)

    @cached_property
    def addon_items(self) -> frozenset[str]:
        """Per-host add-ons: the items instances carry in their metadata."""
        return frozenset(c.item for t in (self.dec_tally, self.dep_tally) for c in t.contributions
                         if c.property.startswith("metadata."))

    @cached_property
    def changes(self) -> dict[str, list[tuple[str, Any, Any]]]:
        """URN → its changed attributes (path, declared, deployed)."""
        return changes(self.dec, self.dep)

    @cached_property
    def items(self) -> list[ItemResult]:
        return compare_items(self.contracted, self.dec_tally, self.dep_tally, self.addon_items)

    @cached_property
    def hosts(self) -> list[HostResult]:
        return host_results(self.dec_tally.hosts, self.dep_tally.hosts, self.evidence)

    def unit(self, item: str) -> str:
        li = self.contracted.get(item)
        return li.unit if li is not None else ""

    def host_of(self, r: StateResource) -> str:
        return str(r.inputs.get("name", r.name)) if r.type == INSTANCE else ""

    def effects_of(self, dec: StateResource | None, dep: StateResource | None, path: str | None = None
                   ) -> tuple[Effect, ...]:
        """Each line item the resource (or, with ``path``, one changed attribute of it) counts toward, with
        the change deployed − declared; an attribute no quantity is counted from names the items the
        resource bears on, without a change."""
        name = (dec or dep).name  # type: ignore[union-attr]
        urn = (dec or dep).urn  # type: ignore[union-attr]
        sums: dict[tuple[str, str], list[Decimal]] = {}
        for side, table in ((0, self._dec_contrib if dec else {}), (1, self._dep_contrib if dep else {})):
            for c in table.get(name, ()):
                if path is not None and c.property != path:
                    continue
                pair = sums.setdefault((c.item, c.basis), [Decimal(0), Decimal(0)])
                pair[side] += c.quantity
        out: list[Effect] = []
        for (item, basis), (before, after) in sums.items():
            unit = self.unit(item)
            out.append(Effect(item, basis, after - before, f"{_n(before)} {unit}".strip(),  # type: ignore[arg-type]
                              f"{_n(after)} {unit}".strip()))
        if not out:
            table = self.dec_items if dec is not None else self.dep_items
            res = dec or dep
            for item in fallback_items(urn, table, path or "", res.type == INSTANCE):  # type: ignore[union-attr]
                basis: Basis = "resource"
                out.append(Effect(item, basis, None, "", ""))
        rank = {item: k for k, item in enumerate(self.contracted)}
        return tuple(sorted(out, key=lambda e: (rank.get(e.item, len(rank)), e.basis)))


def _n(d: Decimal) -> str:
    n = d.normalize()
    return str(n.quantize(Decimal(1)) if n == n.to_integral_value() else n)


def _by_resource(t: Tally) -> dict[str, list[Contribution]]:
    out: dict[str, list[Contribution]] = {}
    for c in t.contributions:
        out.setdefault(c.resource, []).append(c)
    return out
