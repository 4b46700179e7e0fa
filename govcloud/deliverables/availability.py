"""北京市政务云平台可用性报告 (article 6: availability ≥ 99.99%), from one month's SLA report JSON.

The month's verdict and its basis, each system's figures against its downtime budget, the quarter and the term
so far (shown, not judged), the time taken out (approved maintenance, articles 60-61 records) and a chart of
each system against the target. Every figure is the JSON's, as the SLA report computed it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from govcloud.sla.clock import local_iso

from .catalog import MapEntry
from .model import DeliverableInputs, Document
from .pdf import Cell, chart, cover, document, para, section, table, when
from .slawords import (
    EXCLUDED_ZH,
    VERDICT_ZH,
    findings_summary,
    maintenance_table,
    note_zh,
    percent_value,
    sla_report,
    system_zh,
    verdict_block,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLOURS = {"met": "#2e7d32", "breached": "#c62828", "unverifiable": "#ef6c00"}


def build(inputs: DeliverableInputs, entry: MapEntry) -> Document:
    """The 可用性报告 of the SLA report's month (article 6)."""
    doc = sla_report(inputs, entry)
    plat = doc["availability"]["platform"]
    body = (cover(inputs, entry, [("平台可用性", f"{plat['availability']}（目标 ≥ {doc['target']}）"),
                                  ("判定", VERDICT_ZH[doc["verdict"]])])
            + section("一、结论（第6条）", verdict_block(doc), para(findings_summary(doc)))
            + section("二、各系统可用性", systems_table(doc), availability_chart(doc))
            + section("三、季度及合同期累计（仅列示，不作判定）", rollups_table(doc))
            + section("四、扣除时间", *excluded_parts(doc))
            + section("五、说明", notes(doc)))
    return document(inputs, entry, body)


def _figures_row(a: dict[str, Any]) -> list[Cell | str]:
    m, bad = a["minutes"], a["verdict"] != "met"
    return [system_zh(a["system"]), Cell(VERDICT_ZH[a["verdict"]], bad=bad, wrap=False),
            Cell(a["availability"], True, bad), Cell(a["coverage"], True), Cell(m["down"], True),
            Cell(m["budget"], True), Cell(a["budget_spent"], True, a["verdict"] == "breached"),
            Cell(m["unknown"], True), Cell(m["excluded"], True)]


def systems_table(doc: dict[str, Any]) -> str:
    """Each system and the platform: availability and coverage, downtime against the budget, unknown and
    excluded minutes."""
    rows = [_figures_row(a) for a in [*doc["availability"]["systems"], doc["availability"]["platform"]]]
    return table(["系统", "判定", "可用性", "样本\n覆盖率", "中断\n（分钟）", "允许中断\n（分钟）", "预算\n使用",
                  "无样本\n（分钟）", "扣除\n（分钟）"], rows, totals=1)


def rollup_label(label: str) -> str:
    """``2026-Q1 to 2026-03`` → ``2026-Q1（截至 2026-03）``; the term's as 合同期."""
    m = re.fullmatch(r"(term )?(\S+) to (\S+)", label)
    if m is None:
        return label
    return f"{'合同期 ' if m.group(1) else ''}{m.group(2)}（截至 {m.group(3)}）"


def rollups_table(doc: dict[str, Any]) -> str:
    """The platform over the quarter and the term so far, with the months the history lacks named."""
    rows = []
    for u in doc["rollups"]:
        p = u["platform"]
        missing = "、".join(u["missing_months"]) or "—"
        if p is None:
            rows.append([rollup_label(u["label"]), "0", "—", "—", "—", "—", "—", missing])
            continue
        rows.append([rollup_label(u["label"]), Cell(str(len(u["months"])), True), Cell(p["availability"], True),
                     Cell(p["coverage"], True), Cell(p["minutes"]["down"], True), Cell(p["minutes"]["budget"], True),
                     Cell(p["budget_spent"], True), missing])
    return (table(["期间", "月数", "可用性", "样本\n覆盖率", "中断\n（分钟）", "允许中断\n（分钟）", "预算\n使用",
                   "历史记录\n缺少的月份"], rows)
            + para("累计数据由govcloud的历史记录与本月数据相加；历史记录缺少的月份未计入。", "note"))


