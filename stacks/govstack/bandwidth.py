"""互联网链路服务 (article 2): internet bandwidth for online hearings, a QoS bandwidth limit."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pulumi
from pulumi_openstack import networking

from govcloud.ledger.counting import BANDWIDTH_RULE, KBPS_PER_GBPS

from .ledger import Ledger


@dataclass(frozen=True)
class InternetLinkServiceArgs:
    project_id: pulumi.Input[str]
    gbps: Decimal


class InternetLinkService(pulumi.ComponentResource):
    def __init__(self, name: str, args: InternetLinkServiceArgs, ledger: Ledger,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("govcloud:network:InternetLinkService", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.policy = networking.QosPolicy(f"{name}-policy", name=f"{name}-internet",
                                           description="在线庭审互联网带宽 (article 2)",
                                           project_id=args.project_id, shared=False, opts=child)
        kbps = int(args.gbps * KBPS_PER_GBPS)
        self.rule = networking.QosBandwidthLimitRule(f"{name}-limit", qos_policy_id=self.policy.id,
                                                     max_kbps=kbps, max_burst_kbps=kbps // 10,
                                                     direction="egress", opts=child)
        ledger.record(BANDWIDTH_RULE, f"{name}-limit", {"maxKbps": kbps, "direction": "egress"})
        self.register_outputs({"maxKbps": kbps})
