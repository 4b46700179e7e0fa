"""北京市政务云平台事件处理报告 (partial): the period's incident records, each with its clocks (articles 9-10).

Per record that started in the period: its systems, its cause in Chinese (the provider's; a carrier's core network,
article 61; force majeure with the date of its proof, article 60; the court's), its times, its three clocks as the
SLA checks judged them (the SLA report JSON's ``incidents.clocks``: one owner, never judged again here), whether
the monitoring saw it (the JSON's outages; an excluded outage names its record) and what data it lost; then an
empty box where the engineer who handled it writes what was done. A summary table comes first.

The records are the incidents file's (``schemas/sla-incidents.schema.json``); the SLA report must be the one made
from them, or the clocks would be another file's: a mismatch is an error, not a silent gap.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from govcloud.errors import GovcloudError
from govcloud.sla.clock import local_iso
from govcloud.sla.incidents import (
    EXCLUDED_CAUSES,
    Cause,
    Incident,
    IncidentRecords,
    clip_records,
    data_losses,
    touching,
)
from govcloud.sla.model import MS_PER_MINUTE, Interval, ms_of

from .catalog import MapEntry
from .model import BEIJING, DeliverableInputs, Document, Period
from .package import SOURCE_FLAGS, MissingInput
from .pdf import Cell, clause_zh, cover, document, esc, for_person, paged_section, para, section, table, when
from .slawords import CLOCK_ZH, FIELD_ZH, SLA_REPORT_NEEDED, STATUS_ZH, event_zh, excluded_by_zh, taken_zh

#: a cause as the report words it; a cause that takes outages out of the SLA adds its clause (``cause_zh``)
CAUSE_ZH = {Cause.PROVIDER: "乙方（云服务商）原因", Cause.CARRIER: "电信运营商核心网络故障",
            Cause.FORCE_MAJEURE: "不可抗力", Cause.TENANT: "甲方（使用单位）原因"}
TIMES_ZH = (("detected", "发现"), ("reported", "报告（甲方报障）"), ("acknowledged", "响应"), ("on_site", "到场"),
            ("isolated", "故障定位隔离"), ("resolved", "恢复"))
PARTIAL_ZH = "部分由数据生成：事件记录、时限判定与监控对照由数据生成；处理经过由处理工程师填写"
UNTRACED = "sla.untraced-incident"  # the SLA check that finds a record the monitoring never saw
UNRECORDED = "sla.unrecorded-outage"  # the SLA check that finds an outage no record covers


# ------------------------------------------------------------------------------------------------ inputs
def require_incidents(inputs: DeliverableInputs, entry: MapEntry) -> IncidentRecords:
    """The incident records, or a ``MissingInput`` naming the document and the option."""
    if inputs.incidents is None:
        raise MissingInput(f"the {short_name(entry)} needs incident records: give {SOURCE_FLAGS['sla-incidents']} "
                           "(schemas/sla-incidents.schema.json)")
    return inputs.incidents


def require_sla_report(inputs: DeliverableInputs, entry: MapEntry, *,
                       optional: bool = False) -> dict[str, Any] | None:
    """The SLA report JSON (of the period's month), or a ``MissingInput`` unless ``optional``."""
    doc = inputs.sla_report
    if doc is None:
        if optional:
            return None
        raise MissingInput(SLA_REPORT_NEEDED.format(name=short_name(entry)))
    if doc["period"]["label"] != inputs.period.label:
        raise GovcloudError(f"the {short_name(entry)} of {inputs.period.label} needs the SLA report of "
                            f"{inputs.period.label}, got {doc['period']['label']}'s")
    return doc


def short_name(entry: MapEntry) -> str:
    return entry.name_zh.removeprefix("北京市政务云平台")


def window(period: Period) -> Interval:
    """The period's Beijing days ``start``..``end`` (inclusive) as ``[start 00:00, end + 1 day 00:00)``."""
    start = datetime.combine(period.start, time(0), tzinfo=BEIJING)
    end = datetime.combine(period.end + timedelta(days=1), time(0), tzinfo=BEIJING)
    return Interval(ms_of(start), ms_of(end))


def started(records: Iterable[Incident], period: Period) -> list[Incident]:
    """The records that started in the period (those whose clocks its SLA report judged), by start then id."""
    return sorted(clip_records(records, window(period)), key=lambda r: (r.start_ms, r.id))


def clocks_of(doc: dict[str, Any], records: list[Incident], path: object) -> dict[str, list[dict[str, Any]]]:
    """``record id → its clocks`` from the SLA report; the report must have judged exactly these records."""
    inc = doc["incidents"]
    if inc is None:
        raise MissingInput(f"the SLA report of {doc['period']['label']} was made without incident records, so it "
                           f"has no clocks (articles 9-10): run govcloud sla report --incidents {path} and give "
                           f"that report to {SOURCE_FLAGS['sla-report']}")
    out: dict[str, list[dict[str, Any]]] = {r.id: [] for r in records}
    for k in inc["clocks"]:
        out.setdefault(k["incident"], []).append(k)
    judged = ", ".join(sorted(i for i, ks in out.items() if ks)) or "no record"
    ids = ", ".join(sorted(r.id for r in records)) or "no record"
    if judged != ids:
        raise GovcloudError(f"the SLA report of {doc['period']['label']} judged the clocks of {judged}, but {path} "
                            f"has {ids} starting in it: give the SLA report made from this incidents file "
                            f"(govcloud sla report --incidents {path})")
    return out


# ------------------------------------------------------------------------------------------------ wording
def cause_zh(rec: Incident) -> str:
    """``电信运营商核心网络故障（第61条：免责）``; force majeure with its proof's date (articles 60, 62)."""
    text = CAUSE_ZH[rec.cause]
    if rec.excluded_by is None:
        return text
    proof = f"，证明日期 {rec.proof_date.isoformat()}" if rec.proof_date is not None else ""
    return f"{text}（{clause_zh(rec.excluded_by)}{proof}：免责）"


def at_zh(ms: int | None) -> str:
    """An instant as ``2026-03-18 14:02`` (Beijing time); ``—`` when not recorded."""
    return "—" if ms is None else when(local_iso(ms), year=True)


def minutes_zh(ms: int) -> str:
    """Milliseconds as minutes: whole when whole, else to one decimal (rounded down)."""
    return str(ms // MS_PER_MINUTE) if ms % MS_PER_MINUTE == 0 else f"{ms // 6000 / 10:.1f}"


def _instant(text: str) -> int:
    return ms_of(datetime.fromisoformat(text))


# ------------------------------------------------------------------------------------------------ the monitoring
def outages_of(rec: Incident, doc: dict[str, Any], until_ms: int) -> list[dict[str, Any]]:
    """The report's outages of this record: those it takes out (``excluded_by`` names it) and those of its
    systems that overlap its ``[start, resolved)``."""
    span = rec.interval(until_ms)
    out = []
    for o in doc["outages"]:
        named = (o["excluded_by"] or "").startswith(f"{rec.id} (")
        overlaps = o["system"] in rec.systems and Interval(_instant(o["start"]), _instant(o["end"])).overlap(span) > 0
        if named or overlaps:
            out.append(o)
    return out


def untraced_ids(doc: dict[str, Any]) -> set[str]:
    """The records the SLA checks found no outage of (``sla.untraced-incident``)."""
    return {f["item"] for f in doc["findings"] if f["check"] == UNTRACED}


def seen_zh(rec: Incident, doc: dict[str, Any], until_ms: int) -> str:
    outs = outages_of(rec, doc, until_ms)
    if rec.id in untraced_ids(doc):
        return "否：监控数据中无其系统的中断（监控探测不到的故障，如响应缓慢、数据丢失，应在记录备注中说明）"
    if not outs:
        return "是（SLA检查已将其与监控中断对应）"

    def how(o: dict[str, Any]) -> str:
        if not o["excluded_by"]:
            return "计入可用性"
        if o["excluded_by"].startswith(f"{rec.id} ("):
            return f"本记录免责（{clause_zh(rec.excluded_by or '')}）"
        return "免责：" + excluded_by_zh(o["excluded_by"])

    return "是：" + "；".join(f"{o['system']} {when(o['start'])}～{when(o['end'])}（{o['minutes'].split('.')[0]} 分钟，"
                             f"{how(o)}）" for o in outs)


# ------------------------------------------------------------------------------------------------ the document
def build(inputs: DeliverableInputs, entry: MapEntry) -> Document:
    """The 事件处理报告 of the period: a summary, then each record with its clocks and a box for its handling."""
    records = require_incidents(inputs, entry)
    doc = require_sla_report(inputs, entry)
    assert doc is not None
    recs = started(records, inputs.period)
    clocks = clocks_of(doc, recs, records.path)
    until = window(inputs.period).end_ms
    late = [k for ks in clocks.values() for k in ks if k["status"] in ("late", "missing")]
    excluded = sum(1 for r in recs if r.excluded_by)
    body = (cover(inputs, entry, [("文件性质", PARTIAL_ZH), ("本期事件", f"{len(recs)} 条（免责 {excluded} 条）"),
                                  ("超时时限", f"{len(late)} 项")])
            + section("一、概况", summary(inputs, doc, records, recs, clocks))
            + paged_section("二、事件记录", [incident_part(i, r, clocks[r.id], doc, inputs, until)
                                          for i, r in enumerate(recs, 1)], "本期无事件记录。"))
    return document(inputs, entry, body)


def summary(inputs: DeliverableInputs, doc: dict[str, Any], records: IncidentRecords, recs: list[Incident],
            clocks: dict[str, list[dict[str, Any]]]) -> str:
    """Counts by cause, the late clocks, the records the monitoring did not see, data lost, and the sources."""
    w = window(inputs.period)
    earlier = [r for r in touching(records, w) if r.start_ms < w.start_ms]
    by_cause: list[list[Cell | str]] = []
    for c in Cause:
        ids = [r.id for r in recs if r.cause == c]
        by_cause.append([CAUSE_ZH[c], Cell(str(len(ids)), True),
                         f"{clause_zh(EXCLUDED_CAUSES[c])}：免责" if c in EXCLUDED_CAUSES else "—", "、".join(ids) or "—"])
    by_cause.append(["合计", Cell(str(len(recs)), True), "", ""])
    all_clocks = [k for r in recs for k in clocks[r.id]]
    late = [[k["incident"], CLOCK_ZH.get(k["clock"], k["clock"]), Cell(clause_zh(k["clause"]), wrap=False),
             Cell(str(k["limit_minutes"]), True), Cell(taken_zh(k["taken"]), True),
             Cell(STATUS_ZH.get(k["status"], k["status"]), bad=True)]
            for k in all_clocks if k["status"] in ("late", "missing")]
    untraced = sorted(untraced_ids(doc) & {r.id for r in recs})
    unrecorded = [f for f in doc["findings"] if f["check"] == UNRECORDED]
    lost = data_losses(recs, inputs.contract)
    return "".join([
        "<h3>按原因统计</h3>",
        table(["原因", "条数", "免责依据", "事件记录"], by_cause, totals=1),
        "<h3>超时的时限（第9-10条）</h3>",
        para(f"本期事件记录的时限共 {len(all_clocks)} 项，超时或应记录而未记录 {len(late)} 项。"),
        table(["事件记录", "时限", "条款", "时限\n（分钟）", "用时", "状态"], late, empty="无超时。"),
        "<h3>与监控对照</h3>",
        table(["项目", "结果"], [
            ["监控未发现的事件记录", Cell("、".join(untraced) if untraced else "无", bad=bool(untraced))],
            ["监控发现而无事件记录的中断", Cell("、".join(sorted({f["item"] for f in unrecorded})) + f"（{len(unrecorded)} 次）"
                                         if unrecorded else "无", bad=bool(unrecorded))],
            ["数据丢失记录", Cell(f"{len(lost)} 条" if lost else "无", bad=bool(lost))],
        ]),
        para(f"事件记录：{records.path.name}（共 {len(records)} 条，本期开始 {len(recs)} 条"
             + (f"；{len(earlier)} 条开始于本期之前、持续至本期（{'、'.join(r.id for r in earlier)}），"
                "其时限在开始当期的报告中判定" if earlier else "") + "）。"
             f"时限判定取自SLA报告（{doc['period']['label']}，生成于 {when(doc['generated'], year=True)}），"
             "由 govcloud sla report 的SLA检查计算，本报告不另行判定。时间均为北京时间。", "note"),
    ])


def incident_part(n: int, rec: Incident, clocks: list[dict[str, Any]], doc: dict[str, Any],
                  inputs: DeliverableInputs, until_ms: int) -> str:
    """One record: its facts, its clocks, the monitoring, data lost, and the engineer's box."""
    duration = ("未恢复（持续中）" if rec.resolved_ms is None
                else f"{minutes_zh(rec.resolved_ms - rec.start_ms)} 分钟（自{FIELD_ZH[rec.started_by]}至恢复）")
    facts = [("系统", "、".join(rec.systems)), ("原因", cause_zh(rec)),
             *((label, at_zh(getattr(rec, f"{field}_ms"))) for field, label in TIMES_ZH),
             ("持续时间", duration), ("监控是否发现", seen_zh(rec, doc, until_ms)), ("数据丢失", loss_zh(rec, inputs)),
             *((("记录备注", rec.notes),) if rec.notes else ())]
    rows = [[CLOCK_ZH.get(k["clock"], k["clock"]), Cell(clause_zh(k["clause"]), wrap=False),
             f"{FIELD_ZH.get(k['from'], k['from'])} {when(k['start'])}", Cell(str(k["limit_minutes"]), True),
             Cell(when((datetime.fromisoformat(k["start"]) + timedelta(minutes=k["limit_minutes"])).isoformat()),
                  wrap=False),
             Cell(when(k["at"]), wrap=False), Cell(taken_zh(k["taken"]), True),
             Cell(STATUS_ZH.get(k["status"], k["status"]), bad=k["status"] in ("late", "missing"))] for k in clocks]
    return "".join([
        f'<h3 style="font-size: 12pt; margin-top: 6mm;">{n}. {esc(rec.id)}</h3>',
        table(["项目", "记录"], [[Cell(k, wrap=False), v] for k, v in facts]),
        table(["时限", "条款", "起算", "时限\n（分钟）", "截止", "完成", "用时", "状态"], rows),
        for_person("处理经过（由处理工程师填写）",
                   "按时间顺序写明：接报与响应、到场、定位与隔离的方法、恢复措施、与甲方的沟通；处理工程师签字并注明日期。"),
    ])


def loss_zh(rec: Incident, inputs: DeliverableInputs) -> str:
    """The record's data loss and, when annex 3 makes it an event, which (``govcloud.sla.incidents.data_losses``)."""
    if rec.data_lost is None:
        return "无"
    lost = rec.data_lost
    judged = data_losses([rec], inputs.contract)[0]
    event = (f"；构成附件3 {judged.level}级事件：{event_zh(inputs.contract, judged.core_event)}"
             if judged.core_event else "")
    return (f"{'、'.join(lost.systems)}：最早丢失数据距故障 {lost.oldest_data_age_days} 天，"
            f"{'可恢复' if lost.recoverable else '确认无法恢复'}{event}")
