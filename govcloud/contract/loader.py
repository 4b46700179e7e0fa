"""Contract YAML → schema-validated → typed, frozen ``Contract``.

Every problem is reported with the file, the field path, the source line and what
was expected; nothing is written anywhere.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from govcloud.errors import ContractError, Issue
from govcloud.schemas import load_checked
from govcloud.yamldoc import PathKey, YamlDocument, format_path
from govcloud.contract.model import (
    AcceptancePhase,
    Contract,
    ExitTerm,
    IncidentEvent,
    IncidentLevel,
    LineItem,
    Party,
    Payment,
    Payments,
    Provisioning,
    Rule,
    Section,
    Sla,
    Technical,
    Term,
)

SCHEMA = "contract.schema.json"


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def _date(value: str) -> date:
    return date.fromisoformat(value)


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _semantic_issues(doc: YamlDocument) -> list[Issue]:
    """Checks JSON Schema cannot express: references, uniqueness, date order."""
    d = doc.data
    issues: list[Issue] = []

    def issue(path: PathKey, expected: str) -> None:
        issues.append(Issue(str(doc.file), format_path(path), expected, doc.line_of(path)))

    start, end = _date(d["term"]["start"]), _date(d["term"]["end"])
    months = d["term"]["months"]
    if end <= start:
        issue(("term", "end"), f"expected a date after term.start {start}, got {end}")
    elif add_months(start, months) - date.resolution != end:
        issue(("term", "months"),
              f"expected {months} months from {start} to end on {add_months(start, months) - date.resolution}, "
              f"but term.end is {end}")
    section_ids = [s["id"] for s in d["sections"]]
    for i, sid in enumerate(section_ids):
        if sid in section_ids[:i]:
            issue(("sections", i, "id"), f"expected a unique section id; '{sid}' appears twice")
    seen: set[str] = set()
    for i, li in enumerate(d["line_items"]):
        if li["id"] in seen:
            issue(("line_items", i, "id"), f"expected a unique line item id; '{li['id']}' appears twice")
        seen.add(li["id"])
        if li["section"] not in section_ids:
            issue(("line_items", i, "section"),
                  f"expected one of the sections ({', '.join(section_ids)}), got '{li['section']}'")
        if li["billing"] == "monthly" and "occasions" in li:
            issue(("line_items", i, "occasions"), "expected no 'occasions' on a monthly (元/月) item")
        if li["billing"] == "monthly" and li["months_printed"] > months:
            issue(("line_items", i, "months_printed"),
                  f"expected at most the term's {months} months, got {li['months_printed']}")
    for tier, rng in d["technical"]["iops"].items():
        if tier not in seen:
            issue(("technical", "iops", tier), f"expected a storage line item id, got '{tier}'")
        if rng["min"] > rng["max"]:
            issue(("technical", "iops", tier, "max"), f"expected max >= min ({rng['min']}), got {rng['max']}")
    exit_ids = [e["id"] for e in d["exit"]]
    for i, eid in enumerate(exit_ids):
        if eid in exit_ids[:i]:
            issue(("exit", i, "id"), f"expected a unique exit term id; '{eid}' appears twice")
    return issues


def _line_item(li: dict[str, Any]) -> LineItem:
    return LineItem(
        id=li["id"], section=li["section"], service_class_zh=li["service_class_zh"], subclass_zh=li["subclass_zh"],
        name_zh=li["name_zh"], unit=li["unit"], unit_zh=li["unit_zh"], billing=li["billing"],
        unit_price=_dec(li["unit_price"]), quantity=_dec(li["quantity"]), months_printed=li["months_printed"],
        occasions=li.get("occasions"), printed_total=_dec(li["printed_total"]), clause=li["clause"],
        note=li.get("note", ""),
    )


def _payment(name: str, p: dict[str, Any]) -> Payment:
    due = p.get("due") or {}
    return Payment(name=name, amount=_dec(p["amount"]), words_zh=p.get("words_zh", ""), clause=p["clause"],
                   due_after=due.get("after", ""), due_working_days=due.get("working_days"),
                   condition_zh=p.get("condition_zh", ""))


_THRESHOLD_KEYS = ("share_of_systems_above_percent", "share_of_systems_up_to_percent", "min_duration_minutes",
                   "systems_above", "data_older_than_months", "remedy_within_hours")


def _build(doc: YamlDocument) -> Contract:
    d = doc.data
    pay, sla, tech = d["payments"], d["sla"], d["technical"]
    invoice = pay.get("invoice") or {}
    return Contract(
        source=doc.file,
        number=d["number"],
        title_zh=d["title_zh"],
        currency=d["currency"],
        signed=_date(d["signed"]),
        term=Term(_date(d["term"]["start"]), _date(d["term"]["end"]), d["term"]["months"], d["term"]["clause"]),
        parties={k: Party(v.get("role_zh", ""), v["name_zh"], v.get("address_zh", "")) for k, v in d["parties"].items()},
        sections=tuple(Section(s["id"], s["name_zh"], _dec(s["printed_total"]), s["clause"]) for s in d["sections"]),
        line_items=tuple(_line_item(li) for li in d["line_items"]),
        printed_grand_total=_dec(d["printed_grand_total"]),
        printed_grand_total_words_zh=d.get("printed_grand_total_words_zh", ""),
        payments=Payments(
            first=_payment("first", pay["first"]), final=_payment("final", pay["final"]),
            bond_percent=_dec(pay["performance_bond"]["percent"]),
            bond_min_validity_months=pay["performance_bond"]["min_validity_months"],
            bond_clause=pay["performance_bond"]["clause"],
            invoice_working_days=invoice.get("within_working_days"), invoice_clause=invoice.get("clause", ""),
        ),
        technical=Technical(_dec(tech["vcpu_min_ghz"]),
                            {k: (v["min"], v["max"]) for k, v in tech["iops"].items()}),
        sla=Sla(
            availability_percent=_dec(sla["availability_percent"]),
            data_reliability_percent=_dec(sla["data_reliability_percent"]),
            mlps_level=sla["mlps_level"], scale_out_days=sla["scale_out"]["days"],
            scale_out_calendar=sla["scale_out"]["calendar"], hotline_hours=sla["hotline"]["hours"],
            response_minutes=sla["response"]["minutes"], on_site_hours=sla["on_site"]["hours"],
            fault_isolation_minutes=sla["fault_isolation"]["minutes"],
            fault_isolation_important_minutes=sla["fault_isolation"]["important_system_minutes"],
        ),
        provisioning=Provisioning(d["provisioning"]["working_days"], d["provisioning"].get("work_order_zh", ""),
                                  d["provisioning"]["clause"]),
        acceptance=tuple(AcceptancePhase(p["id"], p["name_zh"], tuple(p["deliverables_zh"]))
                         for p in d["acceptance"]["phases"]),
        incidents=tuple(
            IncidentLevel(
                lvl["level"], lvl["termination_after"], lvl["window_months"], lvl["clause"],
                tuple(IncidentEvent(e["id"], e["category_zh"], e["scope_zh"], e["impact_zh"],
                                    tuple((k, _dec(e[k])) for k in _THRESHOLD_KEYS if k in e))
                      for e in lvl["events"]),
            )
            for lvl in d["incidents"]
        ),
        termination=tuple(Rule(r["id"], r["clause"], r["text_zh"]) for r in d["termination"]),
        exit_terms=tuple(ExitTerm(e["id"], e["clause"], e["anchor"], e["offset"]["value"], e["offset"]["unit"],
                                  e["by"], e["text_zh"]) for e in d["exit"]),
        basic_security_services=tuple((s["class_zh"], s["catalogue_zh"], s["items_zh"])
                                      for s in d.get("basic_security_services", [])),
        systems=tuple(d.get("systems", [])),
    )


def load_contract(file: str | Path) -> Contract:
    """Load and validate a contract document; raise ``ContractError`` listing every problem."""
    return _build(load_checked(file, SCHEMA, semantic=_semantic_issues, error=ContractError))
