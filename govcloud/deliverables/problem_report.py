"""北京市政务云平台问题处理报告 (partial): the period's incident records grouped into problems (articles 53-56).

A problem is what the problem process (问题管理流程, step 1) asks to be found: the same system with two or more
records starting in the period, or any record behind an annex 3 event the SLA report counted (the events annex 3
counts are "因非不可抗力": those excluded by articles 60-61 are no problem of the provider's). Problems sharing a
record are one problem. Each lists its records, the time of each system from its records' start to resolved, and
their causes; then the sections a person writes: root cause, known error and workaround, the permanent fix and
its change number. Where the B-level count of article 54 stands is the SLA report's, when one is given.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from govcloud.contract.model import Contract
from govcloud.sla.incidents import Cause, Incident
from govcloud.sla.model import Interval, ms_of
from govcloud.sla.records import per_system

from .catalog import MapEntry
from .incident_report import CAUSE_ZH, at_zh, minutes_zh, require_incidents, require_sla_report, started, window
from .model import DeliverableInputs, Document
from .pdf import Cell, clause_zh, cover, document, esc, for_person, paged_section, para, section, table, when
from .slawords import event_zh, termination_parts

PARTIAL_ZH = "部分由数据生成：问题识别、关联事件记录与时长由数据生成；根本原因分析与解决措施由乙方填写"
PERSON_SECTIONS = (
    ("根本原因分析", "以“5个为什么”或鱼骨图等方法查明根本原因，写明证据（日志、监控、厂商结论）；分析人签字并注明日期。"),
    ("已知错误与临时措施", "写明已知错误的现象、触发条件和已采取的临时措施（绕行方案），及其生效时间。"),
    ("永久解决措施（变更编号）", ("写明永久措施及实施它的变更编号（服务请求管理流程第5步：事先经甲方批准），"
                            "计划与实际完成日期、验证结果与关闭日期。")),
)


@dataclass(frozen=True)
class Problem:
    """Records that belong together, why they were taken up (in Chinese), and when the first of them began."""

    records: tuple[Incident, ...]
    reasons: tuple[str, ...]
    start_ms: int

    @property
    def systems(self) -> tuple[str, ...]:
        return tuple(sorted({s for r in self.records for s in r.systems}))


def _interval(e: dict[str, Any]) -> Interval:
    return Interval(ms_of(datetime.fromisoformat(e["start"])), ms_of(datetime.fromisoformat(e["end"])))


def problems(records: Sequence[Incident], events: Sequence[dict[str, Any]], contract: Contract,
             until_ms: int) -> list[Problem]:
    """Group ``records`` (those of the period): each system with two or more records, and each annex 3 event
    (``events``: the SLA report's counted ones) with the records of its systems that overlap it, are a reason;
    reasons sharing a record are joined into one problem. An event no record overlaps is a problem alone."""
    reasons: list[tuple[str, list[Incident], int]] = []  # why, the records, when it began
    for s in sorted({s for r in records for s in r.systems}):
        on = [r for r in records if s in r.systems]
        if len(on) >= 2:
            reasons.append((f"同一系统 {s} 本期事件记录 {len(on)} 条", on, min(r.start_ms for r in on)))
    for e in events:
        span = _interval(e)
        behind = [r for r in records if set(r.systems) & set(e["systems"]) and r.interval(until_ms).overlap(span)]
        what = (f"附件3 {e['level']}级事件：{event_zh(contract, e['event'])}（{when(e['start'], year=True)}起，"
                f"{e['minutes']} 分钟，{'、'.join(e['systems'])}）")
        reasons.append((what, behind, span.start_ms))
    groups: list[Problem] = []
    for why, recs, start in reasons:
        ids = {r.id for r in recs}
        joined = [g for g in groups if ids & {r.id for r in g.records}]
        by_id = {r.id: r for g in joined for r in g.records} | {r.id: r for r in recs}
        groups = [g for g in groups if g not in joined] + [Problem(
            tuple(sorted(by_id.values(), key=lambda r: (r.start_ms, r.id))),
            tuple(w for g in joined for w in g.reasons) + (why,), min([start, *(g.start_ms for g in joined)]))]
    return sorted(groups, key=lambda p: (p.start_ms, not p.records, p.records[0].id if p.records else "", p.reasons))


def build(inputs: DeliverableInputs, entry: MapEntry) -> Document:
    """The 问题处理报告 of the period: the problems found in the records, each with the sections for a person."""
    records = require_incidents(inputs, entry)
    doc = require_sla_report(inputs, entry, optional=True)
    recs = started(records, inputs.period)
    until = window(inputs.period).end_ms
    found = problems(recs, doc["annex3"]["counted"] if doc else (), inputs.contract, until)
    label = inputs.period.label
    b = b_standing(doc)
    body = (cover(inputs, entry, [("文件性质", PARTIAL_ZH),
                                  ("本期问题", f"{len(found)} 个（关联事件记录 {sum(len(p.records) for p in found)} 条）"),
                                  (f"B级事件（{clause_zh(b['clause'])}）" if b else "B级事件",
                                   f"{b['count']} 次 / {b['needed']} 次" if b else "未提供SLA报告")])
            + section("一、概况", overview(inputs, doc, records.path.name, recs, found))
            + section("二、解除合同条件（第53-54条）", standing_part(doc, inputs.contract, inputs.period.end))
            + paged_section("三、问题", [problem_part(f"PRB-{label}-{i:02d}", p, until) for i, p in enumerate(found, 1)],
                            "本期未识别出问题。"))
    return document(inputs, entry, body)


def overview(inputs: DeliverableInputs, doc: dict[str, Any] | None, source: str, recs: list[Incident],
             found: list[Problem]) -> str:
    rows = [[f"PRB-{inputs.period.label}-{i:02d}", "、".join(p.systems) or "—",
             "、".join(r.id for r in p.records) or "无事件记录", "；".join(p.reasons)] for i, p in enumerate(found, 1)]
    excluded = len(doc["annex3"]["excluded"]) if doc else 0
    return (table(["问题编号", "系统", "事件记录", "识别依据"], rows, empty="本期未识别出问题。")
            + para(f"事件记录：{source}，本期开始 {len(recs)} 条。识别规则（问题管理流程第1步）：同一系统本期有 2 条及以上"
                   "事件记录，或事件记录与SLA报告计入的附件3 A/B级事件重叠（同一系统、时间重叠）；有共同事件记录的合为一个问题。"
                   + (f"附件3中因第60-61条免责而不计入的事件 {excluded} 起，非乙方原因，不作识别依据。" if excluded else "")
                   + ("" if doc else "未提供SLA报告（--sla-report）：仅按同一系统重复识别，未对照附件3事件。"), "note"))


def problem_part(pid: str, p: Problem, until_ms: int) -> str:
    """One problem: why, its records, each system's time from its records, causes, then the person's sections."""
    recs = [[r.id, "、".join(r.systems), CAUSE_ZH[r.cause], Cell(at_zh(r.start_ms), wrap=False),
             Cell(at_zh(r.resolved_ms) if r.resolved_ms is not None else "未恢复", wrap=False),
             Cell(minutes_zh(r.interval(until_ms).ms), True)] for r in p.records]
    spans = per_system((s, r.interval(until_ms)) for r in p.records for s in r.systems)
    per = [[s, Cell(str(sum(1 for r in p.records if s in r.systems)), True),
            Cell(minutes_zh(sum(iv.ms for iv in ivs)), True)] for s, ivs in spans.items()]
    counts = Counter(r.cause for r in p.records)
    causes = "、".join(f"{CAUSE_ZH[c]} {counts[c]} 条" for c in Cause if counts[c])
    open_note = "未恢复的记录计至期末。" if any(r.resolved_ms is None for r in p.records) else ""
    return "".join([
        f'<h3 style="font-size: 12pt; margin-top: 6mm;">{esc(pid)}：{esc("、".join(p.systems) or "附件3事件")}</h3>',
        para("识别依据：" + "；".join(p.reasons) + "。"),
        table(["事件记录", "系统", "原因", "开始", "恢复", "时长\n（分钟）"], recs,
              empty="无事件记录与此事件对应：请补录事件记录（故障管理流程）。"),
        table(["系统", "事件记录\n条数", "事件时长合计\n（分钟）"], per) if per else "",
        para(f"原因：{causes or '—'}。时长按事件记录自发现（或报告）至恢复计，同一系统重叠的记录不重复计；"
             f"{open_note}这不是监控测得的中断时间，可用性以可用性报告为准。", "note"),
        *(for_person(title, hint, height_mm=30) for title, hint in PERSON_SECTIONS),
    ])


def b_standing(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    """The SLA report's standing of annex 3's B level (article 54: three within a year)."""
    if doc is None:
        return None
    return next((t for t in doc["termination"] if t["level"] == "B"), None)


def standing_part(doc: dict[str, Any] | None, contract: Contract, end: date) -> str:
    """Where articles 53-54 stand (the SLA report's standings), the B-level count toward article 54 first."""
    if doc is None:
        return para("未提供SLA报告（--sla-report）：无法给出附件3事件在第53-54条窗口内的计数。", "note")
    b = b_standing(doc)
    line = ""
    if b is not None:
        left = max(b["needed"] - b["count"], 0)
        line = para(f"附件3 B级事件：截至本期末（{end.isoformat()}），{b['window_months']} 个月窗口内计入 "
                    f"{b['count']} 次；{b['window_months']} 个月内 {b['needed']} 次即触发{clause_zh(b['clause'])}解除权，"
                    + ("已达到。" if b["reached"] else f"尚差 {left} 次。"))
    return line + termination_parts(doc, contract)
