"""The contract as typed, frozen values (contract 2025095 first).

Quantities in ``line_items`` are minimums the provider must deliver and maximums the
tenant may use without a supplementary agreement (article 2, articles 7, 77, 79).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Literal

Billing = Literal["monthly", "per_occasion"]


@dataclass(frozen=True)
class LineItem:
    """One row of the article 2 tables (基础服务 / 扩展服务)."""

    id: str
    section: str
    service_class_zh: str
    subclass_zh: str
    name_zh: str
    unit: str
    unit_zh: str
    billing: Billing
    unit_price: Decimal
    quantity: Decimal
    months_printed: int
    occasions: int | None
    printed_total: Decimal
    clause: str
    note: str = ""

    @property
    def periods(self) -> int:
        """Months billed for a monthly item; occasions for a per-occasion (元/次) item."""
        if self.billing == "per_occasion":
            assert self.occasions is not None
            return self.occasions
        return self.months_printed


@dataclass(frozen=True)
class Section:
    id: str
    name_zh: str
    printed_total: Decimal
    clause: str


@dataclass(frozen=True)
class Party:
    role_zh: str
    name_zh: str
    address_zh: str = ""


@dataclass(frozen=True)
class Term:
    """Article 13: the rental period, both ends included."""

    start: date
    end: date
    months: int
    clause: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Payment:
    """Articles 17-18."""

    name: str
    amount: Decimal
    words_zh: str
    clause: str
    due_after: str = ""
    due_working_days: int | None = None
    condition_zh: str = ""


@dataclass(frozen=True)
class Payments:
    first: Payment
    final: Payment
    bond_percent: Decimal
    bond_min_validity_months: int
    bond_clause: str
    invoice_working_days: int | None
    invoice_clause: str


@dataclass(frozen=True)
class IopsRange:
    min: int
    max: int
    per: str


@dataclass(frozen=True)
class Technical:
    """Article 2 table footnotes: vCPU clock and single-disk IOPS per storage tier."""

    vcpu_min_ghz: Decimal
    iops: dict[str, tuple[int, int]]


@dataclass(frozen=True)
class Sla:
    """Chapter 3, articles 6-10."""

    availability_percent: Decimal
    data_reliability_percent: Decimal
    mlps_level: int
    scale_out_days: int
    scale_out_calendar: str
    hotline_hours: str
    response_minutes: int
    on_site_hours: int
    fault_isolation_minutes: int
    fault_isolation_important_minutes: int


@dataclass(frozen=True)
class Provisioning:
    """Article 12: resources within N working days of a unified work order."""

    working_days: int
    work_order_zh: str
    clause: str


@dataclass(frozen=True)
class AcceptancePhase:
    """Article 16: deliverables by phase."""

    id: str
    name_zh: str
    deliverables_zh: tuple[str, ...]


@dataclass(frozen=True)
class IncidentEvent:
    id: str
    category_zh: str
    scope_zh: str
    impact_zh: str
    thresholds: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True)
class IncidentLevel:
    """Annex 3 levels: N events of this level within the window give a right to terminate."""

    level: str
    termination_after: int
    window_months: int
    clause: str
    events: tuple[IncidentEvent, ...]


@dataclass(frozen=True)
class Rule:
    """A termination rule (articles 53-56)."""

    id: str
    clause: str
    text_zh: str


@dataclass(frozen=True)
class ExitTerm:
    """An exit obligation (articles 14, 57-59, 68, 71, 73) as an offset from an anchor date.

    ``unit`` is ``day`` (natural days, 天/日), ``working_day`` (工作日), ``month`` or ``year``.
    """

    id: str
    clause: str
    anchor: str
    offset_value: int
    offset_unit: str
    by: str
    text_zh: str


@dataclass(frozen=True)
class Contract:
    source: Path
    number: str
    title_zh: str
    currency: str
    signed: date
    term: Term
    parties: dict[str, Party]
    sections: tuple[Section, ...]
    line_items: tuple[LineItem, ...]
    printed_grand_total: Decimal
    printed_grand_total_words_zh: str
    payments: Payments
    technical: Technical
    sla: Sla
    provisioning: Provisioning
    acceptance: tuple[AcceptancePhase, ...]
    incidents: tuple[IncidentLevel, ...]
    termination: tuple[Rule, ...]
    exit_terms: tuple[ExitTerm, ...]
    basic_security_services: tuple[tuple[str, str, str], ...]
    systems: tuple[dict[str, object], ...]

    @property
    def term_start(self) -> date:
        return self.term.start

    @property
    def term_end(self) -> date:
        return self.term.end

    def item(self, item_id: str) -> LineItem:
        """The line item ``item_id``; an unknown id is a ``ContractError``."""
        for li in self.line_items:
            if li.id == item_id:
                return li
        from govcloud.errors import ContractError, Issue

        raise ContractError([Issue(str(self.source), "line_items",
                                   f"no line item '{item_id}' (known: {', '.join(self.item_ids)})")])

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(li.id for li in self.line_items)

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)
