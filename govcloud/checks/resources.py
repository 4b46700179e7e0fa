"""Per resource: declared ⇄ deployed by URN, as driftctl counts them (managed, missing,
unmanaged, changed) and the coverage figure (share of deployed resources the program declares).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govcloud.ledger.counting import SPEC_LINE_ITEM, VOLUME_TYPE, Tally
from govcloud.state.export import Deployment, StateResource
from govcloud.state.secrets import Secret

QOS = "openstack:blockstorage/qosV3:QosV3"
QOS_ASSOCIATION = "openstack:blockstorage/qosAssociationV3:QosAssociationV3"
IGNORED_PROPS = {"id", "urn", "__defaults"}


def counted(r: StateResource) -> bool:
    """Resources the comparison counts: custom ones, not providers or the stack."""
    return r.custom and not r.type.startswith("pulumi:")


def items_of(dep: Deployment, counted_tally: Tally) -> dict[str, dict[str, tuple[str, ...]]]:
    """URN → property → the line items it bears on, from the tally already made of ``dep``;
    property ``""`` holds all of the resource's items. QoS specs count toward the storage tier
    of the volume type they are associated with."""
    by_name: dict[str, list[str]] = {}
    for r in dep.resources:
        if counted(r) or r.type.startswith("govcloud:"):
            by_name.setdefault(r.name, []).append(r.urn)
    sets: dict[str, dict[str, set[str]]] = {}
    for c in counted_tally.contributions:
        for urn in by_name.get(c.resource, ()):
            props = sets.setdefault(urn, {})
            props.setdefault(c.property, set()).add(c.item)
            props.setdefault("", set()).add(c.item)
    out: dict[str, dict[str, tuple[str, ...]]] = {
        urn: {prop: tuple(sorted(items)) for prop, items in props.items()} for urn, props in sets.items()}
    tiers: dict[str | None, str] = {}
    for r in dep.resources:
        if r.type == VOLUME_TYPE:
            item = (r.inputs.get("extraSpecs") or {}).get(SPEC_LINE_ITEM)
            if isinstance(item, str):
                tiers[r.id] = item
                out[r.urn] = {"": (item,)}
    qos_tier: dict[Any, str] = {}
    for r in dep.resources:
        if r.type == QOS_ASSOCIATION and r.inputs.get("volumeTypeId") in tiers:
            qos_tier[r.inputs.get("qosId")] = tiers[r.inputs["volumeTypeId"]]
            out[r.urn] = {"": (tiers[r.inputs["volumeTypeId"]],)}
    for r in dep.resources:
        if r.type == QOS and r.id in qos_tier:
            out[r.urn] = {"": (qos_tier[r.id],)}
    return out


# Resources no line item counts still bear on a clause: networks on IP address management (article 35),
# the tenant project and flavors on the compute service (article 2). Findings name these pseudo-items.
_UNMAPPED: tuple[tuple[str, str, str], ...] = (
    ("openstack:networking/", "ip_plan", "article-35"),
    ("openstack:compute/flavor:", "vcpu", "article-2"),
    ("openstack:identity/", "tenancy", "article-2"),
)


def _unmapped_item(urn: str) -> str:
    type_ = urn.split("::")[2].rsplit("$", 1)[-1] if urn.count("::") >= 3 else ""
    return next((item for prefix, item, _clause in _UNMAPPED if type_.startswith(prefix)), "unmapped")


def _clause(item: str) -> str:
    return next((clause for _p, i, clause in _UNMAPPED if i == item and clause != "article-2"), "article-2")


@dataclass(frozen=True)
class Coverage:
    managed: int  # deployed and declared
    missing: int  # declared, not deployed
    unmanaged: int  # deployed, not declared
    changed: int  # both, with properties that differ

    @property
    def deployed(self) -> int:
        return self.managed + self.unmanaged

    @property
    def percent(self) -> float:
        return 100.0 * self.managed / self.deployed if self.deployed else 100.0


def property_diff(declared: Any, deployed: Any, path: str, out: list[tuple[str, Any, Any]]) -> None:
    if isinstance(declared, Secret) or isinstance(deployed, Secret):
        return  # never compared: a secret's value is not read
    if isinstance(declared, dict) and isinstance(deployed, dict):
        for k in sorted(declared.keys() & deployed.keys()):  # an input the provider did not echo is no change
            if k in IGNORED_PROPS:
                continue
            a, b = declared[k], deployed[k]
            if type(a) is type(b) and a == b:
                continue  # equal values of one type: nothing below can differ
            property_diff(a, b, f"{path}.{k}" if path else k, out)
        return
    if isinstance(declared, list) and isinstance(deployed, list) and len(declared) == len(deployed):
        for i, (a, b) in enumerate(zip(declared, deployed)):
            property_diff(a, b, f"{path}[{i}]", out)
        return
    if declared is not None and str(declared) != str(deployed):
        out.append((path, declared, deployed))


def fallback_items(urn: str, table: dict[str, dict[str, tuple[str, ...]]], path: str, instance: bool) -> tuple[str, ...]:
    """The items a resource (or one attribute of it) bears on when no quantity is counted from it:
    the attribute's, else the resource's, else its pseudo-item (``ip_plan``, ``vcpu``, ``tenancy``).
    An instance's uncounted attribute (its network, its image) bears on the compute service (``vcpu``)."""
    props = table.get(urn) or {}
    head = path.split("[", 1)[0]
    if instance and path:
        return props.get(path) or props.get(head) or ("vcpu",)
    return props.get(path) or props.get(head) or props.get("") or (_unmapped_item(urn),)


def clause_of(item: str) -> str:
    return _clause(item)


def changes(dec: dict[str, StateResource], dep: dict[str, StateResource]) -> dict[str, list[tuple[str, Any, Any]]]:
    """URN → each changed attribute (path, declared, deployed) of the resources both states hold."""
    out: dict[str, list[tuple[str, Any, Any]]] = {}
    for urn in dec.keys() & dep.keys():
        diffs: list[tuple[str, Any, Any]] = []
        property_diff(dict(dec[urn].inputs), {**dep[urn].inputs, **dep[urn].outputs}, "", diffs)
        if diffs:
            out[urn] = diffs
    return out


def coverage(dec: dict[str, StateResource], dep: dict[str, StateResource], changed: int) -> Coverage:
    """driftctl's figures: managed, missing, unmanaged, changed."""
    return Coverage(len(dec.keys() & dep.keys()), len(dec.keys() - dep.keys()), len(dep.keys() - dec.keys()), changed)
