"""北京市政务云平台容量管理报告 (article 16, 运维阶段; map status ``partial``): contracted, deployed and used capacity per
line item, and a forecast only where a series over months exists.

* 容量对照 — per contracted line item (article 2, amendments applied on the period's last day): the contracted
  quantity, what the program declares (``--declared``, as ``govcloud plan --export-state`` writes it) and what the
  stack's export deploys, counted by the ledger's table and judged by the ledger's one rule exactly as ``govcloud
  check`` judges them (the checks' own ``Context.items``), the headroom and each share of the contract, with a chart
  of the shares drawn from those cells. Less than contracted is ``under`` (article 2: the provider owes it), more is
  ``over`` (articles 7, 77, 79: a supplementary agreement first); deployed unlike declared is drift.
* 使用情况 — with ``--prometheus``: per host of the stack, the node exporter's CPU, memory and filesystem use over
  the period, matched to the host by the ``instance`` label's address; without it the sheet says so and holds no
  figure.
* 趋势与预测 — one row per month of the term: vCPU and memory contracted that month (amendments applied on its last
  day), deployed (the export, in the period's month), seen by the node exporter and forecast. A linear forecast needs
  a series over months: with ``--prometheus``, the vCPU and memory the node exporter saw in each month of the term, and
  line charts of them against the contract; a single export is one point, and the sheet says there is no forecast
  rather than drawing one.
* 容量规划结论 — left empty for the operations lead (由运维负责人填写).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from govcloud.checks.context import Context
from govcloud.checks.quantities import ItemResult, count
from govcloud.contract.model import LineItem
from govcloud.ledger.judgement import Status, worst
from govcloud.sla.prom import PromClient, window
from govcloud.state.export import Deployment

from .assets import VERDICT_ZH
from .catalog import MapEntry
from .model import BEIJING, DeliverableInputs, Document
from .package import SOURCE_FLAGS, MissingInput
from .workbook import Cell, Chart, Column, SheetSpec, document, flag, heading, item_name

NO_PROMETHEUS = "未提供监控数据"
NOT_GIVEN = "未提供"
#: deployed against declared (the ledger's deployment statuses), as the 声明与部署 column says it
DEPLOYMENT_ZH = {Status.OK: "一致", Status.DRIFT: "不一致", Status.MISSING: "已声明未部署",
                 Status.UNMANAGED: "已部署未声明", Status.UNVERIFIABLE: "未测"}
NO_DATA = "无监控数据"
SHARE = Decimal("0.000001")  # a share to 0.0001 %, enough for percent3 and stable across runs
GIB = 1024 ** 3
AGREEMENT = "第七、七十七、七十九条"
#: filesystems that hold no data (node exporter reports them too)
PSEUDO_FS = "tmpfs|devtmpfs|overlay|squashfs|ramfs|nsfs|fuse.lxcfs|autofs|proc|sysfs|cgroup2?"
SUBQUERY_STEP = "5m"


# --- 容量对照


def _contracted_items(inputs: DeliverableInputs) -> Mapping[str, LineItem]:
    """The items in force on the period's last day (amendments applied) when gathered, else the contract's."""
    if inputs.contracted is not None:
        return inputs.contracted.items
    return {li.id: li for li in inputs.contract.line_items}


def compare(inputs: DeliverableInputs, dep: Deployment) -> list[ItemResult]:
    """``govcloud check``'s item results: the ledger's counting and verdicts of the declared state (``--declared``)
    against the export; without it, the export against itself (one state: no declared-vs-deployed difference)."""
    t = count(dep, "deployed")
    if inputs.declared is None:
        return Context(_contracted_items(inputs), dep, dep, t, t).items
    return Context(_contracted_items(inputs), inputs.declared, dep, count(inputs.declared, "declared"), t).items


def _kind(li_unit: str, *values: Decimal | None) -> str:
    fractional = any(v is not None and v != v.to_integral_value() for v in values)
    return "decimal3" if fractional or li_unit in ("TB", "Gbps") else "int"


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part / whole).quantize(SHARE) if whole else None


def _n(d: Decimal) -> str:
    n = d.normalize()
    return f"{n:f}"


def _verdict(r: ItemResult, deployed: Decimal) -> tuple[str, bool, str]:
    """The contract's verdict word, whether it is flagged, and what it means (the ledger's statuses against the
    contract, in its terms; deployed against declared is the 声明与部署 column's)."""
    unit = r.unit
    notes = []
    provided = r.provisioned if r.provisioned is not None else Decimal(0)
    if r.provided is Status.UNDER:
        notes.append(f"已开通 {_n(provided)} {unit}，低于合同 {_n(r.contracted - provided)} {unit}："
                     f"乙方应补足（第二条：数量上不低于最低要求）")
    if r.provided is Status.OVER:
        notes.append(f"已开通超出合同 {_n(provided - r.contracted)} {unit}：超出部分需签订补充协议（{AGREEMENT}）")
    if r.over_allocated and r.allocated is not None:
        notes.append(f"主机已分配 {_n(r.allocated)} {unit}，超出合同 {_n(r.allocated - r.contracted)} {unit}："
                     f"需签订补充协议（{AGREEMENT}）")
    status = worst([r.provided, Status.OVER if r.over_allocated else Status.OK])
    if status is Status.OK and deployed != r.contracted:
        notes.append(f"已开通 {_n(provided)} {unit}，主机使用 {_n(deployed)} {unit}：余量可分配给新主机")
    return VERDICT_ZH.get(status, status.value), status is not Status.OK, "；".join(notes)


