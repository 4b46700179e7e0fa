"""北京市政务云平台巡检维护表 (article 16, 运维阶段): per host, per control of the control map (GB/T 22239-2019 8.1.4
等保三级 clauses and the contract's add-ons, article 6 and article 2), the result the harden evidence recorded.

What each control is (clause, title, line item) is the evidence's own ``control_map`` — the map the run used —
so the table says what was checked then, not what the map says now. A failed control is highlighted; so is a check
time outside the period (the evidence was not taken in it). A host the evidence does not cover reads 无证据.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any

from govcloud.hosts.evidence import Evidence

from .catalog import MapEntry
from .model import DeliverableInputs, Document
from .workbook import (
    Cell,
    Column,
    Rows,
    SheetSpec,
    beijing,
    document,
    evidence_note,
    flag,
    heading,
    host_rows,
    item_name,
    label,
    require_evidence,
)

#: the results the evidence schema allows, in its order (schemas/harden-evidence.schema.json)
RESULT_ZH = {"pass": "通过", "fail": "不通过", "waived": "豁免", "manual": "人工核查", "not_run": "未运行",
             "not_applicable": "不适用"}
FAILED = "fail"
NO_RESULTS = "无检查结果"

CONTROL_COLUMNS = (Column("主机名"), Column("控制项编号"), Column("条款"), Column("控制项", wrap=True),
                   Column("合同项目"), Column("结果"), Column("说明", wrap=True), Column("检查时间", "datetime"))
SUMMARY_COLUMNS = (Column("主机名"), Column("控制项数", "int"),
                   *(Column(zh, "int") for zh in RESULT_ZH.values()),
                   Column("通过率（通过/(通过+不通过)）", "percent3"), Column("可达"))


def _checked_at(inputs: DeliverableInputs) -> Cell:
    """When the hosts were looked at (``generated_at``, Beijing time), flagged outside the period."""
    assert inputs.evidence is not None
    at = beijing(inputs.evidence.doc["generated_at"])
    return Cell(at, not inputs.period.start <= at.date() <= inputs.period.end)


def _controls(inputs: DeliverableInputs, name: str, h: dict[str, Any]) -> Rows:
    assert inputs.evidence is not None
    info, at = inputs.evidence.controls, _checked_at(inputs)
    rows: Rows = []
    for cid, c in h.get("controls", {}).items():
        i = info.get(cid, {})
        result = flag(label(RESULT_ZH, c["result"]), c["result"] == FAILED)
        rows.append((name, cid, i.get("clause_zh", ""), i.get("title", ""), item_name(inputs, i.get("line_item", "")),
                     result, c["reason"], at))
    why = "" if h.get("reachable") else "主机不可达"
    return rows or [(name, "", "", "", "", Cell(NO_RESULTS, True), why, at)]


def _summary(inputs: DeliverableInputs, name: str, h: dict[str, Any]) -> Rows:
    n = Counter(c["result"] for c in h.get("controls", {}).values())
    judged = n["pass"] + n[FAILED]
    rate = Decimal(n["pass"]) / judged if judged else None
    return [(name, sum(n.values()), *(flag(n[r], r == FAILED and n[r] > 0) for r in RESULT_ZH), rate,
             "是" if h.get("reachable") else Cell("否", True))]


def _totals_note(ev: Evidence, at: Cell) -> str:
    n = Counter(c["result"] for h in ev.hosts.values() for c in h.get("controls", {}).values())
    counts = "，".join(f"{zh} {n[r]}" for r, zh in RESULT_ZH.items())
    when: datetime = at.value
    outside = (f"；注意：检查时间 {when:%Y-%m-%d} 不在统计期间内" if at.flagged else "")
    return f"共 {len(ev.hosts)} 台主机有检查结果，{sum(n.values())} 项：{counts}{outside}"


def build(inputs: DeliverableInputs, entry: MapEntry) -> Document:
    """The inspection table: 巡检记录 (per host per control) and 汇总 (counts per host)."""
    ev = require_evidence(inputs, entry)
    head = heading(inputs, entry, evidence_note(ev), _totals_note(ev, _checked_at(inputs)))
    return document(inputs, entry, [
        SheetSpec("巡检记录", head, CONTROL_COLUMNS, host_rows(inputs, len(CONTROL_COLUMNS), _controls)),
        SheetSpec("汇总", head, SUMMARY_COLUMNS, host_rows(inputs, len(SUMMARY_COLUMNS), _summary)),
    ])
