"""Supplementary agreements (补充协议, articles 7, 77, 79): what is contracted on a day.

An amendment changes a line item's quantity or unit price, or adds an item, from its
``effective`` date to its ``until`` date (default: the end of the term). For one field of
one item, a later-effective change supersedes an earlier open-ended one from its date;
two changes with the same effective date, or a bounded change still running when another
starts, overlap and are an error.

Proration (``prorated_cost``): a monthly (元/月) price is charged per calendar month; in a
month where the quantity or price changes, each part is charged for its share of the
month's days (price × quantity × days ÷ days in that month). A per-occasion (元/次) item
is charged at the quantity and price in force on each occasion's date, the occasions
falling at equal month steps from the term start (vulnerability scans 4×/year: the 1st of
June, September, December and March). The line total is rounded to the fen once, at the end.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Sequence

from govcloud.contract.loader import add_months
from govcloud.contract.model import Contract, LineItem
from govcloud.contract.money import to_fen
from govcloud.errors import ContractError, Issue
from govcloud.schemas import load_checked
from govcloud.yamldoc import PathKey, YamlDocument, format_path

SCHEMA = "amendment.schema.json"
FIELDS = ("quantity", "unit_price")


@dataclass(frozen=True)
class Change:
    """One change of one field of one item, with where it was written."""

    item: str
    field: str
    value: Decimal
    path: str
    line: int | None


@dataclass(frozen=True)
class Amendment:
    source: Path
    id: str
    contract: str
    signed: date
    effective: date
    until: date | None
    clause: str
    reason_zh: str
    changes: tuple[Change, ...]
    added: tuple[tuple[LineItem, str, int | None], ...]  # (item, field path, line)

    def window(self, term_end: date) -> tuple[date, date]:
        return self.effective, self.until or term_end


def load_amendment(file: str | Path) -> Amendment:
    """Load and schema-validate one amendment document (not yet checked against a contract)."""
    return _build(load_checked(file, SCHEMA, error=ContractError))


def _build(doc: YamlDocument) -> Amendment:
    d: dict[str, Any] = doc.data
    changes: list[Change] = []
    added: list[tuple[LineItem, str, int | None]] = []
    issues: list[Issue] = []
    for i, ch in enumerate(d["changes"]):
        base: PathKey = ("changes", i)
        if "add" in ch:
            a = ch["add"]
            added.append((LineItem(
                id=a["id"], section=a["section"], service_class_zh=a.get("service_class_zh", ""),
                subclass_zh=a.get("subclass_zh", ""), name_zh=a["name_zh"], unit=a["unit"], unit_zh=a["unit_zh"],
                billing=a["billing"], unit_price=Decimal(a["unit_price"]), quantity=Decimal(a["quantity"]),
                months_printed=0, occasions=a.get("occasions"), printed_total=Decimal(0), clause=d["clause"],
                note=f"added by {d['id']}"), format_path(base + ("add", "id")), doc.line_of(base + ("add", "id"))))
            continue
        fields = [f for f in FIELDS if f in ch]
        if not fields:
            issues.append(Issue(str(doc.file), format_path(base), "expected 'quantity' or 'unit_price' to change",
                                doc.line_of(base)))
        for f in fields:
            changes.append(Change(ch["item"], f, Decimal(ch[f]), format_path(base + (f,)), doc.line_of(base + (f,))))
    effective = date.fromisoformat(d["effective"])
    until = date.fromisoformat(d["until"]) if "until" in d else None
    if until is not None and until < effective:
        issues.append(Issue(str(doc.file), "until", f"expected a date on or after effective {effective}, got {until}",
                            doc.line_of(("until",))))
    if issues:
        raise ContractError(issues)
    return Amendment(doc.file, d["id"], d["contract"], date.fromisoformat(d["signed"]), effective, until,
                     d["clause"], d.get("reason_zh", ""), tuple(changes), tuple(added))


@dataclass(frozen=True)
class _Span:
    """A value of one field in force over [start, end]."""

    start: date
    end: date
    value: Decimal | LineItem
    amendment: Amendment
    path: str
    line: int | None


@dataclass(frozen=True)
class AmendedContract:
    """A contract with its supplementary agreements, checked against each other."""

    contract: Contract
    amendments: tuple[Amendment, ...]
    spans: dict[tuple[str, str], tuple[_Span, ...]]  # (item, field) → spans; field "add" for added items

    def items_on(self, day: date) -> dict[str, LineItem]:
        """The line items in force on ``day`` with their quantity and price that day."""
        c = self.contract
        if not c.term.contains(day):
            raise ContractError([Issue(str(c.source), "term",
                                       f"expected a date within the term {c.term.start}..{c.term.end}, got {day}")])
        items = {li.id: li for li in c.line_items}
        for (item_id, fld), spans in self.spans.items():
            if fld != "add":
                continue
            for sp in spans:
                if sp.start <= day <= sp.end:
                    assert isinstance(sp.value, LineItem)
                    items[item_id] = sp.value
        for (item_id, fld), spans in self.spans.items():
            if fld == "add" or item_id not in items:
                continue
            for sp in spans:
                if sp.start <= day <= sp.end:
                    items[item_id] = replace(items[item_id], **{fld: sp.value})
        return items

    def all_item_ids(self) -> tuple[str, ...]:
        ids = list(self.contract.item_ids)
        ids += [k[0] for k in self.spans if k[1] == "add" and k[0] not in ids]
        return tuple(ids)

    def change_dates(self) -> tuple[date, ...]:
        """Days on which something changes, for reports."""
        return tuple(sorted({sp.start for spans in self.spans.values() for sp in spans}))


def apply_amendments(contract: Contract, amendments: Sequence[Amendment]) -> AmendedContract:
    """Check amendments against the contract and each other; raise ``ContractError`` on any conflict."""
    issues: list[Issue] = []
    term = contract.term
    spans: dict[tuple[str, str], list[_Span]] = {}

    def bad(a: Amendment, path: str, line: int | None, expected: str) -> None:
        issues.append(Issue(str(a.source), path, expected, line))

    ordered = sorted(amendments, key=lambda a: a.effective)
    for a in ordered:
        if a.contract != contract.number:
            bad(a, "contract", None, f"expected contract number {contract.number}, got {a.contract}")
        for fld, day in (("effective", a.effective), ("until", a.until)):
            if day is not None and not term.contains(day):
                bad(a, fld, None, f"expected a date within the term {term.start}..{term.end}, got {day}")
        start, end = a.window(term.end)
        for li, path, line in a.added:
            if li.id in contract.item_ids or (li.id, "add") in spans:
                bad(a, path, line, f"expected a new item id; '{li.id}' already exists")
                continue
            if li.section not in {s.id for s in contract.sections}:
                bad(a, path.replace(".id", ".section"), line,
                    f"expected one of the sections ({', '.join(s.id for s in contract.sections)}), got '{li.section}'")
            months = _months_between(start, end)
            spans[(li.id, "add")] = [_Span(start, end, replace(li, months_printed=months), a, path, line)]
    if issues:
        raise ContractError(issues)
    for a in ordered:
        start, end = a.window(term.end)
        for ch in a.changes:
            known = ch.item in contract.item_ids
            if not known and (ch.item, "add") in spans:
                added = spans[(ch.item, "add")][0]
                known = added.start <= start and end <= added.end
            if not known:
                bad(a, ch.path.rsplit(".", 1)[0] + ".item", ch.line,
                    f"expected a line item of contract {contract.number} in force from {start} "
                    f"(known: {', '.join(contract.item_ids)}), got '{ch.item}'")
                continue
            lst = spans.setdefault((ch.item, ch.field), [])
            for prev in lst:
                if prev.start == start or (prev.amendment.until is not None and prev.end >= start):
                    bad(a, ch.path, ch.line,
                        f"overlaps {prev.amendment.id} ({prev.amendment.source.name}), which changes "
                        f"{ch.item}.{ch.field} from {prev.start} to {prev.end}; expected one change at a time")
            lst.append(_Span(start, end, ch.value, a, ch.path, ch.line))
    if issues:
        raise ContractError(issues)
    # a later open-ended change supersedes an earlier open-ended one from its own start
    final: dict[tuple[str, str], tuple[_Span, ...]] = {}
    for key, lst in spans.items():
        lst.sort(key=lambda s: s.start)
        cut = []
        for i, sp in enumerate(lst):
            nxt = lst[i + 1] if i + 1 < len(lst) else None
            end = min(sp.end, nxt.start - timedelta(days=1)) if nxt else sp.end
            cut.append(replace(sp, end=end))
        final[key] = tuple(cut)
    return AmendedContract(contract, tuple(ordered), final)


def _months_between(start: date, end: date) -> int:
    """Calendar months touched by [start, end] (used as the months column of an added item)."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def contracted_on(contract: Contract, amendments: Sequence[Amendment], on: date) -> dict[str, LineItem]:
    """What is contracted on ``on``: every line item in force that day, amendments applied."""
    return apply_amendments(contract, amendments).items_on(on)