def _comparison_sheet(inputs: DeliverableInputs, entry: MapEntry, dep: Deployment,
                      results: list[ItemResult]) -> SheetSpec:
    columns = (Column("合同项目"), Column("单位"), Column("合同数量", "int"), Column("已声明", "int"),
               Column("已部署", "int"), Column("余量", "int"), Column("已声明占合同", "percent3"),
               Column("已部署占合同", "percent3"), Column("已开通（配额、订阅）", "int"), Column("主机已分配", "int"),
               Column("结论"), Column("声明与部署"), Column("说明", wrap=True), Column("条款"))
    given = inputs.declared is not None
    rows = []
    for r in results:
        deployed = r.deployed if r.deployed is not None else Decimal(0)  # the ledger: nothing counted is zero
        declared = r.declared if r.declared is not None else Decimal(0)
        kind = _kind(r.unit, r.contracted, declared, deployed, r.provisioned, r.allocated)
        differs = deployed != r.contracted
        word, bad, note = _verdict(r, deployed)
        if given and r.deployment is not Status.OK:
            drift = (f"已声明 {_n(declared)} {r.unit}，已部署 {_n(deployed)} {r.unit}："
                     f"部署与程序声明不一致（govcloud check 报告同一偏差）")
            note = "；".join(n for n in (drift, note) if n)
        li = _contracted_items(inputs)[r.id]
        rows.append((item_name(inputs, r.id), li.unit_zh, Cell(r.contracted, kind=kind),
                     Cell(declared, declared != r.contracted, kind) if given else Cell(NOT_GIVEN, True),
                     Cell(deployed, differs, kind), Cell(r.contracted - deployed, differs, kind),
                     Cell(_share(declared, r.contracted), declared != r.contracted) if given else Cell(NOT_GIVEN, True),
                     Cell(_share(deployed, r.contracted), differs),
                     Cell(r.provisioned if r.provisioned is not None else "无", r.provided is not Status.OK, kind),
                     Cell(r.allocated, r.over_allocated, kind) if r.allocated is not None else "—",
                     flag(word, bad),
                     flag(DEPLOYMENT_ZH.get(r.deployment, r.deployment.value), r.deployment is not Status.OK)
                     if given else Cell(NOT_GIVEN, True),
                     note, r.clause))
    if inputs.contracted is not None:
        c = inputs.contracted
        source = (f"合同数量：{c.on.isoformat()}（统计期间最后一日）生效的数量，"
                  f"{f'已适用补充协议 {len(c.amendments)} 份' if c.amendments else '无补充协议'}")
    else:
        source = "合同数量：合同第二条原文（未读取栈的补充协议设置）"
    d = inputs.declared
    declared_note = (f"已声明：程序声明的状态 {d.source.name}（govcloud plan --export-state），按同一计数规则统计"
                     if d is not None else
                     f"已声明：{NOT_GIVEN}（给出 {SOURCE_FLAGS['stack-declared']}，即 govcloud plan --export-state "
                     f"写出的程序声明状态）")
    notes = (source, declared_note,
             (f"已部署：部署状态 {dep.source.name}（栈 {dep.stack or inputs.stack}，{dep.time or '时间未记录'}），"
              f"按台账计数规则统计，与 govcloud check 相同；每台主机的增值服务以携带它的主机数计"),
             ("余量 = 合同数量 − 已部署；占合同 = 数量 ÷ 合同数量（100% 即与合同数量一致）；存储 1 TB = 1024 GB；"
              "与合同不一致的数字以浅红色标出"),
             "本报告部分由数据生成：容量规划结论由运维负责人填写（见“容量规划结论”表）")
    chart = Chart("bar", "已声明、已部署占合同数量的比例（100% 即与合同数量一致）", 1, (7, 8) if d is not None else (8,),
                  "占合同数量", percent=True, horizontal=True)
    return SheetSpec("容量对照", heading(inputs, entry, *notes), columns, tuple(rows), charts=(chart,))


