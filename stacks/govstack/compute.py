"""X86 平台云主机服务 (article 2): compute quota (vCPU, memory) and the flavors hosts use."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pulumi
from pulumi_openstack import compute

from govcloud.ledger.counting import FLAVOR, MB_PER_GB, QUOTA_COMPUTE, SPEC_MIN_GHZ
from govcloud.tenancy.hostplan import Flavor

from .ledger import Ledger


@dataclass(frozen=True)
class CloudHostServiceArgs:
    project_id: pulumi.Input[str]
    vcpus: Decimal  # contracted vCPU (quota cores)
    memory_gb: Decimal  # contracted memory (quota ram, MB in OpenStack)
    instances: int
    flavors: tuple[Flavor, ...]


class CloudHostService(pulumi.ComponentResource):
    def __init__(self, name: str, args: CloudHostServiceArgs, ledger: Ledger,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("govcloud:compute:CloudHostService", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cores, ram = int(args.vcpus), int(args.memory_gb * MB_PER_GB)
        self.quota = compute.QuotaSetV2(f"{name}-quota", project_id=args.project_id, cores=cores, ram=ram,
                                        instances=args.instances, opts=child)
        ledger.record(QUOTA_COMPUTE, f"{name}-quota", {"cores": cores, "ram": ram, "instances": args.instances})
        self.flavors: dict[str, compute.Flavor] = {}
        for f in args.flavors:
            specs = {SPEC_MIN_GHZ: str(f.cpu_min_ghz), "hw:cpu_policy": "shared"}
            self.flavors[f.name] = compute.Flavor(
                f"flavor-{f.name}", name=f.name, vcpus=f.vcpus, ram=f.ram_gb * int(MB_PER_GB), disk=0,
                is_public=False, extra_specs=specs, opts=child)
            ledger.record(FLAVOR, f"flavor-{f.name}",
                          {"name": f.name, "vcpus": f.vcpus, "ram": f.ram_gb * int(MB_PER_GB), "extraSpecs": specs})
        self.register_outputs({"cores": cores, "ram": ram})
