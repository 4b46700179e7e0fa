"""The 事件处理报告 and 问题处理报告 (map status partial) from the recorded real SLA report of the carrier month
(``data/sla-report-2026-03.json``) and the incident records it was made from (those of
``tests/sla/test_report.py::test_a_carrier_record_excludes_its_outage_and_a_late_answer_is_flagged``): the text a
reader sees (``pdftotext``), the sections left for a person, the grouping of records into problems, the same
bytes again, clear errors for what is missing, and the command as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from govcloud.contract.loader import load_contract
from govcloud.deliverables import incident_report, problem_report
from govcloud.deliverables.catalog import load_map
from govcloud.deliverables.incident_report import cause_zh, loss_zh
from govcloud.deliverables.model import BEIJING, PDF, DeliverableInputs, Document, Period
from govcloud.deliverables.package import MissingInput, sha256
from govcloud.deliverables.problem_report import problems
from govcloud.errors import GovcloudError
from govcloud.paths import DEFAULT_CONTRACT
from govcloud.sla.incidents import IncidentRecords, load_incidents
from tests.sla.recordkit import CARRIER_INCIDENTS

from .docs import has, text_of

ROOT = Path(__file__).resolve().parents[2]
REPORT_FILE = ROOT / "tests" / "deliverables" / "data" / "sla-report-2026-03.json"
CONTRACT = load_contract(DEFAULT_CONTRACT)
MAP = load_map(CONTRACT)
MARCH = Period("2026-03", date(2026, 3, 1), date(2026, 3, 31))
BUILDERS = {"incident-report": incident_report.build, "problem-report": problem_report.build}

#: the records the recorded SLA report was made from (its sources name incidents.yaml)
INCIDENTS = CARRIER_INCIDENTS
#: a third record on archive a week later: with INC-7, the same system twice in the month
THIRD = """
      - id: INC-8
        systems: [archive]
        cause: provider
        reported: "2026-03-25T09:00:00+08:00"
        acknowledged: "2026-03-25T09:10:00+08:00"
        isolated: "2026-03-25T09:30:00+08:00"
        resolved: "2026-03-25T09:40:00+08:00"
    """
#: the other causes: force majeure with its proof (article 60) and lost data; the court's own
OTHERS = """
    kind: govcloud/sla-incidents
    version: 1
    incidents:
      - id: INC-60
        systems: [litigation, hearing, disclosure, archive]
        cause: force-majeure
        proof_date: "2026-03-20"
        detected: "2026-03-12T03:00:00+08:00"
        data_lost: {systems: [litigation, hearing, disclosure, archive], oldest_data_age_days: 45, recoverable: false}
      - id: INC-9
        systems: [office]
        cause: tenant
        reported: "2026-03-02T09:00:00+08:00"
      - id: INC-10
        systems: [litigation, hearing, disclosure, archive]
        cause: provider
        detected: "2026-03-12T03:00:00+08:00"
        data_lost: {systems: [litigation, hearing, disclosure, archive], oldest_data_age_days: 45, recoverable: false}
    """


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def records(folder: Path, *extra: str) -> IncidentRecords:
    return load_incidents(write(folder, "incidents.yaml", INCIDENTS.rstrip(" ") + "".join(extra)))


def report() -> dict[str, Any]:
    return json.loads(REPORT_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def inputs_of(incidents: IncidentRecords | None, sla: dict[str, Any] | None) -> DeliverableInputs:
    return DeliverableInputs(CONTRACT, "lab", MARCH, sla_report=sla, incidents=incidents)


@dataclass(frozen=True)
class Rendered:
    document: Document
    text: str
    seconds: float
    pages: int


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """Both documents built once from the recorded report and its records; pages drawn (``pdftoppm -r 60``)."""
    folder = tmp_path_factory.mktemp("incident-problem")
    inputs = inputs_of(records(folder), report())
    out = {}
    for id, build in BUILDERS.items():
        t = time.perf_counter()
        doc = build(inputs, MAP.entry(id))
        seconds = time.perf_counter() - t
        path = folder / doc.filename
        path.write_bytes(doc.data)
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(folder / id)], check=True, timeout=120)
        pages = len(list(folder.glob(f"{id}-*.png")))
        out[id] = Rendered(doc, text_of(doc.data, folder), seconds, pages)
        print(f"\n{id}: {len(doc.data):,} bytes, {pages} pages, rendered in {seconds:.2f} s ({path})")
    return out


# ------------------------------------------------------------------------------------------------ 事件处理报告
@pytest.mark.slow
@pytest.mark.parametrize("id", BUILDERS)
def test_each_is_a_pdf_named_for_its_entry_with_a_partial_cover(rendered: dict[str, Rendered], id: str) -> None:
    r = rendered[id]
    name = MAP.entry(id).name_zh
    assert (r.document.id, r.document.filename, r.document.media_type) == (id, f"{name}-2026-03.pdf", PDF)
    assert r.document.data.startswith(b"%PDF-") and r.pages >= 2
    assert has(r.text, name, "2025095", "北京市高级人民法院", "首信云技术有限公司", "部分由数据生成")


@pytest.mark.slow
def test_the_incident_report_shows_each_record_its_cause_its_clocks_and_the_engineers_box(
        rendered: dict[str, Rendered]) -> None:
    t = rendered["incident-report"].text
    # the summary: one record per cause, the late clock
    assert has(t, "乙方（云服务商）原因1—INC-7", "电信运营商核心网络故障1第61条：免责INC-61", "合计2")
    assert has(t, "本期事件记录的时限共6项，超时或应记录而未记录1项", "INC-7响应第9条1518分00秒超时")
    # INC-7: acknowledged 18 minutes after detection, 15 allowed (article 9); the monitoring saw archive down
    assert has(t, "1.INC-7", "发现2026-03-1814:02", "响应2026-03-1814:20", "恢复2026-03-1816:30")
    assert has(t, "响应第9条发现03-1814:021503-1814:1703-1814:2018分00秒超时")
    assert has(t, "故障隔离第10条发现03-1814:023003-1814:3203-1814:2523分00秒按时")
    assert has(t, "是：archive03-1814:00～03-1816:30（150分钟，计入可用性）")
    # INC-61: a carrier's core network (article 61) takes its two outages out; isolation 10 min (an important system)
    assert has(t, "2.INC-61", "电信运营商核心网络故障（第61条：免责）", "hearing、disclosure")
    assert has(t, "disclosure03-1814:00～03-1816:30（150分钟，本记录免责（第61条））")
    assert has(t, "故障隔离第10条发现03-1814:051003-1814:1503-1814:127分00秒按时")
    assert t.count("处理经过（由处理工程师填写）") == 2  # one box per record, for the engineer who handled it
    assert has(t, "时限判定取自SLA报告")


def test_causes_and_data_lost_in_chinese(tmp_path: Path) -> None:
    fm, tenant, provider = load_incidents(write(tmp_path, "others.yaml", OTHERS))
    assert cause_zh(fm) == "不可抗力（第60条，证明日期 2026-03-20：免责）"
    assert cause_zh(tenant) == "甲方（使用单位）原因"
    inc7 = next(r for r in records(tmp_path) if r.id == "INC-7")
    assert cause_zh(inc7) == "乙方（云服务商）原因"
    inputs = inputs_of(None, None)
    # four systems lost data 45 days old for good, but by force majeure: annex 3's A event is "因非不可抗力"
    assert loss_zh(fm, inputs) == "litigation、hearing、disclosure、archive：最早丢失数据距故障 45 天，确认无法恢复"
    assert loss_zh(provider, inputs) == ("litigation、hearing、disclosure、archive：最早丢失数据距故障 45 天，确认无法恢复；"
                                         "构成附件3 A级事件：数据丢失：因非不可抗力造成云平台超过3个信息系统丢失超过1个月以上的"
                                         "数据，且确认无法恢复")
    assert loss_zh(tenant, inputs) == "无"


# ------------------------------------------------------------------------------------------------ 问题处理报告
@pytest.mark.slow
def test_the_problem_report_takes_up_the_record_behind_the_b_event_and_leaves_the_analysis_to_a_person(
        rendered: dict[str, Rendered]) -> None:
    t = rendered["problem-report"].text
    assert has(t, "PRB-2026-03-01：archive", "附件3B级事件：服务中断：因非不可抗力造成超过10%至30%信息系统中断")
    assert has(t, "INC-7archive乙方（云服务商）原因2026-03-1814:022026-03-1816:30148")
    assert "PRB-2026-03-02" not in t  # INC-61 is the carrier's: the A-sized event it caused is excluded
    assert has(t, "附件3中因第60-61条免责而不计入的事件1起")
    for part in ("根本原因分析", "已知错误与临时措施", "永久解决措施（变更编号）"):
        assert has(t, part)
    assert has(t, "12个月窗口内计入1次；12个月内3次即触发第54条解除权，尚差2次", "B级事件（第54条）1次/3次")


@pytest.mark.slow
@pytest.mark.parametrize("with_report", [True, False], ids=["with-sla-report", "records-only"])
def test_two_records_of_one_system_are_one_problem_with_two_records(tmp_path: Path, with_report: bool) -> None:
    recs = records(tmp_path, THIRD)
    doc = problem_report.build(inputs_of(recs, report() if with_report else None), MAP.entry("problem-report"))
    t = text_of(doc.data, tmp_path)
    assert has(t, "PRB-2026-03-01：archive", "同一系统archive本期事件记录2条") and "PRB-2026-03-02" not in t
    assert has(t, "INC-7archive乙方（云服务商）原因", "INC-8archive乙方（云服务商）原因2026-03-2509:002026-03-2509:4040")
    assert has(t, "archive2188")  # 148 + 40 minutes from the records' start to resolved
    assert has(t, "附件3B级事件") == with_report
    assert has(t, "未提供SLA报告（--sla-report）：无法给出附件3事件") != with_report


def test_problems_join_reasons_that_share_a_record_and_keep_an_event_nobody_recorded(tmp_path: Path) -> None:
    recs = sorted(records(tmp_path, THIRD), key=lambda r: r.start_ms)
    b = report()["annex3"]["counted"][0]
    orphan = {**b, "systems": ["office"]}  # an event on a system no record names
    end = int(datetime(2026, 4, 1, tzinfo=BEIJING).timestamp() * 1000)
    found = problems(recs, [b, orphan], CONTRACT, until_ms=end)
    assert [[r.id for r in p.records] for p in found] == [["INC-7", "INC-8"], []]
    assert found[0].reasons[0] == "同一系统 archive 本期事件记录 2 条" and found[0].reasons[1].startswith("附件3 B级事件")
    assert problems(recs[:2], [], CONTRACT, until_ms=end) == []  # INC-7 and INC-61: other systems, once each


# ------------------------------------------------------------------------------------------------ both
@pytest.mark.slow
@pytest.mark.parametrize("id", BUILDERS)
def test_the_same_inputs_give_the_same_bytes(rendered: dict[str, Rendered], id: str, tmp_path: Path) -> None:
    again = BUILDERS[id](inputs_of(records(tmp_path), report()), MAP.entry(id))
    assert again.data == rendered[id].document.data


@pytest.mark.parametrize(("id", "given", "says"), [
    ("incident-report", "report", "the 事件处理报告 needs incident records: give --incidents FILE"),
    ("incident-report", "incidents", "the 事件处理报告 needs an SLA report: give --sla-report FILE"),
    ("problem-report", "report", "the 问题处理报告 needs incident records: give --incidents FILE"),
])
def test_a_missing_input_names_the_flag_that_gives_it(tmp_path: Path, id: str, given: str, says: str) -> None:
    inputs = inputs_of(records(tmp_path) if given == "incidents" else None, report() if given == "report" else None)
    with pytest.raises(MissingInput, match=says.replace("(", r"\(")):
        BUILDERS[id](inputs, MAP.entry(id))


def test_an_sla_report_made_without_records_or_from_other_records_is_refused(tmp_path: Path) -> None:
    entry = MAP.entry("incident-report")
    bare = {**report(), "incidents": None}
    with pytest.raises(MissingInput, match="was made without incident records.*--incidents"):
        incident_report.build(inputs_of(records(tmp_path), bare), entry)
    with pytest.raises(GovcloudError, match="judged the clocks of INC-61, INC-7, but .*incidents.yaml has INC-61, "
                                            "INC-7, INC-8 starting in it"):
        incident_report.build(inputs_of(records(tmp_path, THIRD), report()), entry)
    april = {**report(), "period": {**report()["period"], "label": "2026-04"}}
    with pytest.raises(GovcloudError, match="needs the SLA report of 2026-03, got 2026-04's"):
        incident_report.build(inputs_of(records(tmp_path), april), entry)


# ------------------------------------------------------------------------------------------------ the command
@pytest.mark.slow
def test_the_command_writes_both_and_lists_them_in_the_manifest(tmp_path: Path) -> None:
    incidents = write(tmp_path, "incidents.yaml", INCIDENTS)
    out = tmp_path / "package"
    r = subprocess.run([sys.executable, "-m", "govcloud.cli", "deliverables", "build", "--stack", "lab",
                        "--period", "2026-03", "--out", str(out), "--sla-report", str(REPORT_FILE),
                        "--incidents", str(incidents), "--only", "incident-report", "--only", "problem-report"],
                       check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    docs = {d["id"]: d for d in manifest["documents"]}
    assert set(docs) == {"incident-report", "problem-report"} and manifest["not_generated"] == []
    for id, d in docs.items():
        assert d["status"] == "partial" and d["file"] == f"{MAP.entry(id).name_zh}-2026-03.pdf"
        assert sha256((out / d["file"]).read_bytes()) == d["sha256"]
    assert {i["source"] for i in manifest["inputs"]} >= {"sla-report", "sla-incidents"}
