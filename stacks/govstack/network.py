"""IP address management (article 35): networks, subnets, router and security groups.

Subnets come from the deterministic plan in ``govcloud.tenancy.netplan``; the DHCP
pool is the provider's reserved head of each subnet, hosts take fixed addresses above it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_openstack import networking

from govcloud.tenancy.netplan import NetworkPlan


@dataclass(frozen=True)
class NetworkServiceArgs:
    project_id: pulumi.Input[str]
    prefix: str
    plan: NetworkPlan
    external_network_id: pulumi.Input[str]
    dns_nameservers: tuple[str, ...]
    public_tiers: tuple[str, ...] = ("dmz",)


class NetworkService(pulumi.ComponentResource):
    def __init__(self, name: str, args: NetworkServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("govcloud:network:NetworkService", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.router = networking.Router(f"{name}-router", name=f"{args.prefix}-router",
                                        external_network_id=args.external_network_id,
                                        tenant_id=args.project_id, opts=child)
        self.networks: dict[str, networking.Network] = {}
        self.network_names: dict[str, str] = {}
        self.security_groups: dict[str, str] = {}
        self.tier_resources: dict[str, tuple[pulumi.Resource, ...]] = {}
        for s in args.plan.subnets:
            net = networking.Network(f"net-{s.name}", name=f"{args.prefix}-{s.name}", tenant_id=args.project_id,
                                     admin_state_up=True, opts=child)
            sub = networking.Subnet(
                f"subnet-{s.name}", name=f"{args.prefix}-{s.name}", network_id=net.id, tenant_id=args.project_id,
                cidr=s.cidr, ip_version=4, gateway_ip=s.gateway, enable_dhcp=True,
                dns_nameservers=list(args.dns_nameservers),
                allocation_pools=[networking.SubnetAllocationPoolArgs(start=s.pool_start, end=s.pool_end)],
                opts=child)
            networking.RouterInterface(f"rif-{s.name}", router_id=self.router.id, subnet_id=sub.id, opts=child)
            sg_name = f"{args.prefix}-{s.name}"
            sg = networking.SecGroup(f"sg-{s.name}", name=sg_name, tenant_id=args.project_id,
                                     description=f"hosts on {s.name} ({s.cidr})", opts=child)
            networking.SecGroupRule(f"sg-{s.name}-intra", security_group_id=sg.id, direction="ingress",
                                    ethertype="IPv4", remote_ip_prefix=args.plan.supernet, opts=child)
            if s.name in args.public_tiers:
                networking.SecGroupRule(f"sg-{s.name}-https", security_group_id=sg.id, direction="ingress",
                                        ethertype="IPv4", protocol="tcp", port_range_min=443, port_range_max=443,
                                        remote_ip_prefix="0.0.0.0/0", opts=child)
            self.networks[s.name] = net
            self.network_names[s.name] = f"{args.prefix}-{s.name}"
            self.tier_resources[s.name] = (net, sub, sg)
            self.security_groups[s.name] = sg_name
        self.register_outputs({"subnets": {s.name: s.cidr for s in args.plan.subnets}})
