"""Contract reports for people (rich tables) and machines (JSON checked against schemas/)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from govcloud.contract.amendments import AmendedContract, prorated_cost
from govcloud.contract.costing import ContractCost
from govcloud.contract.model import Contract, LineItem
from govcloud.contract.money import fmt_yuan, number, plain
from govcloud.schemas import check_output

COST_SCHEMA = "contract-cost.schema.json"
SHOW_SCHEMA = "contract-show.schema.json"


def cost_json(cost: ContractCost, amended: AmendedContract | None = None) -> dict[str, Any]:
    """The cost report: every recomputed figure beside the printed one (decimals as strings)."""
    c = cost.contract
    amended_totals: dict[str, Decimal] = {}
    if amended is not None and amended.amendments:
        amended_totals = {i: prorated_cost(amended, i) for i in amended.all_item_ids()}
    lines = []
    for lc in cost.lines:
        li = lc.item
        row: dict[str, Any] = {
            "id": li.id, "name_zh": li.name_zh, "section": li.section, "unit": li.unit, "unit_zh": li.unit_zh,
            "billing": li.billing, "unit_price": number(li.unit_price), "quantity": number(li.quantity),
            "periods": li.periods, "total": plain(lc.total), "printed_total": plain(li.printed_total),
            "reproduces": lc.reproduces, "clause": li.clause,
        }
        if amended_totals:
            row["amended_total"] = plain(amended_totals[li.id])
        lines.append(row)
    added = []
    if amended_totals:
        for item_id in amended.all_item_ids():  # type: ignore[union-attr]
            if item_id in c.item_ids:
                continue
            li = amended.spans[(item_id, "add")][0].value  # type: ignore[union-attr]
            assert isinstance(li, LineItem)
            added.append({"id": li.id, "name_zh": li.name_zh, "section": li.section, "unit": li.unit,
                          "billing": li.billing, "unit_price": number(li.unit_price), "quantity": number(li.quantity),
                          "amended_total": plain(amended_totals[item_id]), "added_by": li.note})
    sections = []
    for s in cost.sections:
        row = {"id": s.id, "name_zh": s.name_zh, "total": plain(s.total), "printed_total": plain(s.printed_total),
               "reproduces": s.reproduces, "clause": s.clause}
        if amended_totals:
            ids = [li.id for li in c.line_items if li.section == s.id] + [a["id"] for a in added if a["section"] == s.id]
            row["amended_total"] = plain(sum((amended_totals[i] for i in ids), Decimal(0)))
        sections.append(row)
    pay = c.payments
    out: dict[str, Any] = {
        "contract": c.number,
        "source": str(c.source),
        "term": {"start": c.term.start.isoformat(), "end": c.term.end.isoformat(), "months": c.term.months},
        "line_items": lines,
        "sections": sections,
        "grand_total": plain(cost.grand_total),
        "printed_grand_total": plain(c.printed_grand_total),
        "payments": {
            "first": {"amount": plain(pay.first.amount), "share": f"{cost.payments[0].share:.6f}",
                      "clause": pay.first.clause},
            "final": {"amount": plain(pay.final.amount), "share": f"{cost.payments[1].share:.6f}",
                      "clause": pay.final.clause},
            "sum": plain(pay.first.amount + pay.final.amount),
            "performance_bond": {"percent": number(pay.bond_percent), "amount": plain(cost.bond_amount),
                                 "min_validity_months": pay.bond_min_validity_months, "clause": pay.bond_clause},
        },
        "mismatches": [{"path": m.path, "clause": m.clause, "printed": m.printed, "computed": m.computed}
                       for m in cost.mismatches],
        "reproduces": cost.reproduces,
    }
    if amended_totals:
        out["amendments"] = [{"id": a.id, "effective": a.effective.isoformat(),
                              "until": (a.until or c.term.end).isoformat(), "clause": a.clause,
                              "source": str(a.source)} for a in amended.amendments]  # type: ignore[union-attr]
        out["added_items"] = added
        out["amended_grand_total"] = plain(sum(amended_totals.values(), Decimal(0)))
        out["proration"] = "monthly items by day within each calendar month; per-occasion items at each occasion's date"
    check_output(out, COST_SCHEMA)
    return out


def _mark(ok: bool) -> str:
    return "[green]yes[/]" if ok else "[bold red]NO[/]"


def print_cost(cost: ContractCost, report: dict[str, Any], console: Console) -> None:
    """Line items, sections, grand total and payments as tables."""
    c = cost.contract
    amended = "amended_grand_total" in report
    t = Table(title=f"Contract {c.number} — cost recomputed (article 2)", show_lines=False)
    for col, just, width in (("id", "left", 24), ("服务项", "left", 20), ("unit", "left", 10),
                             ("billing", "left", 12), ("unit price", "right", 10), ("qty", "right", 6),
                             ("periods", "right", 7), ("total", "right", 12), ("printed", "right", 12),
                             ("ok", "center", 3)):
        t.add_column(col, justify=just, no_wrap=True, min_width=width)  # type: ignore[arg-type]
    if amended:
        t.add_column("amended", justify="right", min_width=12)
    for row, lc in zip(report["line_items"], cost.lines):
        li = lc.item
        cells = [li.id, li.name_zh[:10], li.unit, li.billing.replace("_", "-"), number(li.unit_price),
                 number(li.quantity), str(li.periods), fmt_yuan(lc.total), fmt_yuan(li.printed_total),
                 _mark(lc.reproduces)]
        if amended:
            cells.append(fmt_yuan(Decimal(row["amended_total"])))
        t.add_row(*cells)
    for a in report.get("added_items", []):
        t.add_row(a["id"], a["name_zh"][:10], a["unit"], a["billing"], a["unit_price"], a["quantity"], "", "", "",
                  "", fmt_yuan(Decimal(a["amended_total"])))
    console.print(t)
    s = Table(title="Sections and total (articles 2, 17)")
    for col in ("section", "computed", "printed", "ok") + (("amended",) if amended else ()):
        s.add_column(col, justify="left" if col == "section" else "right")
    for sec, row in zip(cost.sections, report["sections"]):
        cells = [f"{sec.id} {sec.name_zh}", fmt_yuan(sec.total), fmt_yuan(sec.printed_total), _mark(sec.reproduces)]
        if amended:
            cells.append(fmt_yuan(Decimal(row["amended_total"])))
        s.add_row(*cells)
    grand_ok = cost.grand_total == c.printed_grand_total
    cells = ["合同总金额 grand total", fmt_yuan(cost.grand_total), fmt_yuan(c.printed_grand_total), _mark(grand_ok)]
    if amended:
        cells.append(fmt_yuan(Decimal(report["amended_grand_total"])))
    s.add_row(*cells)
    console.print(s)
    p = Table(title="Payments (articles 17-18)")
    for col in ("payment", "amount", "share", "clause"):
        p.add_column(col, justify="left" if col in ("payment", "clause") else "right")
    pay = report["payments"]
    p.add_row("first 首付款", fmt_yuan(Decimal(pay["first"]["amount"])), f"{Decimal(pay['first']['share']):.2%}",
              pay["first"]["clause"])
    p.add_row("final 尾款", fmt_yuan(Decimal(pay["final"]["amount"])), f"{Decimal(pay['final']['share']):.2%}",
              pay["final"]["clause"])
    p.add_row("first + final", fmt_yuan(Decimal(pay["sum"])), "", "")
    bond = pay["performance_bond"]
    p.add_row(f"performance bond {bond['percent']}% (≥ {bond['min_validity_months']} months)",
              fmt_yuan(Decimal(bond["amount"])), "", bond["clause"])
    console.print(p)
    if cost.mismatches:
        console.print("[bold red]Printed figures that do not reproduce:[/]")
        for m in cost.mismatches:
            console.print(f"  - {m}")
    else:
        console.print(f"[green]Every printed figure reproduces:[/] {fmt_yuan(cost.sections[0].total)} + "
                      + " + ".join(fmt_yuan(sc.total) for sc in cost.sections[1:])
                      + f" = {fmt_yuan(cost.grand_total)} = "
                      + f"{fmt_yuan(c.payments.first.amount)} + {fmt_yuan(c.payments.final.amount)}")


def show_json(contract: Contract, items: dict[str, LineItem], on: date | None,
              amended: AmendedContract | None) -> dict[str, Any]:
    """What is contracted (on a day, amendments applied), with the terms around it."""
    c = contract
    base = {li.id: li for li in c.line_items}
    rows = []
    for item_id, li in items.items():
        changed = [f for f in ("quantity", "unit_price") if item_id in base and getattr(base[item_id], f) != getattr(li, f)]
        rows.append({"id": li.id, "section": li.section, "name_zh": li.name_zh, "unit": li.unit, "unit_zh": li.unit_zh,
                     "billing": li.billing, "unit_price": number(li.unit_price), "quantity": number(li.quantity),
                     "periods": li.periods, "clause": li.clause,
                     "amended": bool(changed) or item_id not in base, "changed_fields": changed})
    out: dict[str, Any] = {
        "contract": c.number,
        "title_zh": c.title_zh,
        "source": str(c.source),
        "on": on.isoformat() if on else None,
        "signed": c.signed.isoformat(),
        "term": {"start": c.term.start.isoformat(), "end": c.term.end.isoformat(), "months": c.term.months,
                 "clause": c.term.clause},
        "parties": {k: {"role_zh": p.role_zh, "name_zh": p.name_zh} for k, p in c.parties.items()},
        "amendments": [a.id for a in amended.amendments] if amended else [],
        "line_items": rows,
        "technical": {"vcpu_min_ghz": number(c.technical.vcpu_min_ghz),
                      "iops": {k: {"min": v[0], "max": v[1]} for k, v in c.technical.iops.items()}},
        "sla": {
            "availability_percent": number(c.sla.availability_percent),
            "data_reliability_percent": number(c.sla.data_reliability_percent),
            "mlps_level": c.sla.mlps_level,
            "scale_out_days": c.sla.scale_out_days,
            "response_minutes": c.sla.response_minutes,
            "on_site_hours": c.sla.on_site_hours,
            "fault_isolation_minutes": c.sla.fault_isolation_minutes,
            "fault_isolation_important_minutes": c.sla.fault_isolation_important_minutes,
        },
        "provisioning_working_days": c.provisioning.working_days,
        "acceptance": [{"id": p.id, "name_zh": p.name_zh, "deliverables": len(p.deliverables_zh)} for p in c.acceptance],
        "incidents": [{"level": lvl.level, "termination_after": lvl.termination_after, "clause": lvl.clause,
                       "events": [e.id for e in lvl.events]} for lvl in c.incidents],
        "exit": [{"id": e.id, "clause": e.clause, "anchor": e.anchor, "offset": e.offset_value,
                  "unit": e.offset_unit, "by": e.by} for e in c.exit_terms],
    }
    check_output(out, SHOW_SCHEMA)
    return out


def print_show(contract: Contract, report: dict[str, Any], console: Console) -> None:
    c = contract
    when = f" on {report['on']}" if report["on"] else ""
    console.print(f"[bold]Contract {c.number}[/] {c.title_zh}")
    console.print(f"  {c.parties['tenant'].name_zh} (甲方) ⇄ {c.parties['provider'].name_zh} (乙方); signed {c.signed}; "
                  f"term {c.term.start} .. {c.term.end} ({c.term.clause})")
    if report["amendments"]:
        console.print(f"  amendments: {', '.join(report['amendments'])}")
    t = Table(title=f"Contracted{when} (article 2: minimums to deliver, maximums to use)")
    for col in ("id", "section", "服务项", "unit", "billing", "unit price", "quantity", "periods", "clause"):
        t.add_column(col, justify="right" if col in ("unit price", "quantity", "periods") else "left", no_wrap=True)
    for r in report["line_items"]:
        flag = " *" if r["amended"] else ""
        t.add_row(r["id"] + flag, r["section"], r["name_zh"][:16], r["unit"], r["billing"], r["unit_price"],
                  r["quantity"], str(r["periods"]), r["clause"])
    console.print(t)
    sla = c.sla
    console.print(
        f"SLA (articles 6-10): availability ≥ {sla.availability_percent}%, data reliability ≥ "
        f"{sla.data_reliability_percent}%, 等保{sla.mlps_level}级, scale-out within {sla.scale_out_days} natural days, "
        f"response {sla.response_minutes} min, on site {sla.on_site_hours} h, fault isolation "
        f"{sla.fault_isolation_minutes} min ({sla.fault_isolation_important_minutes} min for important systems)")
    console.print(f"Provisioning (article 12): {c.provisioning.working_days} working days after a work order. "
                  f"vCPU ≥ {c.technical.vcpu_min_ghz} GHz; IOPS per disk: "
                  + ", ".join(f"{k} {v[0]}-{v[1]}" for k, v in c.technical.iops.items()))
    if report["amendments"]:
        console.print("* changed or added by an amendment")
