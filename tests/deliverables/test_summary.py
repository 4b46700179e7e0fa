"""The term's or a month's 保障服务总结报告: every input summed up where given, and said to be missing where not;
the conclusions left for people. Built from the recorded real SLA report, the real lab export and evidence."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from govcloud.contract.loader import load_contract
from govcloud.deliverables.catalog import load_map
from govcloud.deliverables.inputs import period_of
from govcloud.deliverables.model import DeliverableInputs
from govcloud.deliverables.summary import build
from govcloud.hosts.evidence import load_evidence
from govcloud.paths import DEFAULT_CONTRACT
from govcloud.sla.changes import load_changes
from govcloud.sla.incidents import load_incidents
from govcloud.state.export import read_export
from tests.sla.recordkit import CARRIER_INCIDENTS, maint_changes

from .docs import EVIDENCE_FILE, ROOT, has, text_of

pytestmark = pytest.mark.slow

CONTRACT = load_contract(DEFAULT_CONTRACT)
ENTRY = load_map(CONTRACT).entry("service-summary")
REPORT = json.loads((ROOT / "tests" / "deliverables" / "data" / "sla-report-2026-03.json").read_text(encoding="utf-8"))
EXPORT = ROOT / "tests" / "state" / "data" / "lab-stack-export.json"


def _file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def test_every_input_is_summed_up_and_the_conclusions_are_left_for_people(tmp_path: Path) -> None:
    inputs = DeliverableInputs(
        CONTRACT, "lab", period_of("2026-03", CONTRACT), evidence=load_evidence(EVIDENCE_FILE),
        export=read_export(EXPORT), sla_report=REPORT,
        incidents=load_incidents(_file(tmp_path, "incidents.yaml", CARRIER_INCIDENTS)),
        changes=load_changes(_file(tmp_path, "changes.yaml", maint_changes())))
    doc = build(inputs, ENTRY)
    assert doc.filename == "北京市政务云平台XX时期保障服务总结报告-2026-03.pdf"
    text = text_of(doc.data, tmp_path)
    assert has(text, "北京市政务云平台2026年3月保障服务总结报告", "2025095")
    assert has(text, "vCPU", "1800", "低于合同")  # the lab deploys far less than the contract
    assert has(text, "99.9327%", "未达标")  # the month's platform figure and verdict from the SLA report
    assert has(text, "本期事件2条", "超时的响应、到场或隔离时限1项")  # INC-61 and INC-7; INC-7 answered late
    assert has(text, "本期变更2项", "未获批准或批准晚于窗口1项")
    assert has(text, "lab-app-01", "lab-db-01")  # controls per host from the evidence
    assert has(text, "23项交付物", "2026-05-31")
    assert has(text, "六、总结与建议（由乙方填写）", "服务总结", "存在问题与改进建议", "甲方意见")
    assert "未提供" not in text
    assert build(inputs, ENTRY).data == doc.data


def test_what_was_not_given_is_said_not_left_out(tmp_path: Path) -> None:
    text = text_of(build(DeliverableInputs(CONTRACT, "lab", period_of("term", CONTRACT)), ENTRY).data, tmp_path)
    assert has(text, "北京市政务云平台合同期保障服务总结报告")
    for flag in ("--state EXPORT.json", "--sla-report FILE", "--incidents FILE", "--changes FILE", "--evidence FILE"):
        assert has(text, f"（{flag}）：本节无数据。"), flag
    assert has(text, "23项交付物")  # the contract alone still gives the deliverables
