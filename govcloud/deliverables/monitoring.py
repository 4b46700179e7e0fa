"""北京市政务云平台7×24监控服务月报, from one month's SLA report JSON.

The month's outages (and the record of articles 60-61 that excludes one), annex 3 events, where the termination
rights of articles 53-54 stand, the incident clocks of articles 9-10, data-loss records (article 6's data
reliability), maintenance windows and the SLA checks' findings, with a timeline of the outages.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from govcloud.contract.model import Contract

from .catalog import MapEntry
from .model import DeliverableInputs, Document
from .pdf import Cell, chart, clause_zh, cover, document, para, section, table, when
from .slawords import (
    CLOCK_ZH,
    EXCLUDED_ZH,
    FIELD_ZH,
    STATUS_ZH,
    VERDICT_ZH,
    event_zh,
    excluded_by_zh,
    findings_summary,
    findings_table,
    maintenance_table,
    note_zh,
    partial_zh,
    sla_report,
    taken_zh,
    termination_parts,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DAY_S = 86_400
MIN_BAR_DAYS = 0.25  # a 150-minute outage is 0.1 day: drawn at least this wide to be seen


def build(inputs: DeliverableInputs, entry: MapEntry) -> Document:
    """The 7×24监控服务月报 of the SLA report's month."""
    doc = sla_report(inputs, entry)
    c = inputs.contract
    platform = f"{doc['availability']['platform']['availability']}（{VERDICT_ZH[doc['verdict']]}）"
    body = (cover(inputs, entry, [("平台可用性", platform), ("本月中断", outage_count(doc)),
                                  ("检查发现", findings_summary(doc))])
            + section("一、本月概况", overview(doc, c))
            + section("二、中断记录", outages_table(doc), timeline_chart(doc))
            + section("三、附件3事件", annex3_table(doc, c))
            + section("四、解除合同条件（第53-54条）", termination_parts(doc, c))
            + section("五、故障处理时限（第9-10条）", clocks_table(doc, c))
            + section("六、数据丢失与数据可靠性（第6条）", data_loss(doc, c))
            + section("七、维护窗口", maintenance_table(doc))
            + section("八、检查发现", findings_table(doc)))
    return document(inputs, entry, body)


def outage_count(doc: dict[str, Any]) -> str:
    outs = doc["outages"]
    excluded = sum(1 for o in outs if o["excluded_by"])
    return f"{len(outs)} 次（其中免责 {excluded} 次）"


def overview(doc: dict[str, Any], contract: Contract) -> str:
    """One line per section: what the month was, each against its clause."""
    plat = doc["availability"]["platform"]
    inc = doc["incidents"]
    late = [] if inc is None else [k for k in inc["clocks"] if k["status"] in ("late", "missing")]
    reached = [t for t in doc["termination"] if t["reached"]]
    rows = [
        ["平台可用性", f"{plat['availability']}（目标 ≥ {doc['target']}）", Cell(VERDICT_ZH[doc["verdict"]],
                                                                          bad=doc["verdict"] != "met"), "第6条"],
        ["中断", outage_count(doc), "—", "第60-61条"],
        ["附件3事件（计入）", f"{len(doc['annex3']['counted'])} 起", Cell("有" if doc["annex3"]["counted"] else "无",
                                                                      bad=bool(doc["annex3"]["counted"])), "附件3"],
        ["解除合同条件", "已达到：" + "、".join(f"{t['level']}级" for t in reached) if reached else "均未达到",
         Cell("达到" if reached else "未达到", bad=bool(reached)), "第53-54条"],
        ["故障处理时限", "未提供事件记录" if inc is None else f"{len(inc['clocks'])} 项，超时 {len(late)} 项",
         Cell("超时" if late else "—", bad=bool(late)), "第9-10条"],
        ["数据丢失记录", "未提供事件记录" if inc is None else f"{inc['data_losses']} 条",
         Cell("有" if inc and inc["data_losses"] else "—", bad=bool(inc and inc["data_losses"])), "第6条"],
    ]
    return (table(["项目", "本月", "结论", "依据"], rows) + para(findings_summary(doc))
            + (para(partial_zh(doc), "note") if partial_zh(doc) else "")
            + para("时间均为北京时间（Asia/Shanghai）。", "note"))


def outages_table(doc: dict[str, Any]) -> str:
    return table(["系统", "开始", "结束", "分钟", "免责依据"],
                 [[o["system"], when(o["start"]), when(o["end"]) + ("（持续中）" if o["ongoing"] else ""),
                   Cell(o["minutes"], True), Cell(excluded_by_zh(o["excluded_by"]), bad=not o["excluded_by"])]
                  for o in doc["outages"]], empty="本月无中断。")


