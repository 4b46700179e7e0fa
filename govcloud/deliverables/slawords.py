"""The SLA report's JSON (``schemas/sla-report.schema.json``) in Chinese: its verdicts, clocks, notes, events and
tables, shared by the documents that read it (可用性报告 article 6, 7×24监控服务月报, 事件处理报告, 问题处理报告,
变更管理报告)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from govcloud.contract.model import Contract
from govcloud.errors import GovcloudError
from govcloud.sla.availability import PLATFORM, PLATFORM_BASIS
from govcloud.sla.report import RELIABILITY_NOTE, SHARE_NOTE, VERDICT_BASIS

from .model import DeliverableInputs
from .pdf import Cell, clause_zh, esc, para, table, when

if TYPE_CHECKING:
    from .catalog import MapEntry

VERDICT_ZH = {"met": "达标", "breached": "未达标", "unverifiable": "无法判定"}
SEVERITY_ZH = {"high": "高", "medium": "中", "low": "低"}
CLOCK_ZH = {"response": "响应", "on-site": "到场", "isolation": "故障隔离"}
STATUS_ZH = {"on-time": "按时", "late": "超时", "missing": "未记录（已超时）", "open": "未到期",
             "not-recorded": "未记录（不考核）"}
FIELD_ZH = {"detected": "发现", "reported": "报告"}
EXCLUDED_ZH = {"maintenance": "经批准的维护窗口", "exclusion": "第60-61条免责记录"}
PLATFORM_ZH = "平台（合计）"
SLA_REPORT_NEEDED = "the {name} needs an SLA report: give --sla-report FILE (govcloud sla report --format json)"


#: the SLA report's fixed English notes (``govcloud.sla.report``) in Chinese; others are shown as given
NOTES_ZH = {
    VERDICT_BASIS: "按北京时间（Asia/Shanghai）的自然月判定：第6条未规定考核周期；季度及合同期累计数据由历史记录汇总，"
                   "仅列示，不作判定。",
    SHARE_NOTE: "附件3中断比例按govcloud已知的系统（系统清单文件）计算，并非法院的全部系统",
    RELIABILITY_NOTE: "数据可靠性（第6条，99.9999%）除数据丢失的事件记录外无其他度量：此处按记录计数，从不由监控数据推断",
    "the system's own time": "按本系统自身时间计算",
}


def note_zh(text: str) -> str:
    """A fixed note of the SLA report in Chinese; the platform basis with its system count; else as given."""
    if text.startswith(PLATFORM_BASIS):
        n = re.search(r"\((\d+) systems\)", text)
        return ("各系统按时间加权平均：各系统正常时间之和 ÷ 各系统（正常 + 中断）时间之和；并非“任一系统中断即平台中断”"
                + (f"（{n.group(1)} 个系统）" if n else ""))
    return NOTES_ZH.get(text, text)


def refused_zh(text: str) -> str:
    """Why a maintenance window takes no time out (``govcloud.sla.changes``), in Chinese; else as given."""
    for pattern, zh in ((r"not approved \(approved: false\)", "未批准"),
                        (r"approved: true, but no approver \(approved_by\) recorded", "未记录批准人"),
                        (r"approved: true, but no approval time \(approved_at\) recorded", "未记录批准时间"),
                        (r"approved at (\S+), after the window began at (\S+)", None)):
        m = re.fullmatch(pattern, text)
        if m is not None:
            return zh or f"批准时间 {when(m.group(1))} 晚于窗口开始 {when(m.group(2))}"
    return text


def sla_report(inputs: DeliverableInputs, entry: MapEntry) -> dict[str, Any]:
    """The SLA report JSON the builder reads, or an error saying how to give it."""
    if inputs.sla_report is None:
        raise GovcloudError(SLA_REPORT_NEEDED.format(name=entry.name_zh.removeprefix("北京市政务云平台")))
    return inputs.sla_report


def taken_zh(text: str) -> str:
    """``18m 00s`` → ``18分00秒``."""
    return re.sub(r"(\d+)m (\d+)s", r"\1分\2秒", text)


def system_zh(system: str) -> str:
    return PLATFORM_ZH if system == PLATFORM else system


def percent_value(text: str) -> float | None:
    """``99.9326%`` → 99.9326; ``n/a`` → None."""
    return None if text == "n/a" else float(text.rstrip("%"))


def partial_zh(doc: dict[str, Any]) -> str:
    """For a month not over, up to when its figures go; "" for a whole month."""
    p = doc["period"]
    return "" if p["complete"] else f"月份未结束：数据截至 {when(p['end'], year=True)}（北京时间）。"


def verdict_block(doc: dict[str, Any]) -> str:
    """The month's verdict (article 6) with its figures and basis, in Chinese."""
    plat = doc["availability"]["platform"]
    v = doc["verdict"]
    text = (f"{doc['period']['label']} 平台可用性 {plat['availability']}（样本覆盖率 {plat['coverage']}），"
            f"合同目标 ≥ {doc['target']}（第6条）：{VERDICT_ZH[v]}。")
    return (f'<div class="verdict {esc(v)}"><strong>{esc(text + partial_zh(doc))}</strong></div>'
            + para("判定依据：" + note_zh(doc["verdict_basis"]), "note")
            + para("平台口径：" + note_zh(plat["basis"]), "note")
            + para("无样本时间（监控无数据）从不计为正常：仅当将其全部计为中断仍达标时判为达标；"
                   "将其全部计为正常仍未达标时判为未达标；其余为无法判定。", "note"))


