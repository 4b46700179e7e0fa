"""Checks of the state file itself (article 2: the deployed state must be one that can be trusted)."""

from __future__ import annotations

from typing import Iterator

from govcloud.checks.context import Context, short_type
from govcloud.checks.findings import Finding
from govcloud.checks.registry import check


@check("state.pending-operation", kind="pending-operation", severity="high", clause="article-2",
       title="an interrupted `pulumi up` left pending operations", applies_to=("state",),
       remediation="run `pulumi refresh` (and `pulumi stack export` again) to resolve the pending operations")
def pending_operation(ctx: Context) -> Iterator[Finding]:
    for op in ctx.deployed.pending_operations:
        yield pending_operation.finding(
            "state", f"{op.urn.rsplit('::', 1)[-1]} ({short_type(op.resource_type)})", "no pending operations",
            f"{op.type} {op.resource_type}",
            f"{ctx.deployed.source}: pending operation '{op.type}' on {op.urn}: an interrupted `pulumi up`; "
            "the state cannot be trusted until `pulumi refresh` resolves it", urn=op.urn)
