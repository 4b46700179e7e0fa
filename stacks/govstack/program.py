"""The tenancy the contract buys, declared (article 2 tables; articles 6, 7, 35).

``declare(tenancy, admin_password)`` creates one component per service class and
returns the stack outputs: ``hosts`` (for the Ansible inventory) and ``declared``
(the total per line item, counted through ``govcloud.ledger.counting``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pulumi
from pulumi_openstack import images, networking

from govcloud.tenancy.hostplan import TIERS
from govcloud.tenancy.model import Tenancy

from .bandwidth import InternetLinkService, InternetLinkServiceArgs
from .compute import CloudHostService, CloudHostServiceArgs
from .fleet import HostFleet, HostFleetArgs
from .ledger import Ledger
from .network import NetworkService, NetworkServiceArgs
from .project import TenantProject, TenantProjectArgs
from .services import SubscribedServices, SubscribedServicesArgs
from .storage import VOLUME_TYPES, StorageService, StorageServiceArgs, Tier
from .subscription import SubscriptionArgs

ACCESS_ITEMS = ("remote_access", "ssl_vpn")  # 远程接入服务, VPN服务 (no OpenStack API for accounts)
MONITORING_ITEMS = ("deep_monitoring",)
EXTENDED_ITEMS = ("os_licence", "anti_ddos", "antivirus", "host_protection", "host_hardening", "vuln_scan",
                  "log_analysis", "db_audit", "cdn", "leased_line")
ATTRIBUTES: dict[str, dict[str, str]] = {
    "leased_line": {"bandwidth": "1Gbps", "from": "北京市高级人民法院", "to": "云服务商机房"},
    "vuln_scan": {"occasions_per_year": "4"},
    "cdn": {"scope": "内容加速及视频加速"},
}


def _subscriptions(t: Tenancy, ids: tuple[str, ...]) -> tuple[SubscriptionArgs, ...]:
    out = []
    for item_id in ids:
        qty = t.provision.get(item_id, Decimal(0))
        if not qty:
            continue
        li: Any = t.contracted[item_id]
        out.append(SubscriptionArgs(item_id=item_id, quantity=qty, unit=li.unit, name_zh=li.name_zh,
                                    clause=li.clause, attributes=ATTRIBUTES.get(item_id, {})))
    return tuple(out)


def declare(t: Tenancy, admin_password: pulumi.Output[str]) -> dict[str, Any]:
    s, plan, ledger = t.settings, t.hostplan, Ledger()
    qty = lambda item: t.provision.get(item, Decimal(0))  # noqa: E731
    contract: Any = t.contract

    project = TenantProject("tenant", TenantProjectArgs(s.project_name, s.project_description, s.domain,
                                                        contract.number))
    hosts_svc = CloudHostService("cloud-hosts", CloudHostServiceArgs(
        project.id, qty("vcpu"), qty("memory"), len(plan.hosts), plan.flavors), ledger)
    storage = StorageService("storage", StorageServiceArgs(
        project.id,
        tuple(Tier(tier, qty(tier), contract.technical.iops[tier]) for tier in TIERS),
        qty("backup_local")), ledger)
    external = networking.get_network_output(name=s.external_network)
    net = NetworkService("network", NetworkServiceArgs(project.id, s.project_name, t.network, external.id,
                                                       s.dns_nameservers))
    if qty("internet_bandwidth"):
        InternetLinkService("internet", InternetLinkServiceArgs(project.id, qty("internet_bandwidth")), ledger)
    SubscribedServices("RemoteAccessService", "remote-access",
                       SubscribedServicesArgs(_subscriptions(t, ACCESS_ITEMS)), ledger)
    SubscribedServices("MonitoringService", "monitoring",
                       SubscribedServicesArgs(_subscriptions(t, MONITORING_ITEMS)), ledger)
    SubscribedServices("ExtendedServices", "extended",
                       SubscribedServicesArgs(_subscriptions(t, EXTENDED_ITEMS)), ledger)
    # a plain (blocking) look-up per OS image: hosts then take the id as a plain value
    image_ids = {os_: images.get_image(name=name, most_recent=True).id for os_, name in plan.images.items()}
    HostFleet("fleet", HostFleetArgs(
        hosts=plan.hosts, network=t.network, network_names=net.network_names,
        security_groups=net.security_groups, image_ids=image_ids, admin_password=admin_password,
        # each host depends on the resources it names (its flavor, network, subnet, security group and
        # volume types), not on whole components: a component dependency makes the SDK await every child
        flavors=hosts_svc.flavors,
        volume_types={VOLUME_TYPES[k]: v for k, v in storage.volume_types.items()},
        network_resources=net.tier_resources), ledger)

    addresses = t.network.address_of()
    tallied = ledger.tally()
    declared = {}
    for item_id, li in t.contracted.items():
        provision, allocated = tallied.total(item_id, "provision"), tallied.total(item_id, "allocation")
        declared[item_id] = {
            "quantity": str(provision if provision is not None else Decimal(0)),
            "allocated": None if allocated is None else str(allocated),
            "unit": li.unit,  # type: ignore[attr-defined]
        }
    return {
        "contract": contract.number,
        "projectId": project.id,
        "networks": {sn.name: {"cidr": sn.cidr, "gateway": sn.gateway} for sn in t.network.subnets},
        "hosts": [
            {"name": h.name, "address": addresses[h.name], "groups": list(h.ansible_groups), "role": h.role,
             "flavor": h.flavor.name, "addons": list(h.addons), "system": h.system, "os": h.os,
             "network": h.network}
            for h in plan.hosts
        ],
        "declared": declared,
    }

