"""Per line item: contracted ⇄ declared ⇄ deployed, counted through the one mapping
(``govcloud.plan.mapping``) so declared and deployed can never be counted two ways.

Both directions (article 2, articles 7, 77, 79): the provider delivers at least what
was bought (``under``); the tenant uses no more without an amendment (``over``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from govcloud.checks.findings import Finding
from govcloud.plan.mapping import COUNTED_TYPES, Resource, Tally, tally
from govcloud.state.export import Deployment, StateResource
from govcloud.state.secrets import Secret

STATUS_ORDER = ("missing", "unmanaged", "drift", "under", "over", "unverifiable", "ok")


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
    statuses: tuple[str, ...]

    @property
    def status(self) -> str:
        return min(self.statuses, key=STATUS_ORDER.index) if self.statuses else "ok"


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
        statuses: list[str] = []

        def find(kind: str, expected: str, actual: str, message: str) -> None:
            statuses.append(kind)
            findings.append(Finding(kind, item_id, clause, subject, expected, actual, message))  # type: ignore[arg-type]

        if deployed is None:
            find("unverifiable", _fmt(li.quantity, unit), "not measured",
                 f"{item_id}: no deployed state given, so the deployed quantity is not measured")
        elif dep is None and dec is not None:
            find("missing", _fmt(dec, unit), "nothing deployed",
                 f"{item_id}: declared {_fmt(dec, unit)}, nothing deployed")
        elif dep is not None and dec is None:
            find("unmanaged", "nothing declared", _fmt(dep, unit),
                 f"{item_id}: deployed {_fmt(dep, unit)} that the program does not declare")
        elif dep is not None and dec is not None and dep != dec:
            find("drift", _fmt(dec, unit), _fmt(dep, unit),
                 f"{item_id}: deployed {_fmt(dep, unit)}, declared {_fmt(dec, unit)}")
        if dep is not None:
            if dep < li.quantity:
                find("under", f">= {_fmt(li.quantity, unit)}", _fmt(dep, unit),
                     f"{item_id}: deployed {_fmt(dep, unit)}, contracted {_fmt(li.quantity, unit)}: "
                     f"{li.quantity - dep} {unit} short ({clause})")
            elif dep > li.quantity:
                find("over", f"<= {_fmt(li.quantity, unit)}", _fmt(dep, unit),
                     f"{item_id}: deployed {_fmt(dep, unit)}, contracted {_fmt(li.quantity, unit)}: more needs a "
                     "supplementary agreement (articles 7, 77, 79)")
        if alloc is not None and alloc > li.quantity:
            find("over", f"<= {_fmt(li.quantity, unit)}", f"{_fmt(alloc, unit)} allocated to hosts",
                 f"{item_id}: hosts use {_fmt(alloc, unit)}, contracted {_fmt(li.quantity, unit)}: more needs a "
                 "supplementary agreement (articles 7, 77, 79)")
        results.append(ItemResult(item_id, li.name_zh, unit, clause, li.quantity, dec, dep, alloc,
                                  tuple(dict.fromkeys(statuses))))
    return results, findings
