"""Costing in ``Decimal``, exact to the fen (article 2 tables, articles 17-18).

Monthly (元/月) items cost unit price × quantity × months; per-occasion (元/次)
items cost unit price × quantity × occasions, whatever the months column says.
Every printed figure is recomputed and reported when it does not reproduce.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from govcloud.contract.model import Contract, LineItem
from govcloud.contract.money import to_fen, words_zh


def line_cost(item: LineItem, quantity: Decimal | None = None) -> Decimal:
    """Term cost of ``item`` (at ``quantity`` if given), rounded to the fen."""
    qty = item.quantity if quantity is None else quantity
    return to_fen(item.unit_price * qty * item.periods)


def monthly_cost(item: LineItem, quantity: Decimal | None = None) -> Decimal:
    """What ``item`` costs in an average month of the term (per-occasion items spread over the months)."""
    qty = item.quantity if quantity is None else quantity
    if item.billing == "monthly":
        return to_fen(item.unit_price * qty)
    return to_fen(item.unit_price * qty * item.periods / item.months_printed)


@dataclass(frozen=True)
class LineCost:
    item: LineItem
    total: Decimal

    @property
    def reproduces(self) -> bool:
        return self.total == self.item.printed_total


@dataclass(frozen=True)
class SectionCost:
    id: str
    name_zh: str
    total: Decimal
    printed_total: Decimal
    clause: str

    @property
    def reproduces(self) -> bool:
        return self.total == self.printed_total


@dataclass(frozen=True)
class Mismatch:
    """A printed figure that does not reproduce: where it is and both values."""

    path: str
    clause: str
    printed: str
    computed: str

    def __str__(self) -> str:
        return f"{self.path} ({self.clause}): printed {self.printed}, computed {self.computed}"


@dataclass(frozen=True)
class PaymentCost:
    name: str
    amount: Decimal
    share: Decimal  # of the grand total, 0..1
    clause: str


@dataclass(frozen=True)
class ContractCost:
    """Every figure of the contract recomputed beside what was printed."""

    contract: Contract
    lines: tuple[LineCost, ...]
    sections: tuple[SectionCost, ...]
    grand_total: Decimal
    payments: tuple[PaymentCost, ...]
    bond_amount: Decimal
    mismatches: tuple[Mismatch, ...]

    @property
    def reproduces(self) -> bool:
        return not self.mismatches


def cost_contract(contract: Contract) -> ContractCost:
    """Recompute lines, sections, the grand total, the payment split and the words (大写)."""
    lines = tuple(LineCost(li, line_cost(li)) for li in contract.line_items)
    mismatches: list[Mismatch] = []
    for i, lc in enumerate(lines):
        if not lc.reproduces:
            li = lc.item
            mismatches.append(Mismatch(
                f"line_items[{i}].printed_total", li.clause, str(li.printed_total),
                f"{lc.total} = {li.unit_price} × {li.quantity} × {li.periods} "
                f"{'occasions' if li.billing == 'per_occasion' else 'months'}"))
    sections = []
    for i, s in enumerate(contract.sections):
        total = sum((lc.total for lc in lines if lc.item.section == s.id), Decimal(0))
        sc = SectionCost(s.id, s.name_zh, total, s.printed_total, s.clause)
        sections.append(sc)
        if not sc.reproduces:
            mismatches.append(Mismatch(f"sections[{i}].printed_total", s.clause, str(s.printed_total),
                                       f"{total} (sum of its line items)"))
    grand = sum((s.total for s in sections), Decimal(0))
    if grand != contract.printed_grand_total:
        mismatches.append(Mismatch("printed_grand_total", "article-17", str(contract.printed_grand_total),
                                   f"{grand} (sum of the sections)"))
    printed_words = contract.printed_grand_total_words_zh
    if printed_words and printed_words != words_zh(contract.printed_grand_total):
        mismatches.append(Mismatch("printed_grand_total_words_zh", "article-17", printed_words,
                                   words_zh(contract.printed_grand_total)))
    pay = contract.payments
    paid = pay.first.amount + pay.final.amount
    if paid != contract.printed_grand_total:
        mismatches.append(Mismatch("payments", pay.final.clause,
                                   f"{pay.first.amount} + {pay.final.amount} = {paid}",
                                   f"expected the grand total {contract.printed_grand_total}"))
    for p in (pay.first, pay.final):
        if p.words_zh and p.words_zh != words_zh(p.amount):
            mismatches.append(Mismatch(f"payments.{p.name}.words_zh", p.clause, p.words_zh, words_zh(p.amount)))
    payments = tuple(PaymentCost(p.name, p.amount, p.amount / grand if grand else Decimal(0), p.clause)
                     for p in (pay.first, pay.final))
    bond = to_fen(contract.printed_grand_total * pay.bond_percent / 100)
    return ContractCost(contract, lines, tuple(sections), grand, payments, bond, tuple(mismatches))
