"""Checks per contracted line item: the ledger's verdicts (``govcloud.ledger.judgement``) of what is
declared, deployed and allocated against the contract. Each verdict is an effect of the causes that
explain it (``govcloud.checks.causes``) and stands as a finding of its own only when none does
(e.g. a program that declares less than the contract)."""

from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from govcloud.checks.context import Context
from govcloud.checks.findings import Finding
from govcloud.checks.quantities import fmt
from govcloud.checks.registry import Check, check
from govcloud.ledger.judgement import Status

ITEM = ("line item",)
AMEND = "supplementary agreement (articles 7, 77, 79)"


def _each(ctx: Context, c: Check, when, expected, actual, message) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
    for r in ctx.items:
        if when(r):
            yield c.finding(r.id, f"{r.id} (line item)", expected(r), actual(r), message(r), clause=r.clause)


@check("item.unverifiable", kind="unverifiable", severity="low", clause="article-2", stage="item",
       title="the deployed quantity of a line item is not measured", applies_to=ITEM,
       remediation="give `govcloud check` the deployed state (`pulumi stack export`)")
def unverifiable(ctx: Context) -> Iterator[Finding]:
    return _each(ctx, unverifiable, lambda r: r.deployment is Status.UNVERIFIABLE,
                 lambda r: fmt(r.contracted, r.unit), lambda r: "not measured",
                 lambda r: f"{r.id}: no deployed state given, so the deployed quantity is not measured")


@check("item.missing", kind="missing", severity="high", clause="article-2", stage="item",
       title="a declared line item has nothing deployed", applies_to=ITEM,
       remediation="`pulumi up` what the program declares for it")
def missing(ctx: Context) -> Iterator[Finding]:
    return _each(ctx, missing, lambda r: r.deployment is Status.MISSING, lambda r: fmt(r.declared, r.unit),
                 lambda r: "nothing deployed", lambda r: f"{r.id}: declared {fmt(r.declared, r.unit)}, nothing deployed")


@check("item.unmanaged", kind="unmanaged", severity="medium", clause="article-2", stage="item",
       title="a line item is deployed but not declared", applies_to=ITEM,
       remediation="declare it in the program (`pulumi import`), or remove it")
def unmanaged(ctx: Context) -> Iterator[Finding]:
    return _each(ctx, unmanaged, lambda r: r.deployment is Status.UNMANAGED, lambda r: "nothing declared",
                 lambda r: fmt(r.deployed, r.unit),
                 lambda r: f"{r.id}: deployed {fmt(r.deployed, r.unit)} that the program does not declare")


@check("item.drift", kind="drift", severity="medium", clause="article-2", stage="item",
       title="a line item's deployed quantity differs from the declared one", applies_to=ITEM,
       remediation="`pulumi up`, or change the program to what is deployed (within the contract)")
def drift(ctx: Context) -> Iterator[Finding]:
    return _each(ctx, drift, lambda r: r.deployment is Status.DRIFT, lambda r: fmt(r.declared, r.unit),
                 lambda r: fmt(r.deployed, r.unit),
                 lambda r: f"{r.id}: deployed {fmt(r.deployed, r.unit)}, declared {fmt(r.declared, r.unit)}")


@check("item.under", kind="under", severity="high", clause="article-2", stage="item",
       title="less is provided than the contract buys", applies_to=ITEM,
       remediation="the provider owes the difference (article 2): raise the quota or subscription to the contract")
def under(ctx: Context) -> Iterator[Finding]:
    return _each(ctx, under, lambda r: r.provided is Status.UNDER, lambda r: f">= {fmt(r.contracted, r.unit)}",
                 lambda r: fmt(r.provisioned or Decimal(0), r.unit),
                 lambda r: f"{r.id}: deployed {fmt(r.provisioned, r.unit)}, contracted {fmt(r.contracted, r.unit)}: "
                           f"{r.contracted - (r.provisioned or Decimal(0))} {r.unit} short ({r.clause})")


@check("item.over", kind="over", severity="medium", clause="article-77", stage="item",
       title="more is provided than the contract buys", applies_to=ITEM,
       remediation=f"lower it to the contract, or sign a {AMEND}")
def over(ctx: Context) -> Iterator[Finding]:
    return _each(ctx, over, lambda r: r.provided is Status.OVER, lambda r: f"<= {fmt(r.contracted, r.unit)}",
                 lambda r: fmt(r.provisioned, r.unit),
                 lambda r: f"{r.id}: deployed {fmt(r.provisioned, r.unit)}, contracted {fmt(r.contracted, r.unit)}: "
                           f"more needs a {AMEND}")


@check("item.over-allocated", kind="over", severity="medium", clause="article-77", stage="item",
       title="the hosts use more than the contract buys", applies_to=ITEM,
       remediation=f"resize or remove hosts, or sign a {AMEND}")
def over_allocated(ctx: Context) -> Iterator[Finding]:
    return _each(ctx, over_allocated, lambda r: r.over_allocated, lambda r: f"<= {fmt(r.contracted, r.unit)}",
                 lambda r: f"{fmt(r.allocated, r.unit)} allocated to hosts",
                 lambda r: f"{r.id}: hosts use {fmt(r.allocated, r.unit)}, contracted {fmt(r.contracted, r.unit)}: "
                           f"more needs a {AMEND}")

