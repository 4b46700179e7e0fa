"""北京市政务云平台资产信息统计表 (article 16, 调研实施阶段): the stack's hosts as assets, and their sum against the
contract's quantities (article 2).

Per host: system, role, flavor, vCPU and memory, disks by storage tier, address, the add-ons it carries, and what
the harden evidence measured (disks, operating system). Sizes come from the deployed state when an export is given
(counted by the ledger's table, as ``govcloud check`` counts), else from the stack's host plan; a host the evidence
does not cover reads ``无证据`` — no figure is invented. The totals sheet sets the hosts' sum beside each contracted
quantity (vCPU, memory, storage tiers, per-host add-ons), judged by the ledger's one rule: less is ``under``
(article 2: 数量上不低于最低要求), more is ``over`` (articles 7, 77, 79).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from govcloud.checks.quantities import count
from govcloud.contract.costing import line_cost
from govcloud.hosts.inventory import stack_outputs_file
from govcloud.ledger import judgement
from govcloud.ledger.counting import GB_PER_TB, INSTANCE
from govcloud.ledger.judgement import Status
from govcloud.paths import PROJECT_ROOT
from govcloud.state.export import Deployment
from govcloud.tenancy.addons import ADDON_ITEMS
from govcloud.tenancy.config import load_stack_settings, stack_file
from govcloud.tenancy.hostplan import TIERS, HostPlan, load_host_plan

from .catalog import MapEntry
from .model import DeliverableInputs, Document
from .workbook import (
    NO_EVIDENCE,
    Cell,
    Column,
    SheetSpec,
    addon_names,
    document,
    evidence_note,
    flag,
    heading,
    item_name,
    measured_disks,
    os_name,
    require_hosts,
)

UNKNOWN = "未知"
VERDICT_ZH = {Status.UNDER: "低于合同", Status.OVER: "高于合同", Status.OK: "一致"}
VERDICT_NOTE = {Status.UNDER: "低于合同数量（第二条：数量上不低于最低要求）",
                Status.OVER: "高于合同数量：超出部分需补充协议（第七、七十七、七十九条）", Status.OK: ""}
BILLING_ZH = {"monthly": "按月", "per_occasion": "按次"}


@dataclass(frozen=True)
class Sizing:
    """What one host is given: vCPU, memory (GB) and disk GB per storage tier (None: not known)."""

    vcpus: int | None = None
    memory_gb: Decimal | None = None
    disks_gb: dict[str, Decimal] | None = None


@dataclass(frozen=True)
class Sizes:
    """Every host's sizing from one source, and which."""

    source: str
    hosts: dict[str, Sizing] = field(default_factory=dict)
    flavors: dict[str, Sizing] = field(default_factory=dict)  # flavor name -> vCPU and memory
    systems: dict[str, str] = field(default_factory=dict)  # system id -> name_zh (article 1)

    def of(self, name: str, flavor: str) -> Sizing:
        """Host ``name`` of flavor ``flavor`` (as the stack outputs say): vCPU and memory of the flavor where the
        source sizes flavors (the host plan), else of the host (the deployed state); disks of the host."""
        host = self.hosts.get(name, Sizing())
        size = self.flavors.get(flavor, host)
        return Sizing(size.vcpus, size.memory_gb, host.disks_gb)


def _from_export(dep: Deployment) -> Sizes:
    """Deployed sizes, counted by the ledger's table (flavors, block devices by volume type → tier)."""
    tally = count(dep, "deployed")
    names = {r.name: str(r.prop("name") or r.name) for r in dep.of_type(INSTANCE)}
    disks: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for c in tally.contributions:
        if c.item in TIERS and c.resource in names:
            d = disks[names[c.resource]]
            d[c.item] = d.get(c.item, Decimal(0)) + c.quantity * GB_PER_TB
    hosts = {h.name: Sizing(h.vcpus, h.ram_gb, {t: disks[h.name].get(t, Decimal(0)) for t in TIERS})
             for h in tally.hosts}
    return Sizes(f"部署状态 {dep.source.name}", hosts)


def _plan(stack: str) -> HostPlan | None:
    """The stack's host plan, or None for a stack without settings (``Pulumi.<stack>.yaml``)."""
    if not stack_file(PROJECT_ROOT, stack).exists():
        return None
    return load_host_plan(load_stack_settings(stack).host_plan_path)


def _from_plan(plan: HostPlan) -> Sizes:
    hosts = {h.name: Sizing(disks_gb={t: Decimal(h.disk_gb(t)) for t in TIERS}) for h in plan.hosts}
    flavors = {f.name: Sizing(f.vcpus, Decimal(f.ram_gb)) for f in plan.flavors}
    where = plan.source.relative_to(PROJECT_ROOT) if plan.source.is_relative_to(PROJECT_ROOT) else plan.source
    return Sizes(f"主机规划 {where}", hosts, flavors)


