"""北京市政务云平台变更管理报告 (article 16; map status ``partial``): the period's changes from the change records
(``schemas/sla-changes.schema.json``), with, when given, their effect on availability from the month's SLA report
(``schemas/sla-report.schema.json``) and the contract's supplementary agreements in force (articles 7, 77, 79).

Data: how many changes, approved or not (article 6's rule, owned by ``govcloud.sla.changes``), their windows per
system; per change the maintenance time the SLA report took out of availability (its per-system ``excluded``
stretches of reason ``maintenance`` inside the change's window), the downtime inside the window that counted, and
the downtime of an outage begun in the window that ran on after it (the change's overrun, counted against
availability); the amendments in force during the period; when given, the `govcloud diff` previews dated in the
period with their monthly and term cost effect as diff priced them and its verdict (within the contract, or a
supplementary agreement first: articles 7, 77, 79), and the runbook runs of the period from their journals (start,
end, result, each step, the work order and approval they recorded). The change manager writes the assessment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from govcloud.contract.amendments import Amendment
from govcloud.contract.money import fmt_yuan, number
from govcloud.ledger.day import Contracted
from govcloud.sla.changes import Change
from govcloud.sla.clock import local_iso
from govcloud.sla.model import Interval
from govcloud.sla.records import instant_ms

from .catalog import MapEntry
from .change_request import approval_zh, minutes_text, period_changes, period_interval, require_changes, systems_zh
from .model import BEIJING, DeliverableInputs, Document
from .package import SOURCE_FLAGS
from .pdf import Cell, clause_zh, cover, document, esc, for_person, para, section, table, when
from .previews import signed_yuan

FIELD_ZH = {"quantity": "数量", "unit_price": "单价"}
ASSESSMENT = "七、变更评估与改进（由变更经理填写）"
ASSESSMENT_PROMPTS = ("变更是否达到预期目标：", "变更过程中出现的问题及影响：", "改进措施与后续计划：")
SIGNATURE = "变更经理签字：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日"


@dataclass(frozen=True)
class Effect:
    """What one change did to availability, as the month's SLA report counted it (milliseconds)."""

    taken_out_ms: int  # the report's maintenance stretches inside the window: left out of availability
    down_in_window_ms: int  # outages inside the window
    counted_in_window_ms: int  # of those, not inside a maintenance stretch: counted against availability
    overrun_ms: int  # outages begun inside the window, after its end: counted
    listed: dict[str, Any] | None  # the report's maintenance entry of the change; None when it lists none


# --- the SLA report, read for one change


def _interval(start: str, end: str) -> Interval:
    return Interval(instant_ms(start) or 0, instant_ms(end) or 0)


def effect(doc: dict[str, Any], c: Change) -> Effect:
    """The change's maintenance time taken out, downtime in its window (and how much of it counted) and after it,
    from the report's per-system ``excluded`` stretches and its outages (those articles 60-61 exclude are not
    counted against it)."""
    maint = {a["system"]: [Interval(e["start_ms"], e["end_ms"]) for e in a["excluded"] if e["reason"] == "maintenance"]
             for a in doc["availability"]["systems"] if a["system"] in c.systems}
    taken = sum(c.window.overlap(m) for ms in maint.values() for m in ms)
    inside = counted = overrun = 0
    for o in doc["outages"]:
        if o["system"] not in c.systems or o["excluded_by"]:
            continue
        out = _interval(o["start"], o["end"])
        part = out.clip(c.window)
        if part is not None:
            inside += part.ms
            counted += part.ms - sum(part.overlap(m) for m in maint.get(o["system"], ()))
        if c.window.start_ms <= out.start_ms < c.window.end_ms:
            overrun += max(0, out.end_ms - c.window.end_ms)
    listed = next((m for m in doc["maintenance"] or () if m["change"] == c.id), None)
    return Effect(taken, inside, counted, overrun, listed)


def window_zh(c: Change) -> str:
    """``03-18 14:00 至 16:00`` (the end's day only when another)."""
    start, end = when(local_iso(c.window.start_ms)), when(local_iso(c.window.end_ms))
    return f"{start} 至 {end[6:] if end[:5] == start[:5] else end}"


