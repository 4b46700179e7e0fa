"""The tenancy one stack declares: contract, host plan, network plan and quantities to provision.

Quotas and subscriptions are set to the contracted amounts (article 2: 数量上不低于以下最低要求)
unless the stack says ``provision: hostplan`` (a lab sized to its hosts) or overrides an
item on purpose (``quotaOverrides``: a deviation the plan reports as under or over).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from govcloud.errors import Issue
from govcloud.ledger.counting import GB_PER_TB
from govcloud.ledger.day import Contracted
from govcloud.ledger.day import contracted as contracted_for
from govcloud.tenancy.addons import ADDON_ITEMS
from govcloud.tenancy.config import StackSettings
from govcloud.tenancy.docache import cached
from govcloud.tenancy.errors import StackError
from govcloud.tenancy.hostplan import TIERS, HostPlan, load_host_plan
from govcloud.tenancy.netplan import NetworkPlan, Where, plan_network



@dataclass(frozen=True)
class Tenancy:
    settings: StackSettings
    contract: object  # govcloud.contract.Contract
    contracted: dict[str, object]  # item id -> LineItem in force (amendments applied)
    hostplan: HostPlan
    network: NetworkPlan
    provision: dict[str, Decimal]  # item id -> quantity to provision, in the item's unit


def allocation(hostplan: HostPlan) -> dict[str, Decimal]:
    """What the hosts themselves use, per line item (vCPU, GB RAM, TB per tier, hosts per add-on)."""
    out: dict[str, Decimal] = {
        "vcpu": Decimal(sum(h.flavor.vcpus for h in hostplan.hosts)),
        "memory": Decimal(sum(h.flavor.ram_gb for h in hostplan.hosts)),
    }
    for tier in TIERS:
        out[tier] = Decimal(sum(h.disk_gb(tier) for h in hostplan.hosts)) / GB_PER_TB
    for addon in ADDON_ITEMS:
        out[addon] = Decimal(sum(1 for h in hostplan.hosts if addon in h.addons))
    return out


def stack_contracted(settings: StackSettings, on: date | None = None, amendments: Sequence[Path] = ()) -> Contracted:
    """What is contracted for the stack, by the ledger's one day rule (``on`` from the command line,
    else ``govcloud:on``, else today clipped to the term), the stack's amendments then ``amendments``
    applied (articles 7, 77, 79). The contract is read once per process (``contract_at``)."""
    return contracted_for(settings, on, amendments, loader=contract_at)  # type: ignore[arg-type]


@lru_cache(maxsize=4)
def _load_contract(path: str, mtime_ns: int) -> object:
    from govcloud.contract import load_contract

    return cached("contract", Path(path), lambda: load_contract(Path(path)))


def contract_at(path: Path) -> object:
    """The contract at ``path``, parsed once per process (the plan command and the program share it)
    and kept between runs by ``docache`` until the file or its parser changes."""
    resolved = path.resolve()
    try:
        mtime = resolved.stat().st_mtime_ns
    except OSError:
        mtime = 0  # let the loader report the missing file
    return _load_contract(str(resolved), mtime)


def build_tenancy(settings: StackSettings) -> Tenancy:
    """Load the contract and host plan named by ``settings`` and plan the network."""
    in_force = stack_contracted(settings)
    contract: Any = in_force.contract
    contracted = dict(in_force.items)
    min_ghz = contract.technical.vcpu_min_ghz
    hostplan = cached("hostplan", settings.host_plan_path,
                      lambda: load_host_plan(settings.host_plan_path, min_ghz), extra=str(min_ghz))
    network = plan_network(
        settings.supernet, Where(*settings.where("supernet")),
        settings.reserved, Where(*settings.where("reserved")), hostplan,
    )
    if settings.provision == "contract":
        provision = {item_id: li.quantity for item_id, li in contracted.items()}  # type: ignore[attr-defined]
    else:
        provision = {k: v for k, v in allocation(hostplan).items() if v}
    for item_id, quantity in settings.quota_overrides.items():
        if item_id not in contracted:
            raise StackError([Issue(settings.file, f"govcloud:quotaOverrides.{item_id}",
                                    f"unknown line item (expected one of: {', '.join(contracted)})")])
        provision[item_id] = quantity
    return Tenancy(settings, contract, contracted, hostplan, network, provision)
