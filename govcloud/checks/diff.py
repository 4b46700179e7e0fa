"""What a proposed change does to the contract: per line item, the quantity and the monthly
and term cost before and after, and whether it takes the tenancy over the contract (which
needs a supplementary agreement, articles 7, 77, 79) or under it (article 2).

From a ``pulumi preview --json`` digest, or offline from the program and a state export
(``govcloud plan --against``). Counting goes through the ledger's counting table, and the
verdict before and after is the ledger's one judgement: what is provided under or over the
contract, and what the hosts allocate over it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Iterable, Mapping

from govcloud.checks.quantities import as_resource
from govcloud.contract.costing import line_cost, monthly_cost
from govcloud.contract.money import fmt_yuan, number, plain
from govcloud.ledger.counting import Resource, Tally, tally
from govcloud.ledger.judgement import Status, judge
from govcloud.schemas import check_output
from govcloud.state.export import Deployment, StateResource
from govcloud.state.preview import Preview

SCHEMA = "diff.schema.json"
DELETES = {"delete", "delete-replaced", "discard", "discard-replaced", "read-discard"}


@dataclass(frozen=True)
class ItemDiff:
    id: str
    name_zh: str
    unit: str
    contracted: Decimal
    before: Decimal
    after: Decimal
    monthly_before: Decimal
    monthly_after: Decimal
    term_before: Decimal
    term_after: Decimal
    allocated_before: Decimal | None = None  # what the hosts use (flavors, disks, volumes, add-ons)
    allocated_after: Decimal | None = None

    @property
    def status_before(self) -> Status:
        return judge(self.contracted, self.before, self.allocated_before).status

    @property
    def status_after(self) -> Status:
        return judge(self.contracted, self.after, self.allocated_after).status

    @property
    def changed(self) -> bool:
        """The quantity provided changes."""
        return self.before != self.after

    @property
    def allocation_changed(self) -> bool:
        """What the hosts allocate changes (a flavor, a disk, a volume, an add-on)."""
        return self.allocated_before != self.allocated_after

    @property
    def leaves_contract(self) -> bool:
        """The change touches this item and leaves it under or over the contract."""
        return (self.changed or self.allocation_changed) and self.status_after != Status.OK


@dataclass(frozen=True)
class DiffReport:
    source: str
    contract: str
    stack: str  # the stack whose preview or export was priced (a deliverable refuses another stack's)
    on: date  # the day whose contract prices the change: the preview's date
    steps: Mapping[str, int]
    items: tuple[ItemDiff, ...]

    @property
    def needs_amendment(self) -> bool:
        """The change takes an item over the contract (articles 7, 77, 79): more provided or allocated than before."""
        return any(i.status_after == Status.OVER
                   and (i.after > i.before or _more(i.allocated_after, i.allocated_before)) for i in self.items)

    def total(self, attr: str) -> Decimal:
        return sum((getattr(i, attr) for i in self.items), Decimal(0))


def _more(after: Decimal | None, before: Decimal | None) -> bool:
    return (after or Decimal(0)) > (before or Decimal(0))


def _counted(rs: Iterable[StateResource], side: str) -> list[Resource]:
    return [as_resource(r, side) for r in rs if r.custom or r.type.startswith("govcloud:")]


def diff_tallies(source: str, contract_number: str, stack: str, contracted: Mapping[str, Any], on: date,
                 before: Tally, after: Tally, steps: Mapping[str, int]) -> DiffReport:
    items = []
    for item_id, li in contracted.items():
        b = before.total(item_id, "provision") or Decimal(0)
        a = after.total(item_id, "provision") or Decimal(0)
        items.append(ItemDiff(item_id, li.name_zh, li.unit, li.quantity, b, a, monthly_cost(li, b),
                              monthly_cost(li, a), line_cost(li, b), line_cost(li, a),
                              before.total(item_id, "allocation"), after.total(item_id, "allocation")))
    return DiffReport(source, contract_number, stack, on, dict(steps), tuple(items))


def from_preview(preview: Preview, contract_number: str, stack: str, contracted: Mapping[str, Any],
                 on: date) -> DiffReport:
    """Before: every step's old state; after: every step's new state, deletions dropped. A proposed
    change is counted from the program's inputs; a refresh step's new state from its outputs, which
    are what the cloud holds now (the drift a ``pulumi refresh --preview-only`` finds)."""
    before = [s.old for s in preview.steps if s.old is not None]
    before += [s.new for s in preview.steps if s.old is None and s.op in ("same", "read") and s.new is not None]
    after = [s.new for s in preview.steps if s.new is not None and s.op not in DELETES and s.op != "refresh"]
    after += [s.old for s in preview.steps if s.new is None and s.op == "same" and s.old is not None]
    refreshed = [s.new for s in preview.steps if s.new is not None and s.op == "refresh"]
    steps = Counter(s.op for s in preview.steps)
    return diff_tallies(str(preview.source), contract_number, stack, contracted, on,
                        tally(_counted(before, "deployed")),
                        tally(_counted(after, "declared") + _counted(refreshed, "deployed")), steps)


def _differs(declared: StateResource, deployed: StateResource) -> bool:
    from govcloud.checks.resources import property_diff

    out: list[tuple[str, Any, Any]] = []
    property_diff(dict(declared.inputs), {**deployed.inputs, **deployed.outputs}, "", out)
    return bool(out)


def from_states(deployed: Deployment, declared: Deployment, contract_number: str, stack: str,
                contracted: Mapping[str, Any], on: date) -> DiffReport:
    """The steps `pulumi preview` would take, computed offline: the program against an export."""
    dep = {r.urn: r for r in deployed.resources if r.custom or r.type.startswith("govcloud:")}
    dec = {r.urn: r for r in declared.resources if r.custom or r.type.startswith("govcloud:")}
    steps: Counter[str] = Counter()
    for urn in dec.keys() | dep.keys():
        if urn not in dep:
            steps["create"] += 1
        elif urn not in dec:
            steps["delete"] += 1
        elif _differs(dec[urn], dep[urn]):
            steps["update"] += 1
        else:
            steps["same"] += 1
    return diff_tallies(str(deployed.source), contract_number, stack, contracted, on,
                        tally(_counted(dep.values(), "deployed")), tally(_counted(dec.values(), "declared")), steps)


def to_json(report: DiffReport) -> dict[str, Any]:
    out = {
        "source": report.source, "contract": report.contract, "stack": report.stack, "on": report.on.isoformat(),
        "steps": dict(sorted(report.steps.items())), "needs_amendment": report.needs_amendment,
        "monthly_before": plain(report.total("monthly_before")), "monthly_after": plain(report.total("monthly_after")),
        "term_before": plain(report.total("term_before")), "term_after": plain(report.total("term_after")),
        "items": [{"id": i.id, "name_zh": i.name_zh, "unit": i.unit, "contracted": number(i.contracted),
                   "before": number(i.before), "after": number(i.after),
                   "monthly_before": plain(i.monthly_before), "monthly_after": plain(i.monthly_after),
                   "term_before": plain(i.term_before), "term_after": plain(i.term_after),
                   "status_before": i.status_before, "status_after": i.status_after, "changed": i.changed,
                   "leaves_contract": i.leaves_contract}
                  for i in report.items],
    }
    check_output(out, SCHEMA)
    return out


def to_markdown(report: DiffReport) -> str:
    changed = [i for i in report.items if i.changed or i.leaves_contract]
    steps = ", ".join(f"{n} {op}" for op, n in sorted(report.steps.items()) if op != "same") or "no changes"
    head = [f"### govcloud diff — contract {report.contract}, stack {report.stack}, on {report.on}", "",
            f"Steps: {steps}.", ""]
    if not changed:
        return "\n".join(head + ["No contracted quantity changes."]) + "\n"
    if report.needs_amendment:
        head.append("**⚠️ This change takes the tenancy over the contract: it needs a supplementary agreement "
                    "(补充协议, articles 7, 77, 79) before it is applied.**")
        head.append("")
    lines = ["| line item | contracted | before | after | monthly before | monthly after | term after | verdict |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for i in changed:
        verdict = {"over": "over contract: needs an amendment", "under": "under contract (article 2)",
                   "ok": "within contract"}[i.status_after]
        if i.allocated_after is not None and i.allocated_after > i.contracted:
            verdict += f" (hosts allocate {number(i.allocated_after)})"
        lines.append(f"| `{i.id}` {i.name_zh} | {number(i.contracted)} {i.unit} | {number(i.before)} | "
                     f"{number(i.after)} | {fmt_yuan(i.monthly_before)} | {fmt_yuan(i.monthly_after)} | "
                     f"{fmt_yuan(i.term_after)} | {verdict} |")
    delta = report.total("monthly_after") - report.total("monthly_before")
    lines += ["", f"Monthly cost {fmt_yuan(report.total('monthly_before'))} → {fmt_yuan(report.total('monthly_after'))} "
                  f"({'+' if delta >= 0 else '−'}{fmt_yuan(abs(delta))} yuan)."]
    return "\n".join(head + lines) + "\n"
