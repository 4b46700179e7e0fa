"""Writers over one plan report: a rich table for people, JSON (schemas/plan.schema.json) for machines."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from govcloud.plan.report import PlanReport

STATUS_STYLE = {"ok": "green", "under": "yellow", "over": "bold red"}


def _n(d: Decimal) -> str:
    """A quantity without trailing zeros, never in exponent form."""
    return format(d.normalize(), "f")


def _money(d: Decimal) -> str:
    return format(d.quantize(Decimal("0.01")), "f")


def to_json(report: PlanReport) -> dict[str, Any]:
    return {
        "schema": "govcloud-plan/1",
        "stack": report.stack,
        "contract": report.contract,
        "compliant": report.compliant,
        "exit_code": report.exit_code,
        "items": [
            {
                "id": i.id, "name_zh": i.name_zh, "unit": i.unit, "clause": i.clause, "billing": i.billing,
                "contracted": _n(i.contracted), "declared": _n(i.declared),
                "allocated": None if i.allocated is None else _n(i.allocated),
                "status": i.status, "monthly_cost": _money(i.monthly_cost), "term_cost": _money(i.term_cost),
                "note": i.note,
            }
            for i in report.items
        ],
        "totals": {"monthly_cost": _money(report.monthly_total), "term_cost": _money(report.term_total)},
        "hosts": report.hosts,
        "resources": {"total": sum(report.resources.values()), "by_type": report.resources},
    }


def write_json(report: PlanReport) -> str:
    from govcloud.schemas import check_output

    doc = to_json(report)
    check_output(doc, "plan.schema.json")
    return json.dumps(doc, ensure_ascii=False, indent=2)


def print_table(report: PlanReport, console: Any) -> None:
    from rich.table import Table

    t = Table(title=f"govcloud plan — stack {report.stack}, contract {report.contract} (article 2)",
              show_lines=False)
    for col, justify in (("item", "left"), ("服务项", "left"), ("unit", "left"), ("contracted", "right"),
                         ("declared", "right"), ("allocated", "right"), ("status", "left"),
                         ("monthly ¥", "right"), ("term ¥", "right"), ("note", "left")):
        wrap = col in ("服务项", "note")
        t.add_column(col, justify=justify, no_wrap=not wrap, overflow="fold")  # type: ignore[arg-type]
    for i in report.items:
        t.add_row(i.id, i.name_zh, i.unit, _n(i.contracted), _n(i.declared),
                  "—" if i.allocated is None else _n(i.allocated),
                  f"[{STATUS_STYLE[i.status]}]{i.status}[/]", _money(i.monthly_cost), _money(i.term_cost), i.note)
    t.add_section()
    t.add_row("total", "", "", "", "", "", "", _money(report.monthly_total), _money(report.term_total), "")
    console.print(t)
    r = Table(title=f"resources declared ({sum(report.resources.values())}; {report.hosts} hosts)")
    r.add_column("type")
    r.add_column("count", justify="right")
    for type_, n in report.resources.items():
        r.add_row(type_, str(n))
    console.print(r)
    verdict = ("[green]compliant: every line item declared as contracted[/]" if report.compliant else
               f"[bold red]not compliant: {sum(i.status != 'ok' for i in report.items)} line item(s) under or over[/]")
    console.print(verdict)