def _agrees(doc: dict[str, Any], c: Change, e: Effect) -> str:
    """"" when the report judged the window as the change records do; else what differs."""
    if doc["maintenance"] is None:
        return "SLA 报告生成时未提供变更记录，未扣除任何维护时间"
    if e.listed is None:
        return "SLA 报告未列出该变更（变更记录与报告所用记录不一致）"
    if e.listed["excludes"] != (c.refused is None):
        return "SLA 报告的扣除结论与本变更记录不一致"
    return ""


# --- sections


def _summary(inputs: DeliverableInputs, changes: list[Change], doc: dict[str, Any] | None) -> str:
    within = period_interval(inputs)
    approved = [c for c in changes if c.refused is None]
    window_ms = sum(c.window.overlap(within) for c in changes)
    rows = [["变更总数（项）", Cell(str(len(changes)), num=True)],
            ["窗口开始前已批准（项）", Cell(str(len(approved)), num=True)],
            ["批准不成立，窗口照常计入可用性（项）", Cell(str(len(changes) - len(approved)), num=True,
                                               bad=len(changes) > len(approved))],
            ["窗口总时长（本期内，分钟）", Cell(minutes_text(window_ms), num=True)]]
    if doc is not None:
        taken = sum(a["ms"]["maintenance"] for a in doc["availability"]["systems"])
        rows.append(["扣除的维护时间（SLA 报告，分钟）", Cell(minutes_text(taken), num=True)])
    per_system: dict[str, list[Change]] = {}
    for c in changes:
        for s in c.systems:
            per_system.setdefault(s, []).append(c)
    maint = ({a["system"]: a["ms"]["maintenance"] for a in doc["availability"]["systems"]}
             if doc is not None else {})
    head = ["系统", "变更数", "已批准", "批准\n不成立", "窗口时长\n（分钟）"] + (["扣除维护时间\n（分钟）"] if doc else [])
    sys_rows = []
    for s in sorted(per_system):
        cs = per_system[s]
        n_ok = sum(c.refused is None for c in cs)
        row: list[Cell | str] = [s, Cell(str(len(cs)), num=True), Cell(str(n_ok), num=True),
                                 Cell(str(len(cs) - n_ok), num=True, bad=len(cs) > n_ok),
                                 Cell(minutes_text(sum(c.window.overlap(within) for c in cs)), num=True)]
        if doc is not None:
            row.append(Cell(minutes_text(maint.get(s, 0)), num=True))
        sys_rows.append(row)
    return (table(["项目", "本期"], rows)
            + "<h3>按系统</h3>" + table(head, sys_rows, empty="本期无变更。")
            + para("批准成立：变更经指定人员批准，且批准时间早于窗口开始（第6条）；否则窗口内时间照常计入可用性。"
                   "时间均为北京时间。", "note"))


def _approvals(changes: list[Change]) -> str:
    rows = []
    for c in changes:
        a = c.approval
        rows.append([Cell(c.id, wrap=False), c.change, systems_zh(c),
                     window_zh(c),
                     Cell(minutes_text(c.window.ms), num=True), a.by if a is not None and a.by else "—",
                     when(local_iso(a.at_ms)) if a is not None and a.at_ms is not None else "—",
                     a.reference if a is not None and a.reference else "—",
                     Cell(approval_zh(c), bad=c.refused is not None)])
    return table(["变更编号", "变更内容", "系统", "窗口", "时长\n（分钟）", "批准人", "批准时间", "批准单号", "审批结论"],
                 rows, empty="本期无变更记录。")


