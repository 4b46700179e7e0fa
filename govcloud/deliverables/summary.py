"""北京市政务云平台XX时期保障服务总结报告 (articles 15-16, map status ``partial``): the period's service summed up
from what the other documents hold — the resources in force against what is deployed (article 2), the service
level (article 6, the SLA report's month and the term so far), incidents and changes (articles 9-10), the hosts'
等保 controls, and where each of article 16's documents stands — with the conclusions left for the provider.

Every part says when its input was not given instead of leaving it out silently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from decimal import Decimal

from govcloud.ledger.judgement import Status

from .assets import VERDICT_ZH
from .availability import rollups_table
from .capacity import compare
from .catalog import MapEntry, load_map
from .change_request import period_changes
from .incident_report import cause_zh, started
from .inspection import RESULT_ZH
from .model import DeliverableInputs, Document
from .pdf import Cell, cover, document, for_person, para, section, table, titled
from .slawords import findings_summary, verdict_block

HOW_ZH = {"generated": "数据生成", "partial": "数据＋人工", "template": "流程模板", "manual": "人工编写"}
NOT_GIVEN = "未提供{what}（{flag}）：本节无数据。"
NATURE = "部分由数据生成：各节数据由govcloud汇总；总结与建议由乙方填写"


def _n(d: Decimal | None) -> str:
    """A quantity as written (``1800``, ``0.0098``): nothing deployed is 0."""
    return f"{(d or Decimal(0)).normalize():f}"


def _resources(inputs: DeliverableInputs) -> str:
    if inputs.export is None:
        return para(NOT_GIVEN.format(what="部署状态", flag="--state EXPORT.json"), "note")
    rows = [[r.name_zh, r.unit, Cell(_n(r.contracted), True), Cell(_n(r.deployed), True, r.deployed != r.contracted),
             Cell(VERDICT_ZH.get(r.status, r.status.value), bad=r.status is not Status.OK, wrap=False)]
            for r in compare(inputs, inputs.export)]
    return table(("合同项目", "单位", "合同数量", "已部署", "结论"), rows)


def _service_level(inputs: DeliverableInputs) -> str:
    doc = inputs.sla_report
    if doc is None:
        return para(NOT_GIVEN.format(what="SLA报告", flag="--sla-report FILE"), "note")
    return verdict_block(doc) + para(findings_summary(doc)) + rollups_table(doc)


def _incidents(inputs: DeliverableInputs) -> str:
    if inputs.incidents is None:
        return para(NOT_GIVEN.format(what="事件记录", flag="--incidents FILE"), "note")
    records = started(inputs.incidents, inputs.period)
    causes = Counter(cause_zh(r) for r in records)
    late = ([c for c in inputs.sla_report["incidents"]["clocks"] if c["status"] in ("late", "missing")]
            if inputs.sla_report and inputs.sla_report.get("incidents") else [])
    return (table(("原因", "事件数"), [[k, Cell(str(v), True)] for k, v in sorted(causes.items())],
                  empty="本期无事件记录。")
            + para(f"本期事件 {len(records)} 条；超时的响应、到场或隔离时限 {len(late)} 项"
                   + ("" if inputs.sla_report else "（未提供SLA报告，时限未判定）") + "。"))


def _changes(inputs: DeliverableInputs) -> str:
    if inputs.changes is None:
        return para(NOT_GIVEN.format(what="变更记录", flag="--changes FILE"), "note")
    changes = period_changes(inputs, inputs.changes)
    refused = [c for c in changes if c.refused is not None]
    return para(f"本期变更 {len(changes)} 项，其中窗口开始前获批准 {len(changes) - len(refused)} 项，"
                f"未获批准或批准晚于窗口 {len(refused)} 项（未批准的窗口不从可用性中扣除，第6条）。")


def _security(inputs: DeliverableInputs) -> str:
    ev = inputs.evidence
    if ev is None:
        return para(NOT_GIVEN.format(what="加固证据", flag="--evidence FILE"), "note")
    rows = []
    for host, h in sorted(ev.hosts.items()):
        counts = Counter(c["result"] for c in h.get("controls", {}).values())
        rows.append([host, *(Cell(str(counts.get(k, 0)), True, k == "fail" and counts.get(k, 0) > 0)
                             for k in ("pass", "fail")), Cell(str(sum(counts.values())), True)])
    return table(("主机", RESULT_ZH["pass"], RESULT_ZH["fail"], "控制项"), rows)


def _deliverables(inputs: DeliverableInputs) -> str:
    dmap = load_map(inputs.contract)
    rows = [[e.phase_zh, e.name_zh, HOW_ZH[e.status]] for e in dmap.entries]
    return (para(f"第十六条所列 {len(rows)} 项交付物，须在服务期满（{dmap.due.isoformat()}）前提交（第十五条）；"
                 "各项提交情况见 govcloud deliverables status。") + table(("阶段", "交付物", "形成方式"), rows))


def build(inputs: DeliverableInputs, entry: MapEntry) -> Document:
    """The period's service summary from whatever inputs were given; the conclusions are the provider's."""
    title = titled(entry, inputs.period)
    body = "".join([
        cover(inputs, replace(entry, name_zh=title), [("文件性质", NATURE)]),
        section("一、资源（第二条）", _resources(inputs)),
        section("二、服务水平（第六条）", _service_level(inputs)),
        section("三、事件与变更（第九、十条）", _incidents(inputs), _changes(inputs)),
        section("四、主机安全（等保三级）", _security(inputs)),
        section("五、交付物（第十五、十六条）", _deliverables(inputs)),
        section("六、总结与建议（由乙方填写）", for_person("服务总结"), for_person("存在问题与改进建议"),
                for_person("甲方意见", height_mm=30)),
    ])
    return document(inputs, entry, body, title=title)