def excluded_parts(doc: dict[str, Any]) -> list[str]:
    """The maintenance windows of the month (approved ones take time out) and every stretch taken out."""
    parts = ["<h3>维护窗口</h3>" + maintenance_table(doc)]
    stretches = sorted(doc["availability"]["platform"]["excluded"], key=lambda e: (e["start_ms"], e["system"]))
    parts.append("<h3>扣除的时段</h3>" + table(
        ["系统", "原因", "开始", "结束", "分钟"],
        [[e["system"], EXCLUDED_ZH.get(e["reason"], e["reason"]), when(local_iso(e["start_ms"])),
          when(local_iso(e["end_ms"])), Cell(e["minutes"], True)] for e in stretches],
        empty="本月无扣除时段。"))
    parts.append(para("只有经甲方批准（批准人、批准时间在窗口开始之前）的维护窗口，以及第60-61条所列原因（如运营商"
                      "网络、不可抗力）的事件记录，才从考核时间中扣除。时间均为北京时间。", "note"))
    return parts


def notes(doc: dict[str, Any]) -> str:
    """Unknown time, annex 3 shares and where the figures come from."""
    ann = doc["annex3"]
    src = doc["sources"]
    return (para("无样本时间：监控没有样本的时间既不计为正常也不计为中断，以“样本覆盖率”列示；判定时按最不利情况处理。")
            + para(f"附件3比例：{note_zh(ann['note'])}（{ann['systems_known']} 个系统）。")
            + para(f"数据来源：监控 {src['prometheus']}；系统清单 {_name(src['systems'])}"
                   + "".join(f"；{label} {_name(src[k])}" for k, label in
                             (("incidents", "事件记录"), ("changes", "变更记录"), ("history", "历史记录")) if k in src)
                   + "。", "note"))


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def availability_chart(doc: dict[str, Any]) -> str:
    """Each system's availability (and the platform's) against the target, coloured by verdict."""
    rows = [*doc["availability"]["systems"], doc["availability"]["platform"]]
    target = percent_value(doc["target"]) or 99.99

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        values = [percent_value(a["availability"]) for a in rows]
        lowest = min([target, *(v for v in values if v is not None)])
        floor = max(0.0, lowest - (100 - lowest) * 0.3 - 0.001)
        ys = list(range(len(rows)))[::-1]
        for y, a, v in zip(ys, rows, values, strict=True):
            if v is None:
                ax.text(floor, y, " 无数据", va="center")
                continue
            platform = a is rows[-1]
            ax.barh(y, v - floor, left=floor, height=0.6, color=COLOURS[a["verdict"]],
                    edgecolor="black" if platform else COLOURS[a["verdict"]], linewidth=1.5 if platform else 0.5)
            ax.text(v, y, f" {a['availability']}", va="center", fontsize=8)
        ax.axvline(target, color="black", linestyle="--", linewidth=1)
        ax.text(target, len(rows) - 0.35, f"目标 {target:g}% ", ha="right", va="center", fontsize=8)
        ax.set_yticks(ys, [system_zh(a["system"]) for a in rows])
        ax.set_xlim(floor, 100 + (100 - floor) * 0.22)
        ax.set_ylim(-0.6, len(rows) - 0.05)
        ax.set_xticks([t for t in ax.get_xticks() if floor <= t <= 100])
        ax.ticklabel_format(axis="x", useOffset=False)
        ax.set_xlabel("可用性 %（有样本时间内）")

    return chart(draw, size=(7.0, 0.42 * len(rows) + 1.5),
                 caption=f"图1 {doc['period']['label']} 各系统可用性与合同目标（绿：达标，红：未达标，橙：无法判定；"
                         "黑框：平台合计）")