def annex3_table(doc: dict[str, Any], contract: Contract) -> str:
    ann = doc["annex3"]
    rows = [[Cell(e["level"], wrap=False), event_zh(contract, e["event"]), Cell(when(e["start"]), wrap=False),
             Cell(when(e["end"]) + ("（持续中）" if e["ongoing"] else ""), wrap=False), Cell(e["minutes"], True),
             Cell(e["peak_share"], True), "、".join(e["systems"]),
             Cell("计入", bad=True) if kind == "counted" else f"不计入（{EXCLUDED_ZH.get(e['excluded_by'], '')}）"]
            for kind in ("counted", "excluded") for e in ann[kind]]
    return (table(["级别", "事件（附件3）", "开始", "结束", "分钟", "中断比例\n峰值", "系统", "是否计入"], rows,
                  empty="本月无附件3事件。")
            + para(f"{note_zh(ann['note'])}（{ann['systems_known']} 个系统）。", "note"))


def clocks_table(doc: dict[str, Any], contract: Contract) -> str:
    """Each incident record's clocks: response and on site (article 9), isolation (article 10)."""
    inc = doc["incidents"]
    if inc is None:
        return para("未提供事件记录（--incidents）：无法评估故障处理时限。", "note")
    sla = contract.sla
    rows = [[k["incident"], CLOCK_ZH.get(k["clock"], k["clock"]), Cell(clause_zh(k["clause"]), wrap=False),
             f"{FIELD_ZH.get(k['from'], k['from'])} {when(k['start'])}", Cell(str(k["limit_minutes"]), True),
             when(k["at"]), Cell(taken_zh(k["taken"]), True),
             Cell(STATUS_ZH.get(k["status"], k["status"]), bad=k["status"] in ("late", "missing"))]
            for k in inc["clocks"]]
    return (table(["事件记录", "时限", "条款", "起算", "时限\n（分钟）", "完成时间", "用时", "状态"], rows,
                  empty="本月无事件记录。")
            + para(f"事件记录 {inc['records']} 条，本月开始 {inc['started_in_period']} 条。合同时限：{sla.response_minutes} "
                   f"分钟内响应、{sla.on_site_hours} 小时内到场（第9条）；{sla.fault_isolation_minutes} 分钟内隔离故障，"
                   f"重要系统 {sla.fault_isolation_important_minutes} 分钟（第10条）。到场不是每次故障都需要："
                   "未记录的到场不作考核。", "note"))


def data_loss(doc: dict[str, Any], contract: Contract) -> str:
    inc = doc["incidents"]
    if inc is None:
        return para("未提供事件记录（--incidents）：无法统计数据丢失。", "note")
    return (para(f"本月数据丢失记录：{inc['data_losses']} 条（数据可靠性目标 "
                 f"{contract.sla.data_reliability_percent}%）。")
            + para(note_zh(inc["data_reliability"]) + "。", "note"))


# ------------------------------------------------------------------------------------------------ the chart
def _day(text: str, start: datetime) -> float:
    """An ISO time as a day of the month (day 1 starts at 1.0)."""
    return 1 + (datetime.fromisoformat(text) - start).total_seconds() / DAY_S


def timeline_chart(doc: dict[str, Any]) -> str:
    """Per system: outages counted (red) and excluded by a record (light blue), maintenance windows approved
    (green outline) and not (orange dashed); nothing when the month had neither."""
    if not doc["outages"] and not doc["maintenance"]:
        return ""
    systems = [a["system"] for a in doc["availability"]["systems"]]
    start = datetime.fromisoformat(doc["period"]["start"])
    end_day = _day(doc["period"]["end"], start)
    row = {s: len(systems) - 1 - i for i, s in enumerate(systems)}

    def span(a: str, b: str) -> tuple[float, float]:
        x = _day(a, start)
        return x, max(_day(b, start) - x, MIN_BAR_DAYS)

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        for m in doc["maintenance"] or ():
            for s in m["systems"]:
                if s in row:
                    ax.broken_barh([span(m["start"], m["end"])], (row[s] - 0.42, 0.84), facecolor="none",
                                   edgecolor="#2e7d32" if m["excludes"] else "#ef6c00",
                                   linestyle="-" if m["excludes"] else "--", linewidth=1.2)
        for o in doc["outages"]:
            if o["system"] in row:
                excluded = bool(o["excluded_by"])
                ax.broken_barh([span(o["start"], o["end"])], (row[o["system"]] - 0.3, 0.6),
                               facecolor="#9ecae1" if excluded else "#c62828",
                               edgecolor="#1f4e79" if excluded else "#c62828", linewidth=0.8)
        ax.set_yticks(list(row.values()), list(row))
        ax.set_xlim(1, end_day)
        ax.set_ylim(-0.6, len(systems) - 0.4)
        ax.set_xticks(range(1, int(end_day) + 1, 2 if end_day > 16 else 1))
        ax.set_xlabel(f"{doc['period']['label']} 日期（北京时间）")
        ax.grid(axis="x", color="#dddddd", linewidth=0.5)
        ax.set_axisbelow(True)

    return chart(draw, size=(7.2, 0.45 * len(systems) + 1.3),
                 caption=f"图1 {doc['period']['label']} 中断时间线（红：计入的中断；浅蓝：免责的中断；"
                         "绿框：经批准的维护窗口；橙色虚框：未批准的维护窗口）")
