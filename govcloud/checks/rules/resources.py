"""Checks per resource, declared ⇄ deployed by URN (driftctl's missing, unmanaged, changed): each is one
cause, its effects the line items the resource counts toward (article 2; articles 7, 77, 79). A host is
an instance: a missing host is one finding whose effects are its flavor's vCPU and memory, its disks
and each add-on it carries; a changed flavor is one finding whose effects are vCPU and memory."""

from __future__ import annotations

from typing import Any, Iterator

from govcloud.checks.context import Context, readable
from govcloud.checks.findings import Effect, Finding
from govcloud.checks.registry import check
from govcloud.checks.resources import clause_of


def _takes(effects: tuple[Effect, ...]) -> str:
    """The effects in a line: ``vcpu -4 vCPU, memory -8 GB, antivirus -1 host``."""
    return ", ".join(e.change for e in effects)


def _one_sided(ctx: Context, rule: Any, *, declared: bool) -> Iterator[Finding]:
    """One finding per resource on one side only: declared and not deployed (``missing``), or deployed
    and not declared (``unmanaged``), with the items and add-ons it takes away or adds as its effects."""
    side, other = (ctx.dec, ctx.dep) if declared else (ctx.dep, ctx.dec)
    for urn in sorted(side.keys() - other.keys()):
        r = side[urn]
        effects = ctx.effects_of(r, None) if declared else ctx.effects_of(None, r)
        host = ctx.host_of(r)
        what = f"host {host}" if host else f"{r.type} {r.name}"
        if declared:
            expected, actual, why = "deployed", "absent", "is declared but not deployed"
        else:
            expected, actual = "declared by the program", "not declared"
            why = "is deployed but the program does not declare it"
        yield rule.finding(effects[0].item, readable(r), expected, actual, f"{what} {why}: {_takes(effects)}",
                           clause=clause_of(effects[0].item), effects=effects, urn=urn, host=host)


@check("resource.missing", kind="missing", severity="high", clause="article-2",
       title="a declared resource is not deployed", applies_to=("every custom resource", "host"),
       remediation="`pulumi up` to create it again, or remove it from the program (and, below the contract, "
                   "ask the provider for what it owes: article 2)")
def missing(ctx: Context) -> Iterator[Finding]:
    yield from _one_sided(ctx, missing, declared=True)


@check("resource.unmanaged", kind="unmanaged", severity="medium", clause="article-2",
       title="a deployed resource the program does not declare", applies_to=("every custom resource", "host"),
       remediation="`pulumi import` it into the program, or delete it (more than contracted needs a "
                   "supplementary agreement: articles 7, 77, 79)")
def unmanaged(ctx: Context) -> Iterator[Finding]:
    yield from _one_sided(ctx, unmanaged, declared=False)


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
