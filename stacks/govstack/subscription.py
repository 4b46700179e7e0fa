"""A contracted service with no OpenStack API (article 2): anti-DDoS, CDN, leased lines, …

Records the line item id, quantity and unit as the component's inputs, so a state
export carries them and a provider with an API can implement the item later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Mapping

import pulumi

from govcloud.ledger.counting import SUBSCRIPTION

from .ledger import Ledger


@dataclass(frozen=True)
class SubscriptionArgs:
    item_id: str
    quantity: Decimal
    unit: str
    name_zh: str
    clause: str
    attributes: Mapping[str, str] = field(default_factory=dict)


class Subscription(pulumi.ComponentResource):
    """``govcloud:contract:Subscription`` — one contract line item bought as a service."""

    def __init__(self, name: str, args: SubscriptionArgs, ledger: Ledger,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        props = {
            "itemId": args.item_id,
            "quantity": str(args.quantity),
            "unit": args.unit,
            "nameZh": args.name_zh,
            "clause": args.clause,
            "attributes": dict(args.attributes),
        }
        super().__init__(SUBSCRIPTION, name, props, opts)
        ledger.record(SUBSCRIPTION, name, props)
        self.register_outputs({"itemId": args.item_id, "quantity": str(args.quantity), "unit": args.unit})
