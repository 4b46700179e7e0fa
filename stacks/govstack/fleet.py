"""The host fleet (article 2: 云主机): one instance per planned host.

Each instance boots from a volume on the standard tier, carries its data disks per
tier, a fixed address from the network plan, and its role, system and contracted
add-ons in metadata (the mapping counts add-ons from ``govcloud:addons``). Networks,
flavors and security groups are named (plain values known at declaration) and the
instance depends on those resources explicitly: fewer Outputs per host keeps the
program's cost near the SDK's bare registration cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_openstack import compute

from govcloud.ledger.counting import INSTANCE, META_ADDONS, META_GROUP, META_ROLE, META_SYSTEM
from govcloud.tenancy.hostplan import BOOT_TIER, Host
from govcloud.tenancy.netplan import NetworkPlan

from .ledger import Ledger
from .storage import VOLUME_TYPES


@dataclass(frozen=True)
class HostFleetArgs:
    hosts: tuple[Host, ...]
    network: NetworkPlan
    network_names: dict[str, str]  # tier -> OpenStack network name
    security_groups: dict[str, str]
    image_ids: dict[str, str]  # OS -> image id
    admin_password: pulumi.Output[str]
    flavors: dict[str, pulumi.Resource]  # flavor name -> Flavor
    volume_types: dict[str, pulumi.Resource]  # volume type name -> VolumeTypeV3
    network_resources: dict[str, tuple[pulumi.Resource, ...]]  # tier -> network, subnet, security group


class HostFleet(pulumi.ComponentResource):
    def __init__(self, name: str, args: HostFleetArgs, ledger: Ledger,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("govcloud:compute:HostFleet", name, None, opts)
        addresses = args.network.address_of()
        self.instances: dict[str, compute.Instance] = {}
        for h in args.hosts:
            devices = [{"sourceType": "image", "destinationType": "volume", "volumeSize": h.boot_gb,
                        "volumeType": VOLUME_TYPES[BOOT_TIER], "bootIndex": 0, "deleteOnTermination": True}]
            devices += [{"sourceType": "blank", "destinationType": "volume", "volumeSize": gb,
                         "volumeType": VOLUME_TYPES[tier], "bootIndex": -1, "deleteOnTermination": False}
                        for tier, gb in h.disks]
            metadata = {META_ROLE: h.role, META_SYSTEM: h.system, META_GROUP: h.group,
                        META_ADDONS: ",".join(h.addons)}
            # plain dicts (the SDK's TypedDict form) rather than *Args objects: same wire format,
            # a fraction of the SDK's per-field Output wrapping
            block_devices = [
                {"source_type": d["sourceType"], "destination_type": d["destinationType"],
                 "volume_size": d["volumeSize"], "volume_type": d["volumeType"], "boot_index": d["bootIndex"],
                 "delete_on_termination": d["deleteOnTermination"],
                 **({"uuid": args.image_ids[h.os]} if d["sourceType"] == "image" else {})}
                for d in devices
            ]
            needs = [args.flavors[h.flavor.name], *args.network_resources[h.network],
                     *{args.volume_types[d["volumeType"]] for d in devices}]
            self.instances[h.name] = compute.Instance(
                h.name, name=h.name, flavor_name=h.flavor.name, block_devices=block_devices,
                networks=[{"name": args.network_names[h.network], "fixed_ip_v4": addresses[h.name]}],
                security_groups=[args.security_groups[h.network]], admin_pass=args.admin_password,
                metadata=metadata, tags=[f"role-{h.role}", f"system-{h.system}"],
                opts=pulumi.ResourceOptions(parent=self, depends_on=needs))
            ledger.record(INSTANCE, h.name, {"name": h.name, "flavorName": h.flavor.name,
                                             "blockDevices": devices, "metadata": metadata})
        self.register_outputs({"count": len(args.hosts)})
