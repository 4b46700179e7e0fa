"""北京市政务云平台基础运维-变更申请 (article 16; map status ``partial``): one request row per change record whose
window touches the period, from the change records (``schemas/sla-changes.schema.json``).

The data part is what the record says: the change, its systems, its window, who approved it and when, and whether
the approval counts (article 6: a window is left out of availability only when a named person approved it before it
began; ``govcloud.sla.changes`` owns that rule and its reasons, shown here in Chinese and highlighted when refused).
The requester writes the justification, the risk assessment, the rollback plan and signs, in the columns left empty.
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
    return document(inputs, entry, [sheet])