def sizes(inputs: DeliverableInputs) -> Sizes:
    """Host sizes from the export if given, else the stack's host plan; system names from the plan."""
    plan = _plan(inputs.stack)
    systems = {s.id: s.name_zh for s in plan.systems} if plan else {}
    if inputs.export is not None:
        base = _from_export(inputs.export)
    elif plan is not None:
        base = _from_plan(plan)
    else:
        base = Sizes("无（未提供部署状态，栈无主机规划）")
    return Sizes(base.source, base.hosts, base.flavors, systems)


def _known(value: Any) -> Any:
    return Cell(UNKNOWN, True) if value is None else value


def _host_sheet(inputs: DeliverableInputs, entry: MapEntry, sz: Sizes) -> SheetSpec:
    ev = inputs.evidence
    columns = (Column("主机名"), Column("信息系统"), Column("角色"), Column("规格"), Column("vCPU", "int"),
               Column("内存(GB)", "int"), *(Column(f"{item_name(inputs, t)}(GB)", "int") for t in TIERS),
               Column("磁盘(实测)"), Column("IP 地址"), Column("安全增值服务", wrap=True), Column("操作系统"),
               Column("证据"))
    rows = []
    for h in inputs.hosts:
        s = sz.of(h.name, h.flavor)
        evh = ev.hosts.get(h.name) if ev is not None else None
        disks = s.disks_gb or {}
        rows.append((h.name, sz.systems.get(h.system, h.system), h.role, h.flavor, _known(s.vcpus),
                     _known(s.memory_gb), *(_known(disks.get(t)) for t in TIERS), measured_disks(evh), h.address,
                     addon_names(inputs, h.addons), os_name(evh),
                     flag("有" if evh is not None else NO_EVIDENCE, evh is None)))
    return SheetSpec("主机资产", heading(inputs, entry, f"规格与磁盘来源：{sz.source}", evidence_note(ev)),
                     columns, tuple(rows))


def _sums(inputs: DeliverableInputs, sz: Sizes) -> dict[str, tuple[Decimal, int]]:
    """Per line item the hosts' sum in the item's unit, and how many hosts it could not count (size unknown)."""
    out: dict[str, tuple[Decimal, int]] = {}
    per_host = [sz.of(h.name, h.flavor) for h in inputs.hosts]
    figures = {"vcpu": [None if s.vcpus is None else Decimal(s.vcpus) for s in per_host],
               "memory": [s.memory_gb for s in per_host]}
    for t in TIERS:
        figures[t] = [None if s.disks_gb is None else s.disks_gb.get(t, Decimal(0)) / GB_PER_TB for s in per_host]
    for item, values in figures.items():
        out[item] = (sum((v for v in values if v is not None), Decimal(0)), sum(v is None for v in values))
    for addon in ADDON_ITEMS:
        out[addon] = (Decimal(sum(addon in h.addons for h in inputs.hosts)), 0)
    return out


def _totals_sheet(inputs: DeliverableInputs, entry: MapEntry, sz: Sizes) -> SheetSpec:
    columns = (Column("合同项目"), Column("单位"), Column("合同数量", "int"), Column("主机合计", "int"),
               Column("差额", "int"), Column("占合同比例", "percent3"), Column("结论"), Column("说明", wrap=True),
               Column("计费"), Column("单价(元)", "decimal2"), Column("合同金额(元)", "decimal2"), Column("条款"))
    sums = _sums(inputs, sz)
    rows = []
    for li in inputs.contract.line_items:
        if li.id not in sums:
            continue
        total, unknown = sums[li.id]
        status = judgement.provision(li.quantity, total)
        bad = status is not Status.OK
        kind = "decimal3" if li.unit == "TB" else "int"
        notes = [VERDICT_NOTE[status]] + ([f"{unknown} 台主机大小未知，未计入"] if unknown else [])
        share = total / li.quantity if li.quantity else None
        rows.append((item_name(inputs, li.id), li.unit_zh, Cell(li.quantity, kind=kind), Cell(total, bad, kind),
                     Cell(total - li.quantity, bad, kind), share, flag(VERDICT_ZH[status], bad),
                     "；".join(n for n in notes if n), BILLING_ZH.get(li.billing, li.billing), li.unit_price,
                     line_cost(li), li.clause))
    note = (f"主机合计：栈 {inputs.stack} 的 {len(inputs.hosts)} 台主机（{stack_outputs_file(inputs.stack).name}），"
            f"规格与磁盘来源：{sz.source}；存储 1 TB = 1024 GB")
    return SheetSpec("合同对照", heading(inputs, entry, note), columns, tuple(rows))


def build(inputs: DeliverableInputs, entry: MapEntry) -> Document:
    """The asset inventory: 主机资产 (one row per host) and 合同对照 (the hosts' sum against article 2)."""
    require_hosts(inputs, entry)
    sz = sizes(inputs)
    return document(inputs, entry, [_host_sheet(inputs, entry, sz), _totals_sheet(inputs, entry, sz)])