# --- 使用情况 (node exporter)


def _ms(d: date) -> int:
    return int(datetime.combine(d, time(0), tzinfo=BEIJING).timestamp() * 1000)


def _address(instance: str) -> str:
    """``10.0.0.5:9100`` → ``10.0.0.5``; ``[fd00::5]:9100`` → ``fd00::5``; an address without a port as it is."""
    if instance.startswith("["):
        return instance[1:].split("]", 1)[0]
    host, sep, port = instance.rpartition(":")
    return host if sep and port.isdigit() and ":" not in host else instance


@dataclass(frozen=True)
class Usage:
    """One ``instance``'s figures over the period (None: the series was not there)."""

    vcpus: int | None = None
    memory_gb: Decimal | None = None
    cpu_avg: float | None = None
    cpu_peak: float | None = None
    mem_avg: float | None = None
    mem_peak: float | None = None
    fs_used: float | None = None  # all real filesystems together, at the period's end
    fs_fullest: tuple[str, float] | None = None  # mountpoint, share used


def _by_instance(client: PromClient, query: str, at: int) -> dict[str, float]:
    return {labels.get("instance", ""): v for labels, v in client.instant(query, at)}


def usage(client: PromClient, start_ms: int, end_ms: int) -> dict[str, Usage]:
    """Per ``instance`` label: the node exporter's figures over ``[start_ms, end_ms)``, instant queries at its end."""
    rng, at = window(start_ms, end_ms)
    idle = 'node_cpu_seconds_total{mode="idle"}'
    avail, total = "node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes"
    fs = f'{{fstype!~"{PSEUDO_FS}"}}'
    size, free = f"node_filesystem_size_bytes{fs}", f"node_filesystem_avail_bytes{fs}"
    q = {
        "vcpus": f"count by (instance) (last_over_time({idle}[{rng}]))",
        "memory": f"max by (instance) (max_over_time({total}[{rng}]))",
        "cpu_avg": f"1 - avg by (instance) (rate({idle}[{rng}]))",
        "cpu_peak": (f"max_over_time((1 - avg by (instance) (rate({idle}[5m])))"
                     f"[{rng}:{SUBQUERY_STEP}])"),
        "mem_avg": (f"1 - avg by (instance) (avg_over_time({avail}[{rng}])) "
                    f"/ avg by (instance) (avg_over_time({total}[{rng}]))"),
        "mem_peak": (f"max_over_time((1 - avg by (instance) ({avail}) / avg by (instance) ({total}))"
                     f"[{rng}:{SUBQUERY_STEP}])"),
        "fs_used": (f"1 - sum by (instance) (last_over_time({free}[{rng}])) "
                    f"/ sum by (instance) (last_over_time({size}[{rng}]))"),
    }
    got = {k: _by_instance(client, v, at) for k, v in q.items()}
    fullest: dict[str, tuple[str, float]] = {}
    per_mount = f"1 - last_over_time({free}[{rng}]) / last_over_time({size}[{rng}])"
    for labels, v in sorted(client.instant(per_mount, at), key=lambda lv: sorted(lv[0].items())):
        inst, mount = labels.get("instance", ""), labels.get("mountpoint", "")
        if inst not in fullest or v > fullest[inst][1]:
            fullest[inst] = (mount, v)
    out = {}
    for inst in sorted(set().union(*got.values(), fullest)):
        mem = got["memory"].get(inst)
        cores = got["vcpus"].get(inst)
        out[inst] = Usage(int(cores) if cores is not None else None,
                          (Decimal(str(mem)) / GIB).quantize(Decimal("0.001")) if mem is not None else None,
                          got["cpu_avg"].get(inst), got["cpu_peak"].get(inst), got["mem_avg"].get(inst),
                          got["mem_peak"].get(inst), got["fs_used"].get(inst), fullest.get(inst))
    return out


