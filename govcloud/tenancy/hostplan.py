"""The host plan: business systems, flavors, network tiers and host groups (article 2).

A host plan is a YAML file (``stacks/hostplans/<stack>.yaml``, schema
``schemas/hostplan.schema.json``). Groups expand to hosts named ``<group>-NN``. Every
boot disk sits on the standard tier; data disks are sized per tier in GB (GiB, as
OpenStack sizes volumes).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from govcloud.errors import Issue
from govcloud.schemas import document_issues
from govcloud.tenancy.addons import ADDON_ITEMS, required_addons
from govcloud.tenancy.errors import StackError
from govcloud.yamldoc import PathKey, YamlDocument, format_path, load_yaml

TIERS: tuple[str, ...] = ("storage_high_performance", "storage_standard")
BOOT_TIER = "storage_standard"
DEFAULT_RESERVED_HEAD = 10


@dataclass(frozen=True)
class System:
    """A business system the tenancy serves (article 1: 审判信息网网上公开, 诉讼服务, 在线庭审)."""

    id: str
    name_zh: str


@dataclass(frozen=True)
class Flavor:
    """A compute flavor; ``cpu_min_ghz`` records the article 2 clock floor (≥ 2.4 GHz)."""

    name: str
    vcpus: int
    ram_gb: int
    cpu_min_ghz: Decimal


@dataclass(frozen=True)
class NetworkTier:
    """A network with its subnet size (``prefixlen``) or a fixed ``cidr`` (article 35)."""

    name: str
    prefixlen: int | None
    cidr: str | None
    purpose: str
    index: int


@dataclass(frozen=True)
class Host:
    """One planned host; ``disks`` are (tier, GB) data disks beside the boot disk."""

    name: str
    group: str
    system: str
    role: str
    flavor: Flavor
    network: str
    os: str
    image: str
    boot_gb: int
    disks: tuple[tuple[str, int], ...]
    addons: tuple[str, ...]

    def disk_gb(self, tier: str) -> int:
        """GB this host allocates on ``tier`` (boot disk included)."""
        total = sum(gb for t, gb in self.disks if t == tier)
        return total + (self.boot_gb if tier == BOOT_TIER else 0)

    @property
    def ansible_groups(self) -> tuple[str, ...]:
        """Inventory groups: role, system, network, OS and one per add-on."""
        def g(prefix: str, value: str) -> str:
            return f"{prefix}_{value}".replace("-", "_").replace(".", "_")

        return (
            g("group", self.group), g("role", self.role), g("system", self.system),
            g("net", self.network), g("os", self.os),
        ) + tuple(g("addon", a) for a in self.addons)


@dataclass(frozen=True)
class HostPlan:
    source: Path
    systems: tuple[System, ...]
    flavors: tuple[Flavor, ...]
    networks: tuple[NetworkTier, ...]
    images: dict[str, str]
    reserved_head: int
    hosts: tuple[Host, ...]

    def flavor(self, name: str) -> Flavor:
        return next(f for f in self.flavors if f.name == name)

    def hosts_on(self, network: str) -> tuple[Host, ...]:
        return tuple(h for h in self.hosts if h.network == network)


def _issue(doc: YamlDocument, path: PathKey, expected: str) -> Issue:
    return Issue(str(doc.file), format_path(path), expected, doc.line_of(path))


def _unique(doc: YamlDocument, key: str, field: str, issues: list[Issue]) -> list[str]:
    seen: list[str] = []
    for i, entry in enumerate(doc.data[key]):
        value = entry[field]
        if value in seen:
            issues.append(_issue(doc, (key, i, field), f"duplicate {field} '{value}' (each must be unique)"))
        seen.append(value)
    return seen


def load_host_plan(file: str | Path, vcpu_min_ghz: Decimal | None = None) -> HostPlan:
    """Load and validate a host plan; every problem names the file, the key and what was expected."""
    doc = load_yaml(file)
    issues = document_issues(doc, "hostplan.schema.json")
    if issues:
        raise StackError(issues)
    data = doc.data
    systems = _unique(doc, "systems", "id", issues)
    flavors = _unique(doc, "flavors", "name", issues)
    networks = _unique(doc, "networks", "name", issues)
    _unique(doc, "groups", "name", issues)
    for i, f in enumerate(data["flavors"]):
        if vcpu_min_ghz is not None and Decimal(str(f["cpu_min_ghz"])) < vcpu_min_ghz:
            issues.append(_issue(doc, ("flavors", i, "cpu_min_ghz"),
                                 f"expected at least {vcpu_min_ghz} GHz (article 2: 主频不低于{vcpu_min_ghz}GHz), "
                                 f"got {f['cpu_min_ghz']}"))
    for i, g in enumerate(data["groups"]):
        refs = (("system", systems, "system"), ("flavor", flavors, "flavor"),
                ("network", networks, "network"), ("os", sorted(data["images"]), "OS image"))
        for field, known, what in refs:
            if g[field] not in known:
                issues.append(_issue(doc, ("groups", i, field),
                                     f"unknown {what} '{g[field]}' (expected one of: {', '.join(known)})"))
        if "addons" in g:
            for j, addon in enumerate(g["addons"]):
                if addon not in ADDON_ITEMS:
                    issues.append(_issue(doc, ("groups", i, "addons", j),
                                         f"unknown add-on '{addon}' (expected one of: {', '.join(ADDON_ITEMS)})"))
            missing = [a for a in required_addons(g["role"]) if a not in g["addons"]]
            if missing:
                issues.append(_issue(doc, ("groups", i, "addons"),
                                     f"a '{g['role']}' host must carry {', '.join(missing)} (article 2)"))
        if len(g["name"]) + 4 > 63:
            issues.append(_issue(doc, ("groups", i, "name"), "expected a name of at most 59 characters"))
    if issues:
        raise StackError(issues)

    flavor_by_name = {
        f["name"]: Flavor(f["name"], int(f["vcpus"]), int(f["ram_gb"]), Decimal(str(f["cpu_min_ghz"])))
        for f in data["flavors"]
    }
    hosts: list[Host] = []
    for g in data["groups"]:
        width = max(2, len(str(g["count"])))
        disks = tuple((t, int(gb)) for t, gb in sorted((g.get("disks") or {}).items()) if gb)
        addons = tuple(a for a in ADDON_ITEMS if a in g.get("addons", required_addons(g["role"])))
        for n in range(1, int(g["count"]) + 1):
            hosts.append(Host(
                name=f"{g['name']}-{n:0{width}d}", group=g["name"], system=g["system"], role=g["role"],
                flavor=flavor_by_name[g["flavor"]], network=g["network"], os=g["os"],
                image=data["images"][g["os"]], boot_gb=int(g["boot_gb"]), disks=disks, addons=addons,
            ))
    return HostPlan(
        source=doc.file,
        systems=tuple(System(s["id"], s["name_zh"]) for s in data["systems"]),
        flavors=tuple(flavor_by_name.values()),
        networks=tuple(
            NetworkTier(n["name"], n.get("prefixlen"), n.get("cidr"), n.get("purpose", ""), i)
            for i, n in enumerate(data["networks"])
        ),
        images=dict(data["images"]),
        reserved_head=int(data.get("reserved_head", DEFAULT_RESERVED_HEAD)),
        hosts=tuple(hosts),
    )