def _months_of_term(contract: Contract) -> list[tuple[date, date]]:
    """(first, last) day of each calendar month of the term, clipped to the term."""
    out = []
    day = contract.term.start
    while day <= contract.term.end:
        last = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        out.append((day, min(last, contract.term.end)))
        day = last + timedelta(days=1)
    return out


def occasion_dates(start: date, months: int, occasions: int) -> tuple[date, ...]:
    """Dates of a per-occasion item's occasions: equal month steps from ``start`` over ``months``."""
    step = months / occasions
    return tuple(add_months(start, int(i * step)) for i in range(occasions))


def _first_item(amended: AmendedContract, item_id: str) -> tuple[LineItem, date]:
    """The item as first in force (signed or added) and the day it starts."""
    c = amended.contract
    if item_id in c.item_ids:
        return c.item(item_id), c.term.start
    spans = amended.spans.get((item_id, "add"))
    if not spans:
        c.item(item_id)  # raises the unknown-item error
    sp = spans[0]
    assert isinstance(sp.value, LineItem)
    return sp.value, sp.start


def prorated_cost(amended: AmendedContract, item_id: str) -> Decimal:
    """Term cost of one item with amendments, prorated by day (see the module docstring)."""
    c = amended.contract
    item, start = _first_item(amended, item_id)
    total = Decimal(0)
    if item.billing == "per_occasion":
        assert item.occasions is not None
        months = c.term.months if item_id in c.item_ids else item.months_printed
        for day in occasion_dates(start, months, item.occasions):
            li = amended.items_on(day).get(item_id)
            if li is not None:
                total += li.unit_price * li.quantity
        return to_fen(total)
    for first, last in _months_of_term(c):
        days_in_month = calendar.monthrange(first.year, first.month)[1]
        segment: dict[tuple[Decimal, Decimal], int] = {}
        day = first
        while day <= last:
            li = amended.items_on(day).get(item_id)
            if li is not None:
                key = (li.unit_price, li.quantity)
                segment[key] = segment.get(key, 0) + 1
            day += timedelta(days=1)
        for (price, qty), days in segment.items():
            total += price * qty * days / days_in_month if days != days_in_month else price * qty
    if start == c.term.start and item.months_printed != c.term.months:
        total = total * item.months_printed / c.term.months
    return to_fen(total)
