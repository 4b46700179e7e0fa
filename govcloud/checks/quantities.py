"""Per line item: contracted ⇄ declared ⇄ deployed, counted through the ledger's counting table
(``govcloud.ledger.counting``) so declared and deployed can never be counted two ways, and judged
by the ledger's one judgement (``govcloud.ledger.judgement``).

Both directions (article 2, articles 7, 77, 79): the provider delivers at least what
was bought (``under``; nothing deployed counts as zero); the tenant uses no more without an
amendment (``over``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from govcloud.ledger import judgement
from govcloud.ledger.counting import COUNTED_TYPES, Resource, Tally, tally
from govcloud.ledger.judgement import Status
from govcloud.state.export import Deployment, StateResource
from govcloud.state.secrets import Secret


def _plain(value: Any) -> Any:
    """Secrets cannot be counted: they stay opaque."""
    if isinstance(value, Secret):
        return None
    return value


def as_resource(r: StateResource, side: str) -> Resource:
    """A state resource as the mapping reads it: declared from inputs, deployed from outputs."""
    props: Mapping[str, Any] = r.inputs if side == "declared" else ({**r.inputs, **r.outputs} if r.outputs else r.inputs)
    return Resource(r.type, r.name, {k: _plain(v) for k, v in props.items()})


def count(dep: Deployment, side: str) -> Tally:
    """The mapping's tally of ``dep`` (resources of types it does not read are not converted)."""
    return tally(as_resource(r, side) for r in dep.resources
                 if r.type in COUNTED_TYPES and (r.custom or r.type.startswith("govcloud:")))


@dataclass(frozen=True)
class ItemResult:
    id: str
    name_zh: str
    unit: str
    clause: str
    contracted: Decimal
    declared: Decimal | None
    deployed: Decimal | None
    allocated: Decimal | None  # what deployed hosts use
    statuses: tuple[Status, ...]
    provisioned: Decimal | None = None  # what the deployed state provisions: the contract verdict's quantity
    over_allocated: bool = False  # the hosts use more than contracted (the ``over`` in statuses may be this)
    provided: Status = Status.OK  # the ledger's verdict of what is deployed against the contract
    deployment: Status = Status.OK  # deployed against declared: missing, unmanaged, drift, unverifiable or ok

    @property
    def status(self) -> Status:
        return judgement.worst(self.statuses)


def fmt(d: Decimal | None, unit: str) -> str:
    return "nothing" if d is None else f"{d} {unit}"


def delivered(t: Tally, item: str, per_host: bool) -> Decimal | None:
    """The quantity of ``item`` a state delivers: what it provisions; for a per-host add-on, no more than
    the hosts that carry it (a subscription for 200 hosts delivers on the hosts deployed). Declared and
    deployed are compared on this; the contract verdict stays the ledger's, on what is provisioned, as
    ``plan``, ``diff`` and the policy pack judge it."""
    provided = t.total(item, "provision")
    if not per_host or provided is None:
        return provided
    return min(provided, t.total(item, "allocation") or Decimal(0))


def compare_items(contracted: Mapping[str, Any], declared: Tally, deployed: Tally | None,
                  per_host: frozenset[str] = frozenset()) -> list[ItemResult]:
    """One result per contracted line item: the quantities and the ledger's verdicts (the item checks in
    ``govcloud.checks.rules.items`` turn them into findings)."""
    results: list[ItemResult] = []
    for item_id, li in contracted.items():
        addon = item_id in per_host
        dec = delivered(declared, item_id, addon)
        dep = delivered(deployed, item_id, addon) if deployed is not None else None
        alloc = deployed.total(item_id, "allocation") if deployed is not None else None
        statuses: list[Status] = []
        state = judgement.deployment(dec, dep, measured=deployed is not None)
        if state is not Status.OK:
            statuses.append(state)
        provisioned = deployed.total(item_id, "provision") if deployed is not None else None
        provided = judgement.provision(li.quantity, provisioned) if deployed is not None else Status.OK
        if provided is not Status.OK:
            statuses.append(provided)
        over_allocated = judgement.allocation(li.quantity, alloc) is Status.OVER
        if over_allocated:
            statuses.append(Status.OVER)
        results.append(ItemResult(item_id, li.name_zh, li.unit, li.clause, li.quantity, dec, dep, alloc,
                                  tuple(dict.fromkeys(statuses)), provisioned, over_allocated, provided, state))
    return results
