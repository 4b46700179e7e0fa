"""Contracted vs declared per line item, with the cost of what is declared (article 2, article 7).

The verdict is the ledger's one judgement (``govcloud.ledger.judgement``): ``ok`` when the
declared quantity equals the contract and the hosts allocate no more; ``under`` when less is
declared (the provider must deliver at least the contract); ``over`` when more is declared or
allocated (needs a supplementary agreement, articles 7, 77, 79).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from govcloud.contract.costing import line_cost, monthly_cost
from govcloud.errors import GovcloudError
from govcloud.exitcodes import EXIT_FINDINGS, EXIT_OK
from govcloud.ledger.counting import Tally, tally
from govcloud.ledger.judgement import Status, judge
from govcloud.plan.runner import MockRun


class PlanError(GovcloudError):
    """The program's declarations cannot be compared with the contract."""


@dataclass(frozen=True)
class ItemLine:
    id: str
    name_zh: str
    unit: str
    clause: str
    billing: str
    contracted: Decimal
    declared: Decimal
    allocated: Decimal | None
    status: Status
    monthly_cost: Decimal
    term_cost: Decimal
    note: str


@dataclass(frozen=True)
class PlanReport:
    stack: str
    contract: str
    items: tuple[ItemLine, ...]
    resources: dict[str, int]
    hosts: int

    @property
    def compliant(self) -> bool:
        return all(i.status == "ok" for i in self.items)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.compliant else EXIT_FINDINGS

    @property
    def monthly_total(self) -> Decimal:
        return sum((i.monthly_cost for i in self.items), Decimal(0))

    @property
    def term_total(self) -> Decimal:
        return sum((i.term_cost for i in self.items), Decimal(0))


def _note(contracted: Decimal, declared: Decimal, allocated: Decimal | None) -> str:
    """Why the item has its status, in the plan's words."""
    parts = []
    if declared > contracted:
        parts.append(f"declared {declared - contracted} more than contracted")
    elif declared < contracted:
        parts.append(f"declared {contracted - declared} less than contracted")
    if allocated is not None and allocated > contracted:
        parts.append(f"hosts allocate {allocated}, {allocated - contracted} more than contracted")
    if not parts and allocated is not None and allocated < declared:
        parts.append(f"{declared - allocated} not allocated to hosts")
    return "; ".join(parts)


def item_lines(counted: Tally, contracted: Mapping[str, Any]) -> tuple[ItemLine, ...]:
    """One line per contracted item: declared (provision) and allocated, judged by the ledger and costed."""
    lines = []
    for item_id, li in contracted.items():
        declared = counted.total(item_id, "provision") or Decimal(0)
        allocated = counted.total(item_id, "allocation")
        lines.append(ItemLine(
            id=item_id, name_zh=li.name_zh, unit=li.unit, clause=li.clause, billing=li.billing,
            contracted=li.quantity, declared=declared, allocated=allocated,
            status=judge(li.quantity, declared, allocated).status,
            monthly_cost=monthly_cost(li, declared), term_cost=line_cost(li, declared),
            note=_note(li.quantity, declared, allocated),
        ))
    return tuple(lines)


def check_declared_output(run: MockRun, counted: Tally) -> None:
    """The program's ``declared`` output must agree with what the runtime registered."""
    declared = run.outputs.get("declared")
    if not isinstance(declared, dict):
        raise PlanError("the program exported no 'declared' output")
    for item_id, entry in declared.items():
        registered = counted.total(item_id, "provision") or Decimal(0)
        if Decimal(str(entry.get("quantity", "0"))) != registered:
            raise PlanError(f"stack output declared.{item_id}.quantity is {entry.get('quantity')} but the "
                            f"registered resources declare {registered}: the program reports one thing and "
                            "declares another")


def build_report(run: MockRun, contract: Any, contracted: Mapping[str, Any]) -> PlanReport:
    """Compare what ``run`` declares (through the counting table) with ``contracted`` (item id -> LineItem)."""
    counted = tally(run.resources)
    unknown = sorted(counted.items() - set(contracted))
    if unknown:
        raise PlanError(f"resources declare line items the contract does not have: {', '.join(unknown)}")
    for item_id, unit in counted.units.items():
        if unit != contracted[item_id].unit:
            raise PlanError(f"subscription for {item_id} is in {unit!r}; the contract counts it in "
                            f"{contracted[item_id].unit!r}")
    check_declared_output(run, counted)
    return PlanReport(run.stack, contract.number, item_lines(counted, contracted), run.counts_by_type(),
                      len(counted.hosts))
