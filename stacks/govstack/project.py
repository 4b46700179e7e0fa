"""The tenant project (使用单位's tenancy on the provider's cloud, articles 1 and 12)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_openstack import identity


@dataclass(frozen=True)
class TenantProjectArgs:
    name: str
    description: str
    domain: str
    contract_number: str


class TenantProject(pulumi.ComponentResource):
    def __init__(self, name: str, args: TenantProjectArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("govcloud:tenancy:TenantProject", name, None, opts)
        self.project = identity.Project(
            name,
            name=args.name,
            description=args.description or f"contract {args.contract_number}",
            domain_id=args.domain,
            tags=[f"contract-{args.contract_number}"],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.id = self.project.id
        self.register_outputs({"id": self.project.id})
