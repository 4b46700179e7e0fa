"""Checks per resource, declared ⇄ deployed by URN (driftctl's missing, unmanaged, changed): each is one
cause, its effects the line items the resource counts toward (article 2; articles 7, 77, 79). A host is
an instance: a missing host is one finding whose effects are its flavor's vCPU and memory, its disks
and each add-on it carries; a changed flavor is one finding whose effects are vCPU and memory."""

from __future__ import annotations

from typing import Iterator

from govcloud.checks.context import Context, readable
from govcloud.checks.findings import Effect, Finding
from govcloud.checks.registry import check
from govcloud.checks.resources import clause_of


def _takes(effects: tuple[Effect, ...]) -> str:
    """The effects in a line: ``vcpu -4 vCPU, memory -8 GB, antivirus -1 host``."""
    return ", ".join(e.change for e in effects)


@check("resource.missing", kind="missing", severity="high", clause="article-2",
       title="a declared resource is not deployed", applies_to=("every custom resource", "host"),
       remediation="`pulumi up` to create it again, or remove it from the program (and, below the contract, "
                   "ask the provider for what it owes: article 2)")
def missing(ctx: Context) -> Iterator[Finding]:
    for urn in sorted(ctx.dec.keys() - ctx.dep.keys()):
        r = ctx.dec[urn]
        effects = ctx.effects_of(r, None)
        host = ctx.host_of(r)
        what = f"host {host}" if host else f"{r.type} {r.name}"
        yield missing.finding(effects[0].item, readable(r), "deployed", "absent",
                              f"{what} is declared but not deployed: {_takes(effects)}",
                              clause=clause_of(effects[0].item), effects=effects, urn=urn, host=host)


@check("resource.unmanaged", kind="unmanaged", severity="medium", clause="article-2",
       title="a deployed resource the program does not declare", applies_to=("every custom resource", "host"),
       remediation="`pulumi import` it into the program, or delete it (more than contracted needs a "
                   "supplementary agreement: articles 7, 77, 79)")
def unmanaged(ctx: Context) -> Iterator[Finding]:
    for urn in sorted(ctx.dep.keys() - ctx.dec.keys()):
        r = ctx.dep[urn]
        effects = ctx.effects_of(None, r)
        host = ctx.host_of(r)
        what = f"host {host}" if host else f"{r.type} {r.name}"
        yield unmanaged.finding(effects[0].item, readable(r), "declared by the program", "not declared",
                                f"{what} is deployed but the program does not declare it: {_takes(effects)}",
                                clause=clause_of(effects[0].item), effects=effects, urn=urn, host=host)


@check("resource.drift", kind="drift", severity="medium", clause="article-2",
       title="a deployed attribute differs from the declared one", applies_to=("every custom resource", "host"),
       remediation="`pulumi up` to restore the declared value, or change the program to what is deployed "
                   "(within the contract)")
def drift(ctx: Context) -> Iterator[Finding]:
    for urn in sorted(ctx.changes):
        dec, dep = ctx.dec[urn], ctx.dep[urn]
        host = ctx.host_of(dec)
        for path, want, got in ctx.changes[urn]:
            effects = ctx.effects_of(dec, dep, path)
            yield drift.finding(effects[0].item, readable(dec), str(want), str(got),
                                f"{dec.type} {dec.name}: {path} is {got}, declared {want}"
                                + (f": {_takes(effects)}" if any(e.delta for e in effects) else ""),
                                clause=clause_of(effects[0].item), effects=effects, urn=urn, path=path,
                                host=host)
