"""The two change documents of article 16 (基础运维-变更申请, 变更管理报告) from a real change records file: one change
approved before its window on archive (its window covers most of the carrier month's archive outage), one not
approved on hearing, one in April. The workbook opened again with openpyxl; the report read back with poppler,
against a real SLA report run with the same change records on the SLA tests' backfilled Prometheus, with the lab
stack's contract settings (no amendments) and with a supplementary agreement; the same inputs give the same bytes;
a missing changes file is refused naming it; the command end to end."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
import time
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from govcloud.contract.amendments import load_amendment
from govcloud.contract.loader import load_contract
from govcloud.deliverables import change_report, change_request
from govcloud.deliverables.catalog import load_map
from govcloud.deliverables.inputs import period_of
from govcloud.deliverables.model import BEIJING, PDF, XLSX, DeliverableInputs, Document
from govcloud.deliverables.package import MissingInput
from govcloud.deliverables.workbook import FLAG_RGB
from govcloud.ledger import contracted
from govcloud.ledger.day import contracted_on_day
from govcloud.paths import DEFAULT_CONTRACT
from govcloud.sla.changes import ChangeRecords, load_changes
from govcloud.tenancy.config import load_stack_settings
from tests.sla.promserver import PromServer

from .conftest import prom_server, systems_files  # noqa: F401  (session fixtures, shared)

slow = pytest.mark.slow  # a real Prometheus
ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
CONTRACT = load_contract(DEFAULT_CONTRACT)
MAP = load_map(CONTRACT)
PERIOD = period_of("2026-03", CONTRACT)
APPROVER = "张伟（信息技术处）"

#: the carrier month's outage is 2026-03-18 14:00-16:30 on hearing, disclosure and archive (tests/sla/scenarios.py)
CHANGES = """
    kind: govcloud/sla-changes
    version: 1
    changes:
      - id: CHG-2026-032
        systems: [hearing]
        start: "2026-03-21T02:00:00+08:00"
        end: "2026-03-21T02:30:00+08:00"
        change: 庭审系统中间件重启
        approved: false
      - id: CHG-2026-031
        systems: [archive]
        start: "2026-03-18T14:00:00+08:00"
        end: "2026-03-18T16:00:00+08:00"
        change: 归档系统数据库版本升级
        approved: {by: 张伟（信息技术处）, at: "2026-03-16T10:00:00+08:00", reference: OA-2026-0312}
      - id: CHG-2026-040
        systems: [office]
        start: "2026-04-02T01:00:00+08:00"
        end: "2026-04-02T02:00:00+08:00"
        change: 办公系统补丁（四月，不在本期）
        approved: true
        approved_by: 李娜
        approved_at: "2026-03-30T09:00:00+08:00"
    """

AMENDMENT = """
    schema_version: 1
    id: SA-2026-01
    contract: "2025095"
    signed: 2026-03-10
    effective: 2026-03-16
    clause: article-77
    reason_zh: 庭审高峰扩容
    changes:
      - item: vcpu
        quantity: 2000
    """


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def changes_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("changes"), "changes.yaml", CHANGES)


@pytest.fixture(scope="module")
def records(changes_file: Path) -> ChangeRecords:
    return load_changes(changes_file)


def inputs_of(records: ChangeRecords | None, **kw: Any) -> DeliverableInputs:
    return DeliverableInputs(CONTRACT, "lab", PERIOD, changes=records, **kw)


def pdf_text(doc: Document, folder: Path) -> str:
    """``pdftotext -raw`` with every whitespace removed (table cells wrap)."""
    path = folder / doc.filename
    path.write_bytes(doc.data)
    out = subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True, capture_output=True, text=True,
                         timeout=120).stdout
    return "".join(out.split())


def timed(build: Any, inputs: DeliverableInputs, id: str) -> Document:
    t = time.perf_counter()
    doc = build(inputs, MAP.entry(id))
    print(f"\n{id}: {len(doc.data):,} bytes in {time.perf_counter() - t:.2f} s")
    return doc


# ------------------------------------------------------------------------------------------------ 变更申请 (xlsx)
def test_the_request_has_one_row_per_change_of_the_period_and_the_requesters_columns_empty(records) -> None:
    doc = timed(change_request.build, inputs_of(records), "change-request")
    assert (doc.id, doc.filename, doc.media_type) == ("change-request", "北京市政务云平台基础运维-变更申请-2026-03.xlsx",
                                                      XLSX)
    wb = openpyxl.load_workbook(BytesIO(doc.data))
    assert wb.sheetnames == ["变更申请"]
    ws = wb["变更申请"]
    title = [ws.cell(r, 1).value for r in range(1, 8)]
    assert title[0] == "北京市政务云平台基础运维-变更申请"
    assert "合同编号：2025095" in title[1] and CONTRACT.parties["tenant"].name_zh in title[2]
    assert "2026-03-01 至 2026-03-31" in title[3] and "生成日期：2026-04-01" in title[3]
    head = next(r for r in range(1, 20) if ws.cell(r, 1).value == "变更编号")
    headers = [c.value for c in ws[head]]
    assert headers[:9] == ["变更编号", "变更内容", "涉及系统", "计划开始", "计划结束", "时长(分钟)", "批准人", "批准时间",
                           "批准单号"]
    assert headers[9] == "批准状态"
    requester = headers[-4:]
    assert [h[:4] for h in requester] == ["变更原因", "风险评估", "回退方案", "申请人签"] and requester[-1] == "申请人签字"
    assert ws.freeze_panes == f"B{head + 1}"
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=head + 1)]
    assert [r[0] for r in rows] == ["CHG-2026-031", "CHG-2026-032"]  # by window start; April's is not of March
    ok, refused = rows
    assert ok[1:9] == ["归档系统数据库版本升级", "archive", datetime(2026, 3, 18, 14), datetime(2026, 3, 18, 16), 120,
                       APPROVER, datetime(2026, 3, 16, 10), "OA-2026-0312"]
    assert ok[9].startswith("已批准")
    assert refused[1:9] == ["庭审系统中间件重启", "hearing", datetime(2026, 3, 21, 2), datetime(2026, 3, 21, 2, 30), 30,
                            "—", "—", None]
    assert refused[9] == "未批准"
    for r in rows:
        assert r[-4:] == [None] * 4  # left for the requester
    status = headers.index("批准状态") + 1

    def flagged(row: int) -> bool:
        cell = ws.cell(row, status)
        return cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb == FLAG_RGB

    assert (flagged(head + 1), flagged(head + 2)) == (False, True)
    assert ws.cell(head + 1, 4).number_format == "yyyy-mm-dd hh:mm:ss"


def test_an_approval_after_the_window_began_is_refused_with_the_times(tmp_path: Path) -> None:
    late = _write(tmp_path, "late.yaml", """
        kind: govcloud/sla-changes
        version: 1
        changes:
          - id: CHG-9
            systems: [office]
            start: "2026-03-05T01:00:00+08:00"
            end: "2026-03-05T01:20:30+08:00"
            change: 补丁
            approved: {by: 李娜, at: "2026-03-05T09:00:00+08:00"}
        """)
    doc = change_request.build(inputs_of(load_changes(late)), MAP.entry("change-request"))
    ws = openpyxl.load_workbook(BytesIO(doc.data))["变更申请"]
    head = next(r for r in range(1, 20) if ws.cell(r, 1).value == "变更编号")
    row = [c.value for c in ws[head + 1]]
    assert row[5] == pytest.approx(20.5) and row[9] == "批准时间 03-05 09:00 晚于窗口开始 03-05 01:00"


def test_the_request_workbook_is_the_same_bytes_twice(records) -> None:
    a, b = (change_request.build(inputs_of(records), MAP.entry("change-request")).data for _ in range(2))
    assert hashlib.sha256(a).hexdigest() == hashlib.sha256(b).hexdigest()


@pytest.mark.parametrize("id, build, name", [("change-request", change_request.build, "基础运维-变更申请"),
                                             ("change-report", change_report.build, "变更管理报告")])
def test_without_change_records_the_builder_says_which_flag_gives_them(id: str, build: Any, name: str) -> None:
    with pytest.raises(MissingInput) as err:
        build(inputs_of(None), MAP.entry(id))
    assert str(err.value) == f"the {name} needs change records: give --changes FILE (schemas/sla-changes.schema.json)"


# ------------------------------------------------------------------------------------------------ 变更管理报告 (pdf)
@pytest.fixture(scope="module")
def sla_report_with_changes(prom_server: PromServer, systems_files, changes_file: Path  # noqa: F811
                            ) -> dict[str, Any]:
    """``govcloud sla report`` of the carrier month with the same change records, as a user runs it."""
    r = subprocess.run([sys.executable, "-m", "govcloud.cli", "sla", "report", "--prometheus", prom_server.url,
                        "--month", "2026-03", "--systems", str(systems_files["carrier"].path),
                        "--changes", str(changes_file), "--format", "json"],
                       check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode in (0, 2), r.stderr
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def lab_inputs(records, sla_report_with_changes) -> DeliverableInputs:
    """As ``deliverables build --stack lab`` gathers them: the lab stack's contract settings on the period's end."""
    return inputs_of(records, sla_report=sla_report_with_changes,
                     contracted=contracted(load_stack_settings("lab"), PERIOD.end))


@slow
def test_the_report_has_the_changes_their_approval_and_effect_on_availability(lab_inputs, sla_report_with_changes,
                                                                              tmp_path: Path) -> None:
    archive = next(a for a in sla_report_with_changes["availability"]["systems"] if a["system"] == "archive")
    assert [(e["reason"], e["minutes"]) for e in archive["excluded"]] == [("maintenance", "120.000")]
    assert archive["minutes"]["down"] == "30.000"  # 16:00-16:30, after the window
    doc = timed(change_report.build, lab_inputs, "change-report")
    assert (doc.id, doc.filename, doc.media_type) == ("change-report", "北京市政务云平台变更管理报告-2026-03.pdf", PDF)
    text = pdf_text(doc, tmp_path)
    assert "CHG-2026-031" in text and "CHG-2026-032" in text and "CHG-2026-040" not in text
    assert APPROVER in text and "OA-2026-0312" in text and "未批准" in text
    assert "部分由数据生成" in text and "2项（批准成立1项，不成立1项），涉及2个系统" in text
    # archive: 120 minutes taken out, 120 down inside the window (none counted), 30 after it; hearing: nothing
    assert "CHG-2026-031archive120120030一致" in text
    assert "CHG-2026-032hearing0000一致" in text
    assert "本期无合同变更" in text  # the lab stack has no supplementary agreements
    assert "七、变更评估与改进（由变更经理填写）" in text and "变更经理签字" in text
    assert lab_inputs.contracted is not None and lab_inputs.contracted.amendments == ()
    again = change_report.build(lab_inputs, MAP.entry("change-report"))
    assert again.data == doc.data


@slow
def test_the_report_page_is_drawn(lab_inputs, tmp_path: Path) -> None:
    doc = change_report.build(lab_inputs, MAP.entry("change-report"))
    path = tmp_path / doc.filename
    path.write_bytes(doc.data)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 3  # the cover, the data, the amendments and the change manager's section
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    assert "Noto-Sans-CJK-SC" in fonts
    print(f"\npages: {', '.join(map(str, pages))}")


def test_without_a_stack_or_an_sla_report_the_report_says_no_contract_change(records, tmp_path: Path) -> None:
    doc = timed(change_report.build, inputs_of(records), "change-report")
    text = pdf_text(doc, tmp_path)
    assert "本期无合同变更" in text and "未提供SLA报告" in text
    assert "CHG-2026-031" in text and "CHG-2026-032" in text and APPROVER in text and "未批准" in text
    assert "七、变更评估与改进（由变更经理填写）" in text


def test_an_amendment_in_force_and_a_report_made_without_change_records(records, tmp_path: Path) -> None:
    amendment = load_amendment(_write(tmp_path, "sa.yaml", AMENDMENT))
    in_force = contracted_on_day(CONTRACT, [amendment], PERIOD.end)
    recorded = json.loads((DATA / "sla-report-2026-03.json").read_text(encoding="utf-8"))
    assert recorded["maintenance"] is None  # it was run without --changes
    text = pdf_text(change_report.build(inputs_of(records, contracted=in_force, sla_report=recorded),
                                        MAP.entry("change-report")), tmp_path)
    assert "本期无合同变更" not in text
    assert "SA-2026-01" in text and "2026-03-10" in text and "2026-03-16至2026-05-31（本期生效）" in text
    assert "第77条" in text and "庭审高峰扩容" in text and "vCPU(主频不低于2.4GHz)数量1800→2000" in text
    # nothing was taken out: the archive window's 120 minutes of downtime counted, and the report is said to lack them
    assert "CHG-2026-031archive012012030SLA报告生成时未提供变更记录" in text


def test_a_missing_changes_file_is_an_error_naming_it(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "govcloud.cli", "deliverables", "build", "--stack", "lab", "--period",
                        "2026-03", "--out", str(tmp_path / "out"), "--changes", str(tmp_path / "nope.yaml"),
                        "--only", "change-request"], check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1
    assert f"{tmp_path / 'nope.yaml'}" in r.stderr and "changes file not found" in r.stderr
    assert not (tmp_path / "out").exists()


def test_the_command_builds_both_documents_the_same_bytes_as_this_process(changes_file: Path, records,
                                                                          tmp_path: Path) -> None:
    out = tmp_path / "package"
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "govcloud.cli", "deliverables", "build", "--stack", "lab", "--period",
                        "2026-03", "--out", str(out), "--changes", str(changes_file), "--only", "change-request",
                        "--only", "change-report"], check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    print(f"\ncommand: {time.perf_counter() - t:.1f} s")
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [d["id"] for d in manifest["documents"]] == ["change-request", "change-report"]
    assert {d["status"] for d in manifest["documents"]} == {"partial"}
    assert "sla-changes" in {i["source"] for i in manifest["inputs"]}
    for d in manifest["documents"]:
        assert hashlib.sha256((out / d["file"]).read_bytes()).hexdigest() == d["sha256"]
    assert manifest["generated"] == datetime(2026, 4, 1, tzinfo=BEIJING).isoformat()
    # another process (another hash seed), the same inputs: the same bytes
    here = inputs_of(records, contracted=contracted(load_stack_settings("lab"), PERIOD.end))
    assert {d["id"]: d["sha256"] for d in manifest["documents"]} == {
        id: hashlib.sha256(b(here, MAP.entry(id)).data).hexdigest()
        for id, b in (("change-request", change_request.build), ("change-report", change_report.build))}
    assert date.fromisoformat(manifest["period"]["end"]) == PERIOD.end