def _pct(v: float | None) -> Any:
    return Cell(NO_DATA, True) if v is None else Decimal(repr(v)).quantize(SHARE)


def _usage_sheet(inputs: DeliverableInputs, entry: MapEntry) -> SheetSpec:
    if inputs.prometheus is None:
        return SheetSpec("使用情况", heading(inputs, entry, f"{NO_PROMETHEUS}：本表不填写任何数字（给出 "
                                                            f"{SOURCE_FLAGS['prometheus']} 读取节点监控）"),
                         (Column("说明", wrap=True),),
                         ((Cell(f"{NO_PROMETHEUS}（{SOURCE_FLAGS['prometheus']} 未给出）", True),),))
    p = inputs.period
    start_ms, end_ms = _ms(p.start), int(inputs.generated.timestamp() * 1000)
    seen = usage(PromClient(inputs.prometheus), start_ms, end_ms)
    columns = (Column("主机名"), Column("地址"), Column("监控实例"), Column("vCPU（监控）", "int"),
               Column("内存(GB)（监控）", "decimal3"), Column("CPU 平均使用率", "percent3"),
               Column("CPU 峰值使用率", "percent3"), Column("内存平均使用率", "percent3"),
               Column("内存峰值使用率", "percent3"), Column("文件系统使用率（期末）", "percent3"),
               Column("最满挂载点"), Column("最满挂载点使用率", "percent3"))
    by_address: dict[str, list[str]] = {}
    for inst in seen:
        by_address.setdefault(_address(inst), []).append(inst)
    rows: list[tuple[Any, ...]] = []
    matched: set[str] = set()
    for h in inputs.hosts:
        insts = by_address.get(h.address, [])
        if not insts:
            rows.append((h.name, h.address, Cell(NO_DATA, True), *([None] * (len(columns) - 3))))
            continue
        for inst in insts:
            matched.add(inst)
            rows.append((h.name, h.address, inst, *_usage_cells(seen[inst])))
    for inst in sorted(set(seen) - matched):
        rows.append((Cell("不在栈主机清单", True), _address(inst), inst, *_usage_cells(seen[inst])))
    note = (f"监控：{inputs.prometheus}，节点监控（node exporter）{p.start.isoformat()} 00:00 至 "
            f"{inputs.generated.date().isoformat()} 00:00（北京时间），按 instance 标签的地址对应栈 {inputs.stack} 的主机；"
            f"峰值按 {SUBQUERY_STEP} 取样；无监控数据的主机不填数字")
    return SheetSpec("使用情况", heading(inputs, entry, note), columns, tuple(rows))


def _usage_cells(u: Usage) -> tuple[Any, ...]:
    return (u.vcpus if u.vcpus is not None else Cell(NO_DATA, True),
            u.memory_gb if u.memory_gb is not None else Cell(NO_DATA, True),
            _pct(u.cpu_avg), _pct(u.cpu_peak), _pct(u.mem_avg), _pct(u.mem_peak), _pct(u.fs_used),
            u.fs_fullest[0] if u.fs_fullest else Cell(NO_DATA, True),
            _pct(u.fs_fullest[1] if u.fs_fullest else None))