def _availability(inputs: DeliverableInputs, changes: list[Change]) -> str:
    doc = inputs.sla_report
    if doc is None:
        return para("未提供 SLA 报告（--sla-report FILE）：本节不计算变更对可用性的影响。", "none")
    rows = []
    for c in changes:
        e = effect(doc, c)
        differs = _agrees(doc, c, e)
        rows.append([Cell(c.id, wrap=False), systems_zh(c),
                     Cell(minutes_text(e.taken_out_ms), num=True),
                     Cell(minutes_text(e.down_in_window_ms), num=True),
                     Cell(minutes_text(e.counted_in_window_ms), num=True, bad=e.counted_in_window_ms > 0),
                     Cell(minutes_text(e.overrun_ms), num=True, bad=e.overrun_ms > 0),
                     Cell(differs or "一致", bad=bool(differs))])
    src = doc["sources"].get("changes")
    return (table(["变更编号", "系统", "扣除维护\n时间（分钟）", "窗口内中断\n（分钟）", "其中计入\n可用性（分钟）",
                   "超出窗口的\n中断（分钟）", "与 SLA 报告核对"], rows, empty="本期无变更记录。")
            + para(f"SLA 报告 {doc['period']['label']}：平台可用性 {doc['availability']['platform']['availability']}"
                   f"（目标 ≥ {doc['target']}）" + (f"；报告所用变更记录 {src.rsplit('/', 1)[-1]}" if src else
                                                  "；报告生成时未提供变更记录") + "。", "note")
            + para("扣除维护时间：SLA 报告各系统“扣除时段”中原因为维护、落在该变更窗口内的时间（多个系统相加）。"
                   "窗口内中断：监控记录的中断落在窗口内的时间；其中未被扣除的部分计入可用性。超出窗口的中断：在窗口内开始、"
                   "窗口结束后仍持续的中断时间，计入可用性。已由第60-61条免责记录覆盖的中断不列入。", "note"))


def in_force(a: Amendment, inputs: DeliverableInputs, term_end: date) -> bool:
    """Whether ``a`` is in force on any day of the period."""
    start, end = a.window(term_end)
    return start <= inputs.period.end and end >= inputs.period.start


def _what_changed(a: Amendment, contracted: Contracted) -> str:
    """``vCPU(主频不低于2.4GHz) 数量 1800 → 2000``; an added item with its quantity and price."""
    amended, c = contracted.amended, contracted.contract
    before_day = a.effective - timedelta(days=1)
    before = amended.items_on(before_day) if c.term.contains(before_day) else {li.id: li for li in c.line_items}
    parts = []
    for ch in a.changes:
        li = before.get(ch.item)
        name = li.name_zh if li is not None else ch.item
        old = getattr(li, ch.field) if li is not None else None
        unit = "元" if ch.field == "unit_price" else (li.unit_zh if li is not None else "")
        parts.append(f"{name} {FIELD_ZH.get(ch.field, ch.field)} "
                     + (f"{number(old)} → " if old is not None else "") + f"{number(ch.value)} {unit}".rstrip())
    for li, _path, _line in a.added:
        parts.append(f"新增 {li.name_zh} {number(li.quantity)} {li.unit_zh}，单价 {number(li.unit_price)} 元")
    return "；".join(parts)


def _amendments(inputs: DeliverableInputs) -> str:
    contracted = inputs.contracted
    if contracted is None:
        return para(f"本期无合同变更：未读取栈 {inputs.stack} 的合同设置（Pulumi.{inputs.stack}.yaml 的 "
                    "govcloud:amendments），按合同原文。", "none")
    term_end = contracted.contract.term.end
    listed = [a for a in contracted.amendments if in_force(a, inputs, term_end)]
    later = [a for a in contracted.amendments if a.effective > inputs.period.end]
    if not listed:
        return (para("本期无合同变更（无生效的补充协议）。", "none")
                + (para(f"另有 {len(later)} 份补充协议于本期之后生效。", "note") if later else ""))
    p = inputs.period
    rows = []
    for a in listed:
        start, end = a.window(term_end)
        state = ("本期生效" if start >= p.start else "生效中") + ("，本期到期" if a.until and end <= p.end else "")
        rows.append([Cell(a.id, wrap=False), Cell(a.signed.isoformat(), wrap=False),
                     f"{start.isoformat()} 至 {end.isoformat()}（{state}）", Cell(clause_zh(a.clause), wrap=False),
                     _what_changed(a, contracted), a.reason_zh or "—"])
    return (table(["补充协议", "签订日期", "生效期间", "依据", "变更内容", "原因"], rows)
            + para(f"合同数量与单价按 {p.end.isoformat()}（本期最后一日）适用补充协议后计（第7、77、79条）；"
                   f"超出合同数量须先签订补充协议。" + (f"另有 {len(later)} 份补充协议于本期之后生效。" if later else ""),
                   "note"))


