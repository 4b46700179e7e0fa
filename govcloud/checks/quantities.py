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

from govcloud.checks.findings import Finding
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

    @property
    def status(self) -> Status:
        return judgement.worst(self.statuses)


def _fmt(d: Decimal | None, unit: str) -> str:
    return "nothing" if d is None else f"{d} {unit}"


def compare_items(contracted: Mapping[str, Any], declared: Tally, deployed: Tally | None,
                  subjects: Mapping[str, str]) -> tuple[list[ItemResult], list[Finding]]:
    """One result per contracted line item and the findings behind it."""
    results: list[ItemResult] = []
    findings: list[Finding] = []
    for item_id, li in contracted.items():
        unit, clause = li.unit, li.clause
        dec = declared.total(item_id, "provision")
        dep = deployed.total(item_id, "provision") if deployed is not None else None
        alloc = deployed.total(item_id, "allocation") if deployed is not None else None
        subject = subjects.get(item_id, "")
        statuses: list[Status] = []

        def find(kind: Status, expected: str, actual: str, message: str) -> None:
            statuses.append(kind)
            findings.append(Finding(kind.value, item_id, clause, subject, expected, actual, message))  # type: ignore[arg-type]

        state = judgement.deployment(dec, dep, measured=deployed is not None)
        if state is Status.UNVERIFIABLE:
            find(state, _fmt(li.quantity, unit), "not measured",
                 f"{item_id}: no deployed state given, so the deployed quantity is not measured")
        elif state is Status.MISSING:
            find(state, _fmt(dec, unit), "nothing deployed", f"{item_id}: declared {_fmt(dec, unit)}, nothing deployed")
        elif state is Status.UNMANAGED:
            find(state, "nothing declared", _fmt(dep, unit),
                 f"{item_id}: deployed {_fmt(dep, unit)} that the program does not declare")
        elif state is Status.DRIFT:
            find(state, _fmt(dec, unit), _fmt(dep, unit),
                 f"{item_id}: deployed {_fmt(dep, unit)}, declared {_fmt(dec, unit)}")
        if deployed is not None:
            provided = judgement.provision(li.quantity, dep)  # nothing deployed counts as zero
            if provided is Status.UNDER:
                find(provided, f">= {_fmt(li.quantity, unit)}", _fmt(dep or Decimal(0), unit),
                     f"{item_id}: deployed {_fmt(dep, unit)}, contracted {_fmt(li.quantity, unit)}: "
                     f"{li.quantity - (dep or Decimal(0))} {unit} short ({clause})")
            elif provided is Status.OVER:
                find(provided, f"<= {_fmt(li.quantity, unit)}", _fmt(dep, unit),
                     f"{item_id}: deployed {_fmt(dep, unit)}, contracted {_fmt(li.quantity, unit)}: more needs a "
                     "supplementary agreement (articles 7, 77, 79)")
        if judgement.allocation(li.quantity, alloc) is Status.OVER:
            find(Status.OVER, f"<= {_fmt(li.quantity, unit)}", f"{_fmt(alloc, unit)} allocated to hosts",
                 f"{item_id}: hosts use {_fmt(alloc, unit)}, contracted {_fmt(li.quantity, unit)}: more needs a "
                 "supplementary agreement (articles 7, 77, 79)")
        results.append(ItemResult(item_id, li.name_zh, unit, clause, li.quantity, dec, dep, alloc,
                                  tuple(dict.fromkeys(statuses))))
    return results, findings
