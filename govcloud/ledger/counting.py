"""The counting table: which resource property counts toward which line item (article 2).

Moved here from ``govcloud/plan/mapping.py`` so every command counts through the ledger, below
plan and checks.

A resource is a ``(type token, inputs)`` pair with the engine's camelCase property names,
as the SDK's mock runtime receives them and as ``pulumi stack export`` stores them, so
``govcloud plan`` (declared) and ``govcloud check`` (deployed) count the same way.

Two bases:
* ``provision`` — what the tenancy is given: quotas, the bandwidth rule, subscriptions.
  This is the declared quantity compared with the contract.
* ``allocation`` — what the hosts use: flavors, disks, add-ons per host. It must not
  exceed the contract either (articles 7, 77, 79: more needs a supplementary agreement).

Units: OpenStack counts RAM in MB and volumes in GB (GiB): 1 GB = 1024 MB and
1 TB = 1024 GB, as the cloud bills them; bandwidth in kbps: 1 Gbps = 1,000,000 kbps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Literal

from govcloud.errors import GovcloudError

Basis = Literal["provision", "allocation"]

QUOTA_COMPUTE = "openstack:compute/quotaSetV2:QuotaSetV2"
QUOTA_BLOCK = "openstack:blockstorage/quoteSetV3:QuoteSetV3"  # (sic) the SDK's spelling
BANDWIDTH_RULE = "openstack:networking/qosBandwidthLimitRule:QosBandwidthLimitRule"
FLAVOR = "openstack:compute/flavor:Flavor"
VOLUME_TYPE = "openstack:blockstorage/volumeTypeV3:VolumeTypeV3"
VOLUME = "openstack:blockstorage/volume:Volume"
INSTANCE = "openstack:compute/instance:Instance"
SUBSCRIPTION = "govcloud:contract:Subscription"

# Instance metadata and volume-type extra specs that carry contract facts.
META_ROLE = "govcloud:role"
META_SYSTEM = "govcloud:system"
META_GROUP = "govcloud:group"
META_ADDONS = "govcloud:addons"  # comma-separated line item ids
SPEC_LINE_ITEM = "govcloud:line_item"  # on a volume type: the storage tier it bills to
SPEC_MIN_GHZ = "govcloud:cpu_min_ghz"  # on a flavor: the article 2 clock floor

MB_PER_GB = Decimal(1024)
GB_PER_TB = Decimal(1024)
KBPS_PER_GBPS = Decimal(1_000_000)


@dataclass(frozen=True)
class Rule:
    """One row of the mapping: a resource property counted toward a line item."""

    type: str
    property: str
    item: str  # a line item id, or how it is found (``<volume type>``, ``itemId``)
    basis: Basis
    factor: Decimal  # quantity in the item's unit = raw value × factor
    raw_unit: str
    note: str = ""


RULES: tuple[Rule, ...] = (
    Rule(QUOTA_COMPUTE, "cores", "vcpu", "provision", Decimal(1), "vCPU"),
    Rule(QUOTA_COMPUTE, "ram", "memory", "provision", 1 / MB_PER_GB, "MB"),
    Rule(QUOTA_BLOCK, "volumeTypeQuota.gigabytes_<type>", "<volume type>", "provision", 1 / GB_PER_TB, "GB",
         "the volume type's extraSpecs govcloud:line_item names the storage tier"),
    Rule(QUOTA_BLOCK, "backupGigabytes", "backup_local", "provision", 1 / GB_PER_TB, "GB"),
    Rule(BANDWIDTH_RULE, "maxKbps", "internet_bandwidth", "provision", 1 / KBPS_PER_GBPS, "kbps",
         "egress rules only (direction absent or egress)"),
    Rule(SUBSCRIPTION, "quantity", "itemId", "provision", Decimal(1), "<unit>",
         "services with no OpenStack API; unit must be the item's unit"),
    Rule(INSTANCE, "flavorName→vcpus", "vcpu", "allocation", Decimal(1), "vCPU"),
    Rule(INSTANCE, "flavorName→ram", "memory", "allocation", 1 / MB_PER_GB, "MB"),
    Rule(INSTANCE, "blockDevices[].volumeSize", "<volume type>", "allocation", 1 / GB_PER_TB, "GB"),
    Rule(INSTANCE, f"metadata.{META_ADDONS}", "<each add-on>", "allocation", Decimal(1), "host"),
    Rule(VOLUME, "size", "<volume type>", "allocation", 1 / GB_PER_TB, "GB"),
)


_FACTORS: dict[tuple[str, str], Decimal] = {(r.type, r.property): r.factor for r in RULES}

#: the resource types ``tally`` reads: those the rules count, and the flavors and volume types they look up.
#: Every other resource contributes nothing, so a caller may leave it out.
COUNTED_TYPES: frozenset[str] = frozenset(r.type for r in RULES) | {FLAVOR, VOLUME_TYPE}


def _factor(type_: str, prop: str) -> Decimal:
    return _FACTORS[(type_, prop)]


class MappingError(GovcloudError):
    """A declared resource cannot be counted (unknown flavor, unknown volume type, bad value)."""


@dataclass(frozen=True)
class Resource:
    """A declared or deployed resource: type token, logical name and camelCase inputs."""

    type: str
    name: str
    inputs: Mapping[str, Any]


@dataclass(frozen=True)
class Contribution:
    item: str
    quantity: Decimal
    basis: Basis
    resource: str
    property: str


@dataclass(frozen=True)
class HostRecord:
    """An instance as the mapping sees it (the add-ons it carries, its flavor)."""

    name: str
    flavor: str
    vcpus: int
    ram_gb: Decimal
    role: str
    system: str
    addons: tuple[str, ...]


@dataclass
class Tally:
    """Per line item totals by basis, the contributions behind them, and the hosts."""

    contributions: list[Contribution] = field(default_factory=list)
    hosts: list[HostRecord] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)  # subscription item -> unit it declared
    totals: dict[tuple[str, Basis], Decimal] = field(default_factory=dict)

    def add(self, c: Contribution) -> None:
        self.contributions.append(c)
        key = (c.item, c.basis)
        self.totals[key] = self.totals.get(key, Decimal(0)) + c.quantity

    def total(self, item: str, basis: Basis) -> Decimal | None:
        value = self.totals.get((item, basis))
        return None if value is None else _norm(value)

    def items(self) -> set[str]:
        return {item for item, _ in self.totals}


def number(value: Any, where: str) -> Decimal:
    """A numeric input (int, float as the engine sends numbers, or numeric string) as Decimal."""
    if isinstance(value, bool):
        raise MappingError(f"{where}: expected a number, got {value!r}")
    try:
        d = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise MappingError(f"{where}: expected a number, got {value!r}") from None
    return d


@lru_cache(maxsize=4096)
def _norm(d: Decimal) -> Decimal:
    """Drop trailing zeros without going to exponent form (1800.0 -> 1800). Cached: equal values
    normalise alike, and a 2,000-host fleet repeats the same few quantities."""
    n = d.normalize()
    return n.quantize(Decimal(1)) if n == n.to_integral_value() else n


def tally(resources: Iterable[Resource]) -> Tally:
    """Count every mapped property of ``resources`` toward its line item (the table above)."""
    resources = list(resources)
    flavors: dict[str, tuple[int, Decimal]] = {}
    tiers: dict[str, str] = {}
    for r in resources:
        if r.type == FLAVOR:
            flavors[str(r.inputs.get("name", r.name))] = (
                int(number(r.inputs.get("vcpus"), f"{r.name}.vcpus")),
                number(r.inputs.get("ram"), f"{r.name}.ram"),
            )
        elif r.type == VOLUME_TYPE:
            item = (r.inputs.get("extraSpecs") or {}).get(SPEC_LINE_ITEM)
            if item:
                tiers[str(r.inputs.get("name", r.name))] = str(item)

    def tier_of(volume_type: Any, where: str) -> str:
        if volume_type not in tiers:
            raise MappingError(f"{where}: unknown volume type {volume_type!r} "
                               f"(declared volume types: {', '.join(sorted(tiers)) or 'none'})")
        return tiers[volume_type]

    t = Tally()

    def add(item: str, qty: Decimal, basis: Basis, r: Resource, prop: str) -> None:
        t.add(Contribution(item, _norm(qty), basis, r.name, prop))

    for r in resources:
        i = r.inputs
        if r.type == QUOTA_COMPUTE:
            if i.get("cores") is not None:
                add("vcpu", number(i["cores"], f"{r.name}.cores") * _factor(r.type, "cores"), "provision", r, "cores")
            if i.get("ram") is not None:
                add("memory", number(i["ram"], f"{r.name}.ram") * _factor(r.type, "ram"), "provision", r, "ram")
        elif r.type == QUOTA_BLOCK:
            for key, value in sorted((i.get("volumeTypeQuota") or {}).items()):
                if key.startswith("gigabytes_"):
                    where = f"{r.name}.volumeTypeQuota.{key}"
                    add(tier_of(key[len("gigabytes_"):], where),
                        number(value, where) * _factor(r.type, "volumeTypeQuota.gigabytes_<type>"),
                        "provision", r, f"volumeTypeQuota.{key}")
            if i.get("backupGigabytes") is not None:
                add("backup_local", number(i["backupGigabytes"], f"{r.name}.backupGigabytes")
                    * _factor(r.type, "backupGigabytes"), "provision", r, "backupGigabytes")
        elif r.type == BANDWIDTH_RULE:
            if i.get("direction", "egress") == "egress" and i.get("maxKbps") is not None:
                add("internet_bandwidth", number(i["maxKbps"], f"{r.name}.maxKbps")
                    * _factor(r.type, "maxKbps"), "provision", r, "maxKbps")
        elif r.type == SUBSCRIPTION:
            item = i.get("itemId")
            if not isinstance(item, str):
                raise MappingError(f"{r.name}.itemId: expected a line item id, got {item!r}")
            add(item, number(i.get("quantity"), f"{r.name}.quantity"), "provision", r, "quantity")
            t.units[item] = str(i.get("unit", ""))
        elif r.type == INSTANCE:
            _count_instance(r, flavors, tier_of, add, t)
        elif r.type == VOLUME:
            where = f"{r.name}.size"
            add(tier_of(i.get("volumeType"), f"{r.name}.volumeType"),
                number(i.get("size"), where) * _factor(r.type, "size"), "allocation", r, "size")
    return t


def _count_instance(r: Resource, flavors: dict[str, tuple[int, Decimal]], tier_of: Any, add: Any,
                    t: Tally) -> None:
    i = r.inputs
    flavor = i.get("flavorName")
    if flavor not in flavors:
        raise MappingError(f"{r.name}.flavorName: unknown flavor {flavor!r} "
                           f"(declared flavors: {', '.join(sorted(flavors)) or 'none'})")
    vcpus, ram_mb = flavors[flavor]
    add("vcpu", Decimal(vcpus) * _factor(r.type, "flavorName→vcpus"), "allocation", r, "flavorName")
    ram_gb = ram_mb * _factor(r.type, "flavorName→ram")
    add("memory", ram_gb, "allocation", r, "flavorName")
    for k, dev in enumerate(i.get("blockDevices") or ()):
        if dev.get("destinationType") == "volume" and dev.get("volumeSize") is not None:
            where = f"{r.name}.blockDevices[{k}]"
            add(tier_of(dev.get("volumeType"), f"{where}.volumeType"),
                number(dev["volumeSize"], f"{where}.volumeSize") * _factor(r.type, "blockDevices[].volumeSize"),
                "allocation", r, f"blockDevices[{k}].volumeSize")
    metadata = i.get("metadata") or {}
    addons = tuple(a for a in str(metadata.get(META_ADDONS, "")).split(",") if a)
    for addon in addons:
        add(addon, _factor(r.type, f"metadata.{META_ADDONS}"), "allocation", r, f"metadata.{META_ADDONS}")
    t.hosts.append(HostRecord(
        name=str(i.get("name", r.name)), flavor=str(flavor), vcpus=vcpus, ram_gb=_norm(ram_gb),
        role=str(metadata.get(META_ROLE, "")), system=str(metadata.get(META_SYSTEM, "")), addons=addons,
    ))