# --- 趋势与预测


def _months(first: date, last: date) -> list[tuple[date, date]]:
    """Calendar months ``(first day, day after the last)`` from ``first``'s month to ``last``'s, clipped to them."""
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        out.append((max(date(y, m, 1), first), min(date(ny, nm, 1), date.fromordinal(last.toordinal() + 1))))
        y, m = ny, nm
    return out


def monthly_seen(inputs: DeliverableInputs, client: PromClient) -> list[tuple[str, int | None, Decimal | None]]:
    """Per month of the term up to the period's end: the vCPU and memory (GB) the node exporter saw on the stack's
    hosts during the month (None: no series that month)."""
    addresses = {h.address for h in inputs.hosts}
    out = []
    for a, b in _months(inputs.contract.term.start, inputs.period.end):
        rng, at = window(_ms(a), _ms(b))
        cores = _by_instance(client, f'count by (instance) (last_over_time(node_cpu_seconds_total{{mode="idle"}}'
                                     f'[{rng}]))', at)
        mem = _by_instance(client, f"max by (instance) (max_over_time(node_memory_MemTotal_bytes[{rng}]))", at)
        c = [v for i, v in cores.items() if _address(i) in addresses]
        g = [v for i, v in mem.items() if _address(i) in addresses]
        out.append((f"{a.year:04d}-{a.month:02d}", int(sum(c)) if c else None,
                    (Decimal(str(sum(g))) / GIB).quantize(Decimal("0.001")) if g else None))
    return out