def findings_table(doc: dict[str, Any]) -> str:
    """Every SLA check's findings (as the checks word them)."""
    return table(["严重\n程度", "检查项", "条款", "对象", "说明"],
                 [[Cell(SEVERITY_ZH.get(f["severity"], f["severity"]), bad=f["severity"] == "high", wrap=False),
                   f["check"], Cell(clause_zh(f["clause"]), wrap=False), f["subject"], f["message"]]
                  for f in doc["findings"]],
                 empty="无检查发现。")


def findings_summary(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    return f"检查发现 {s['findings']} 项（高 {s['high']}、中 {s['medium']}、低 {s['low']}）。"


def maintenance_table(doc: dict[str, Any]) -> str:
    """The month's maintenance windows: only an approved one takes time out (article 6); none given is said."""
    maint = doc["maintenance"]
    if maint is None:
        return para("未提供变更记录（--changes）：本月未扣除任何维护时间。", "note")
    return table(["变更单", "系统", "开始", "结束", "批准人", "是否扣除"],
                 [[m["change"], "、".join(m["systems"]), when(m["start"]), when(m["end"]), m["approved_by"] or "—",
                   Cell("扣除" if m["excludes"] else f"不扣除：{refused_zh(m['refused'] or '')}",
                        bad=not m["excludes"])] for m in maint],
                 empty="本月无维护窗口。")


def excluded_by_zh(text: str | None) -> str:
    """``INC-61 (article-61)`` → ``INC-61（第61条）``; none: 计入."""
    if not text:
        return "—（计入）"
    return re.sub(r" \((article-\d+)\)$", lambda m: f"（{clause_zh(m.group(1))}）", text)


def event_zh(contract: Contract, event: str) -> str:
    """An annex 3 event id as the contract words it (category: impact)."""
    for level in contract.incidents:
        for e in level.events:
            if e.id == event:
                return f"{e.category_zh}：{e.impact_zh}"
    return event


def termination_parts(doc: dict[str, Any], contract: Contract) -> str:
    """Each level's count of events in its window against what gives the right to terminate."""
    rules = {r.clause: r.text_zh for r in contract.termination}
    rows = [[Cell(f"{t['level']}级", wrap=False), Cell(clause_zh(t["clause"]), wrap=False), rules.get(t["clause"], ""),
             Cell(f"{t['window_months']}个月", wrap=False), Cell(str(t["count"]), True), Cell(str(t["needed"]), True),
             Cell("已达到" if t["reached"] else "未达到", bad=t["reached"], wrap=False)] for t in doc["termination"]]
    events = [[f"{t['level']}级", event_zh(contract, e["event"]), when(e["start"], year=True)]
              for t in doc["termination"] for e in t["events"]]
    return (table(["级别", "条款", "条件", "窗口", "窗口内\n事件", "所需\n次数", "是否\n达到"], rows)
            + "<h3>窗口内计入的事件</h3>" + table(["级别", "事件", "开始"], events, empty="无。"))