def _previews(inputs: DeliverableInputs) -> str:
    """Per preview dated in the period: its totals and verdict, then the items it changes (as diff priced them)."""
    pv = inputs.previews
    if pv is None:
        return para(f"未提供变更预览（{SOURCE_FLAGS['diff-previews']}，govcloud diff --format json）："
                    "本节不列出变更预览及其费用影响。", "none")
    listed = pv.dated(inputs.period.start, inputs.period.end)
    others = len(pv.given) - len(listed)
    later = para(f"另有 {others} 份预览的计价日不在本期，未列出。", "note") if others else ""
    if not listed:
        return para("本期无变更预览（按计价日）。", "none") + later
    rows = [[Cell(p.path.name), Cell(p.on.isoformat(), wrap=False), p.steps_zh,
             Cell(fmt_yuan(p.monthly_before), num=True), Cell(fmt_yuan(p.monthly_after), num=True),
             Cell(signed_yuan(p.monthly_delta), num=True), Cell(signed_yuan(p.term_delta), num=True),
             Cell(p.verdict_zh, bad=p.leaves_contract)] for p in listed]
    parts = [table(["预览文件", "计价日", "资源步骤", "月费用\n变更前（元）", "月费用\n变更后（元）", "月费用\n增减（元）",
                    "合同期费用\n增减（元）", "结论"], rows)]
    for p in listed:
        items = [[i.name_zh, Cell(f"{number(i.contracted)} {i.unit}", num=True), Cell(number(i.before), num=True),
                  Cell(number(i.after), num=True), Cell(i.status_zh, bad=i.leaves_contract),
                  Cell(fmt_yuan(i.monthly_after), num=True), Cell(signed_yuan(i.monthly_delta), num=True),
                  Cell(signed_yuan(i.term_delta), num=True)] for i in p.touched]
        parts.append(f"<h3>{esc(p.path.name)}（计价日 {p.on.isoformat()}）</h3>"
                     + table(["服务项", "合同数量", "变更前", "变更后", "变更后状态", "月费用\n变更后（元）",
                              "月费用\n增减（元）", "合同期费用\n增减（元）"], items,
                             empty="本预览不改变任何合同服务项的数量。"))
    return ("".join(parts) + later
            + para("金额为 govcloud diff 按合同单价算出的月费用与合同期费用（元，精确到分），本报告照录未重新计算；"
                   "各预览分别相对其计价时的部署，不相加。计价日为 diff 计价所用的日期（--on，默认为运行当日）。"
                   "超出合同数量须先签订补充协议（第7、77、79条）；低于合同数量为乙方未足额提供（第2条）。", "note"))


def _run_time(t: datetime | None) -> str:
    return t.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") if t is not None else "—"