def linear(points: list[tuple[int, Decimal]]) -> tuple[Decimal, Decimal] | None:
    """Least squares ``y = a + b·x`` over ``points`` (x: month index); None below two distinct months."""
    if len({x for x, _ in points}) < 2:
        return None
    n = Decimal(len(points))
    mx = sum(Decimal(x) for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((Decimal(x) - mx) ** 2 for x, _ in points)
    b = sum((Decimal(x) - mx) * (y - my) for x, y in points) / sxx
    return my - b * mx, b


def _month_label(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _contracted_on(inputs: DeliverableInputs, day: date) -> Mapping[str, LineItem]:
    """The items in force on ``day`` (the stack's amendments applied) when gathered, else the contract's."""
    if inputs.contracted is not None:
        return inputs.contracted.amended.items_on(day)
    return {li.id: li for li in inputs.contract.line_items}


def _reach(inputs: DeliverableInputs, key: str, fit: tuple[Decimal, Decimal] | None) -> str:
    """What the fit says of ``key`` (vcpu, memory): its monthly change and when it reaches the contracted quantity."""
    if fit is None:
        return f"{item_name(inputs, key)}：监控数据不足两个月，不作预测"
    a, b = fit
    li = _contracted_items(inputs).get(key)
    reach = ""
    if li is not None and b > 0:
        x = (li.quantity - a) / b
        reach = (f"，按此趋势在第 {int(x) + 1} 个月达到合同数量 {_n(li.quantity)}" if x >= 0
                 else f"，已达到合同数量 {_n(li.quantity)}")
    return f"{item_name(inputs, key)}：每月变化 {b.quantize(Decimal('0.01'))}{reach}"


def _trend_sheet(inputs: DeliverableInputs, entry: MapEntry, results: list[ItemResult]) -> SheetSpec:
    """One row per month of the term: contracted, deployed (the period's month), seen and forecast vCPU and memory."""
    keys = ("vcpu", "memory")
    columns = (Column("月份"), Column("合同 vCPU", "int"), Column("已部署 vCPU", "int"), Column("监控所见 vCPU", "int"),
               Column("预测 vCPU", "decimal2"), Column("合同内存(GB)", "decimal3"), Column("已部署内存(GB)", "decimal3"),
               Column("监控所见内存(GB)", "decimal3"), Column("预测内存(GB)", "decimal2"), Column("说明", wrap=True))
    items = {r.id: r for r in results}
    deployed = {k: items[k].deployed if k in items else None for k in keys}
    months = _months(inputs.contract.term.start, inputs.contract.term.end)
    period_month = _month_label(inputs.period.end)
    series = monthly_seen(inputs, PromClient(inputs.prometheus)) if inputs.prometheus is not None else []
    fits = {k: linear([(i, Decimal(s[col])) for i, s in enumerate(series) if s[col] is not None])
            for col, k in enumerate(keys, start=1)}
    rows: list[tuple[Any, ...]] = []
    for i, (first, after) in enumerate(months):
        label = _month_label(first)
        in_force = _contracted_on(inputs, date.fromordinal(after.toordinal() - 1))
        seen = series[i][1:] if i < len(series) else (None, None)
        says = []
        if label == period_month:
            says.append(f"已部署：统计期间末的部署状态 {inputs.export.source.name if inputs.export else ''}")
        if inputs.prometheus is not None and i < len(series) and None in seen:
            says.append(NO_DATA)
        ahead = inputs.prometheus is not None and i >= len(series)
        if ahead:
            says.append("预测：最小二乘直线外推")
        cells: list[Any] = []
        for k, s in zip(keys, seen):
            li = in_force.get(k)
            fit = fits[k]
            dep = deployed[k] if label == period_month else None
            cells += [Cell(li.quantity, kind=_kind(li.unit, li.quantity)) if li is not None else None,
                      Cell(dep, kind=_kind("", dep)) if dep is not None else None, s,
                      (fit[0] + fit[1] * i).quantize(Decimal("0.01")) if ahead and fit is not None else None]
        rows.append((label, *cells, flag("；".join(says), NO_DATA in says)))
    if inputs.prometheus is None:
        note = ("单个部署状态只有一个时间点，无法做线性预测，本表不作预测，也不画趋势图；给出 "
                f"{SOURCE_FLAGS['prometheus']} 可按月读取节点监控所见的 vCPU 与内存并据此预测")
        return SheetSpec("趋势与预测", heading(inputs, entry, note), columns, tuple(rows))
    note = ("合同数量为每月最后一日生效的数量（已适用补充协议）；节点监控所见的 vCPU（node_cpu_seconds_total 的 CPU 数）"
            "与内存（node_memory_MemTotal_bytes）按月统计（栈主机），线性外推至合同期末；"
            + "；".join(_reach(inputs, k, fits[k]) for k in keys))
    charts = (Chart("line", "vCPU：合同数量、已部署、节点监控所见与线性预测（按月）", 1, (2, 3, 4, 5), "vCPU"),
              Chart("line", "内存：合同数量、已部署、节点监控所见与线性预测（按月）", 1, (6, 7, 8, 9), "GB"))
    return SheetSpec("趋势与预测", heading(inputs, entry, note), columns, tuple(rows), charts=charts)


# --- 容量规划结论


def _conclusion_sheet(inputs: DeliverableInputs, entry: MapEntry) -> SheetSpec:
    columns = (Column("事项"), Column("结论与措施（由运维负责人填写）", wrap=True), Column("负责人"), Column("日期"))
    topics = ("容量对照结论（合同数量与已部署）", "资源使用情况与瓶颈", "扩容、缩容或回收计划",
              f"是否需要补充协议（{AGREEMENT}）", "其他")
    return SheetSpec("容量规划结论", heading(inputs, entry, "容量规划结论（由运维负责人填写）：本表部分由数据生成，"
                                                           "以下各栏由运维负责人填写并签字"),
                     columns, tuple((t, "", "", "") for t in topics))


def build(inputs: DeliverableInputs, entry: MapEntry) -> Document:
    """The capacity report: 容量对照, 使用情况, 趋势与预测 and 容量规划结论 (the person's part)."""
    if inputs.export is None:
        raise MissingInput(f"the {entry.name_zh} needs the stack's deployed state: give "
                           f"{SOURCE_FLAGS['stack-export']} (`pulumi stack export`, or `govcloud plan --export-state`)")
    results = compare(inputs, inputs.export)
    return document(inputs, entry, [_comparison_sheet(inputs, entry, inputs.export, results),
                                    _usage_sheet(inputs, entry), _trend_sheet(inputs, entry, results),
                                    _conclusion_sheet(inputs, entry)])
