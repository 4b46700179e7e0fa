"""北京市政务云平台基础运维-变更申请 (article 16; map status ``partial``): one request row per change record whose
window touches the period, from the change records (``schemas/sla-changes.schema.json``).

The data part is what the record says: the change, its systems, its window, who approved it and when, and whether
the approval counts (article 6: a window is left out of availability only when a named person approved it before it
began; ``govcloud.sla.changes`` owns that rule and its reasons, shown here in Chinese and highlighted when refused).
The requester writes the justification, the risk assessment, the rollback plan and signs, in the columns left empty.

When given, two more sheets: 变更预览与费用影响, the `govcloud diff` previews dated in the period with the items each
changes and its monthly and term cost effect as diff priced it (articles 7, 77, 79), and 运维手册执行记录, the runbook
runs of the period from their journals (runbook, system, start, end, result, steps, work order, approval).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from govcloud.sla.changes import Change, ChangeRecords
from govcloud.sla.clock import midnight_ms
from govcloud.sla.model import MS_PER_MINUTE, Interval

from .catalog import MapEntry
from .model import BEIJING, DeliverableInputs, Document
from .package import SOURCE_FLAGS, MissingInput
from .previews import DiffPreview
from .runs import RunRecord
from .slawords import refused_zh
from .workbook import Cell, Column, SheetSpec, document, flag, heading

APPROVED_ZH = "已批准（窗口开始前批准，窗口内时间不计入可用性）"
FOR_REQUESTER = "（申请人填写）"
RULE_NOTE = ("批准状态：仅在窗口开始前经指定人员批准的变更，其窗口内时间不计入可用性（第6条）；"
             "其余窗口照常计入，标红并注明原因。")
MINUTE_PLACES = Decimal("0.001")
CHANGES_NEEDED = "the {name} needs change records: give {flag} (schemas/sla-changes.schema.json)"


# --- what the two change documents share (``change_report`` imports these)


def require_changes(inputs: DeliverableInputs, entry: MapEntry) -> ChangeRecords:
    """The change records, or a ``MissingInput`` naming the document and the option that gives them."""
    if inputs.changes is None:
        raise MissingInput(CHANGES_NEEDED.format(name=entry.name_zh.removeprefix("北京市政务云平台"),
                                                 flag=SOURCE_FLAGS["sla-changes"]))
    return inputs.changes


def period_interval(inputs: DeliverableInputs) -> Interval:
    """The period as ``[00:00 of its first day, 00:00 after its last day)`` Beijing time."""
    p = inputs.period
    return Interval(midnight_ms(p.start), midnight_ms(p.end + timedelta(days=1)))


def period_changes(inputs: DeliverableInputs, records: ChangeRecords) -> list[Change]:
    """The changes whose window touches the period, by window start then id."""
    within = period_interval(inputs)
    return sorted((c for c in records if c.window.overlap(within) > 0),
                  key=lambda c: (c.window.start_ms, c.id))


def minutes(ms: int) -> Decimal | int:
    """Milliseconds as minutes to the thousandth, as the SLA report counts them (``120``, ``30.5``)."""
    q = (Decimal(ms) / MS_PER_MINUTE).quantize(MINUTE_PLACES)
    return int(q) if q == q.to_integral_value() else q.normalize()


def minutes_text(ms: int) -> str:
    """``120``, ``30.5``."""
    m = minutes(ms)
    return f"{m:f}" if isinstance(m, Decimal) else str(m)


def beijing_time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, BEIJING)


def approval_zh(c: Change) -> str:
    """Whether the approval counts (article 6), in Chinese: approved before the window, or why not."""
    return APPROVED_ZH if c.refused is None else refused_zh(c.refused)


def systems_zh(c: Change) -> str:
    return "、".join(c.systems)


# --- the workbook

COLUMNS = (Column("变更编号"), Column("变更内容", wrap=True), Column("涉及系统"), Column("计划开始", "datetime"),
           Column("计划结束", "datetime"), Column("时长(分钟)", "int"), Column("批准人"),
           Column("批准时间", "datetime"), Column("批准单号"), Column("批准状态", wrap=True), Column("备注", wrap=True),
           Column("变更原因" + FOR_REQUESTER, wrap=True), Column("风险评估" + FOR_REQUESTER, wrap=True),
           Column("回退方案" + FOR_REQUESTER, wrap=True), Column("申请人签字"))
REQUESTER_COLUMNS = 4  # the last columns, left empty


def _row(c: Change) -> tuple[Any, ...]:
    a = c.approval
    duration = minutes(c.window.ms)  # whole minutes as an integer; a part of a minute to the thousandth
    return (c.id, c.change, systems_zh(c), beijing_time(c.window.start_ms), beijing_time(c.window.end_ms),
            duration if isinstance(duration, int) else Cell(duration, kind="decimal3"),
            a.by if a is not None and a.by else "—",
            beijing_time(a.at_ms) if a is not None and a.at_ms is not None else "—",
            a.reference if a is not None and a.reference else "",
            flag(approval_zh(c), c.refused is not None), c.notes, *([None] * REQUESTER_COLUMNS))


# --- the previews priced by `govcloud diff` and the runbook runs (sheets of their own, when given)

PREVIEW_COLUMNS = (Column("预览文件"), Column("计价日", "date"), Column("资源步骤"), Column("结论", wrap=True),
                   Column("服务项", wrap=True), Column("单位"), Column("合同数量", "int"), Column("变更前", "int"),
                   Column("变更后", "int"), Column("变更后状态"), Column("月费用-变更前(元)", "decimal2"),
                   Column("月费用-变更后(元)", "decimal2"), Column("月费用增减(元)", "decimal2"),
                   Column("合同期费用-变更前(元)", "decimal2"), Column("合同期费用-变更后(元)", "decimal2"),
                   Column("合同期费用增减(元)", "decimal2"))
PREVIEW_TOTAL = "合计（全部服务项）"
PREVIEW_NOTE = ("金额为 govcloud diff 按合同单价算出的月费用与合同期费用（元，精确到分），本表照录未重新计算；"
                "各预览分别相对其计价时的部署，不相加。超出合同数量须先签订补充协议（第7、77、79条）。")
RUN_COLUMNS = (Column("运行目录"), Column("运维手册"), Column("系统"), Column("栈"), Column("开始", "datetime"),
               Column("结束", "datetime"), Column("结果", wrap=True), Column("已验证步骤", "int"), Column("步骤总数", "int"),
               Column("尝试次数", "int"), Column("步骤明细", wrap=True), Column("工单号"), Column("批准/验收", wrap=True))
RUN_NOTE = ("时间均为北京时间，取自运行日志（开始：首次启动；结束：最后一条记录）。日志不记录启动人；"
            "“批准/验收”为步骤记录的审批（如退出时法院对导出数据的验收），未记录者为“—”。")


def quantity(value: Decimal) -> Any:
    """A quantity as a number: whole numbers as integers, a fraction to the thousandth."""
    return int(value) if value == value.to_integral_value() else Cell(value, kind="decimal3")


def _preview_rows(p: DiffPreview) -> list[tuple[Any, ...]]:
    head = (p.path.name, p.on, p.steps_zh, flag(p.verdict_zh, p.leaves_contract))
    rows = [(*head, i.name_zh, i.unit, quantity(i.contracted), quantity(i.before), quantity(i.after),
             flag(i.status_zh, i.leaves_contract), i.monthly_before, i.monthly_after, i.monthly_delta,
             i.term_before, i.term_after, i.term_delta) for i in p.touched]
    rows.append((*head, PREVIEW_TOTAL, "", None, None, None, "", p.monthly_before, p.monthly_after,
                 p.monthly_delta, p.term_before, p.term_after, p.term_delta))
    return rows


def previews_sheet(inputs: DeliverableInputs, entry: MapEntry) -> SheetSpec | None:
    """变更预览与费用影响: per preview dated in the period, the items it changes and its totals; None when no
    previews were given."""
    pv = inputs.previews
    if pv is None:
        return None
    listed = pv.dated(inputs.period.start, inputs.period.end)
    over = sum(p.needs_amendment for p in listed)
    source = (f"变更预览：govcloud diff 输出 {len(pv.given)} 份，本期（按计价日）{len(listed)} 份"
              + (f"，其中须签订补充协议 {over} 份" if over else ""))
    rows = tuple(r for p in listed for r in _preview_rows(p))
    return SheetSpec("变更预览与费用影响", heading(inputs, entry, source, PREVIEW_NOTE), PREVIEW_COLUMNS, rows)


def steps_text(r: RunRecord) -> str:
    """``work-order 已验证；target-in-stack 已验证`` (the steps the journal records), and how many never started."""
    done = [f"{s.id} {s.state_zh}" for s in r.steps if s.attempts or s.state != "pending"]
    rest = len(r.steps) - len(done)
    return "；".join(done + ([f"其余 {rest} 步未开始"] if rest else [])) or "无步骤记录"


def runs_sheet(inputs: DeliverableInputs, entry: MapEntry) -> SheetSpec | None:
    """运维手册执行记录: one row per run touching the period; None when no journals were given."""
    runs = inputs.runs
    if runs is None:
        return None
    listed = runs.touching(inputs.period.start, inputs.period.end)
    source = f"运维手册执行日志：{runs.folder.name}/ 下运行 {len(runs.given)} 个，本期 {len(listed)} 个"
    rows = tuple((r.name, r.runbook, r.system, r.stack or "—", r.started, r.ended, flag(r.result_zh, r.went_wrong),
                  r.verified, len(r.steps), r.attempts, steps_text(r), r.work_order or "—", r.approval or "—")
                 for r in listed)
    return SheetSpec("运维手册执行记录", heading(inputs, entry, source, RUN_NOTE), RUN_COLUMNS, rows)


def build(inputs: DeliverableInputs, entry: MapEntry) -> Document:
    """One request row per change whose window touches the period; the requester's columns left empty."""
    records = require_changes(inputs, entry)
    changes = period_changes(inputs, records)
    refused = sum(c.refused is not None for c in changes)
    source = (f"变更记录：{records.path.name}（共 {len(records)} 条，本期 {len(changes)} 条，"
              f"其中批准不成立 {refused} 条）" if changes else f"变更记录：{records.path.name}（本期无变更记录）")
    notes = (source, RULE_NOTE,
             f"时间均为北京时间；“{FOR_REQUESTER.strip('（）')}”各列及申请人签字由变更申请人填写。")
    sheet = SheetSpec("变更申请", heading(inputs, entry, *notes), COLUMNS, tuple(_row(c) for c in changes))
    extra = [s for s in (previews_sheet(inputs, entry), runs_sheet(inputs, entry)) if s is not None]
    return document(inputs, entry, [sheet, *extra])