def _runs(inputs: DeliverableInputs) -> str:
    """Per run touching the period: runbook, system, start, end, result, steps; then each run's steps."""
    runs = inputs.runs
    if runs is None:
        return para(f"未提供运维手册执行日志（{SOURCE_FLAGS['runbook-journals']}，如 runs/）：本节不列出运维手册执行记录。",
                    "none")
    listed = runs.touching(inputs.period.start, inputs.period.end)
    if not listed:
        return para(f"本期无运维手册执行记录（{runs.folder.name}/ 下运行 {len(runs.given)} 个，均不在本期）。", "none")
    rows = [[Cell(r.name), r.runbook, r.system, Cell(_run_time(r.started)), Cell(_run_time(r.ended)),
             Cell(r.result_zh, bad=r.went_wrong), Cell(f"{r.verified}/{len(r.steps)}", num=True),
             Cell(str(r.attempts), num=True), r.work_order or "—", r.approval or "—"] for r in listed]
    parts = [table(["运行目录", "运维手册", "系统", "开始", "结束", "结果", "已验证\n步骤", "尝试\n次数", "工单号",
                    "批准/验收"], rows)]
    for r in listed:
        done = [s for s in r.steps if s.attempts or s.state != "pending"]
        steps = [[Cell(str(r.steps.index(s) + 1), num=True), Cell(s.id, wrap=False), s.title,
                  Cell(clause_zh(s.clause), wrap=False), Cell(s.state_zh, bad=s.state not in ("verified", "waiting")),
                  Cell(_run_time(s.started)), Cell(_run_time(s.ended)), Cell(str(s.attempts), num=True)]
                 for s in done]
        rest = len(r.steps) - len(done)
        parts.append(f"<h3>{esc(r.name)}：{esc(r.runbook)}（系统 {esc(r.system)}，栈 {esc(r.stack or '未指定')}）</h3>"
                     + table(["序号", "步骤", "内容", "依据", "状态", "开始", "结束", "尝试\n次数"], steps,
                             empty="日志无步骤记录。")
                     + (para(f"其余 {rest} 步未开始。", "note") if rest else ""))
    return ("".join(parts)
            + para("时间均为北京时间，取自运行日志（开始：首次启动；结束：最后一条记录）。日志不记录启动人，执行人由运维负责人"
                   "签字确认；“批准/验收”为步骤记录的审批（如退出时法院对导出数据的验收，第58条），未记录者为“—”。", "note"))


def _assessment() -> str:
    return (para("本节由变更经理根据上述数据填写，签字后随报告提交。", "note")
            + "".join(for_person(p, height_mm=34) for p in ASSESSMENT_PROMPTS) + para(SIGNATURE))


def build(inputs: DeliverableInputs, entry: MapEntry) -> Document:
    """The change management report of the period: changes, approvals, effect on availability, amendments in force,
    and the change manager's section left empty."""
    records = require_changes(inputs, entry)
    changes = period_changes(inputs, records)
    refused = sum(c.refused is not None for c in changes)
    n_amend = (sum(in_force(a, inputs, inputs.contracted.contract.term.end) for a in inputs.contracted.amendments)
               if inputs.contracted is not None else 0)
    systems = {s for c in changes for s in c.systems}
    extra = []
    if inputs.previews is not None:
        listed = inputs.previews.dated(inputs.period.start, inputs.period.end)
        over = sum(p.needs_amendment for p in listed)
        extra.append(("变更预览", f"{len(listed)} 份" + (f"（须签订补充协议 {over} 份）" if over else "")))
    if inputs.runs is not None:
        runs = inputs.runs.touching(inputs.period.start, inputs.period.end)
        wrong = sum(r.went_wrong for r in runs)
        extra.append(("运维手册执行", f"{len(runs)} 次运行" + (f"（失败或受阻 {wrong} 次）" if wrong else "")))
    body = (cover(inputs, entry, [
                ("文件性质", "部分由数据生成（变更评估与改进由变更经理填写）"),
                ("本期变更", (f"{len(changes)} 项（批准成立 {len(changes) - refused} 项，不成立 {refused} 项），"
                              f"涉及 {len(systems)} 个系统")),
                ("合同变更", f"生效的补充协议 {n_amend} 份" if n_amend else "本期无合同变更"), *extra,
                ("数据来源", (f"变更记录 {records.path.name}"
                              + ("；SLA 报告 " + inputs.sla_report["period"]["label"] if inputs.sla_report else "")))])
            + section("一、本期变更概况", _summary(inputs, changes, inputs.sla_report))
            + section("二、变更明细与审批（第6条）", _approvals(changes))
            + section("三、对可用性的影响（第6条）", _availability(inputs, changes))
            + section("四、合同变更（补充协议，第7、77、79条）", _amendments(inputs))
            + section("五、变更预览与费用影响（govcloud diff，第7、77、79条）", _previews(inputs))
            + section("六、运维手册执行记录", _runs(inputs))
            + '<div style="break-inside: avoid;">' + section(ASSESSMENT, _assessment()) + "</div>")
    return document(inputs, entry, body)

