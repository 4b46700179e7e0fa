"""Services bought by subscription (article 2): remote access and SSL VPN accounts, deep
monitoring and the 扩展服务 (OS licences, anti-DDoS, antivirus, host protection, hardening,
vulnerability scans, log analysis, database audit, CDN, leased lines)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from .ledger import Ledger
from .subscription import Subscription, SubscriptionArgs


@dataclass(frozen=True)
class SubscribedServicesArgs:
    subscriptions: tuple[SubscriptionArgs, ...]


class SubscribedServices(pulumi.ComponentResource):
    """A service class whose items have no OpenStack API, one ``Subscription`` per item."""

    def __init__(self, type_name: str, name: str, args: SubscribedServicesArgs, ledger: Ledger,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"govcloud:services:{type_name}", name, None, opts)
        self.subscriptions = {
            s.item_id: Subscription(f"sub-{s.item_id.replace('_', '-')}", s, ledger,
                                    pulumi.ResourceOptions(parent=self))
            for s in args.subscriptions
        }
        self.register_outputs({"items": [s.item_id for s in args.subscriptions]})
