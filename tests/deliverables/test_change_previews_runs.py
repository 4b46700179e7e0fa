"""The change documents' previews and runbook runs (article 16: "changes: amendments, previews costed with `diff`,
runbook runs, with dates and who approved").

The previews are real `govcloud diff --format json` outputs of the prod stack, from preview digests made the way
tests/checks makes them (no Pulumi CLI here: the prod program's export under the mock runtime with one change):
vCPU quota raised to 2000 (over the contract: a supplementary agreement first), cut to 1700 (under it), and a
security group rule's description changed in April (within the contract, outside March). The runs are real
`govcloud runbook migrate-in` runs of the prod stack, each under ``faketime`` (Debian's libfaketime) so that its
journal is dated inside the contract's term: litigation started 2026-03-12 and paused before the security gate,
resumed on 03-14 and blocked there (the harden evidence is of the lab's hosts); hearing in April. The documents read
back with openpyxl and pdftotext show diff's money to the fen; previews and journals of another stack or contract
are refused naming the file and the field; the command end to end gives the same bytes as this process. A run of
no stack (``runbook run FILE`` of the exit runbook's acceptance step, 03-20) shows who approved: the court's
acceptance, as the step recorded it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from govcloud.contract.loader import load_contract
from govcloud.contract.money import fmt_yuan
from govcloud.deliverables import change_report, change_request
from govcloud.deliverables.catalog import load_map
from govcloud.deliverables.inputs import gather
from govcloud.deliverables.model import BEIJING, DeliverableInputs
from govcloud.deliverables.previews import NEEDS_AMENDMENT_ZH, UNDER_ZH
from govcloud.errors import InputError
from govcloud.paths import DEFAULT_CONTRACT
from tests.checks.conftest import prod_export, resources  # noqa: F401  (a session fixture, shared)
from tests.checks.test_diff import preview_from, raise_cores
from tests.state.conftest import LAB_PREVIEW

from .docs import flagged, has, text_of, workbook
from .test_changes_docs import CHANGES, _write

ROOT = Path(__file__).resolve().parents[2]
GOVCLOUD = [sys.executable, "-m", "govcloud.cli"]
CONTRACT = load_contract(DEFAULT_CONTRACT)
MAP = load_map(CONTRACT)
HARDEN_EVIDENCE = ROOT / "tests" / "runbook" / "data" / "harden-evidence.json"  # a recorded harden run (lab hosts)
INVENTORY = "all:\n  hosts:\n    old-app-01: {}\n    litigation-app-01: {}\n    hearing-app-01: {}\n"
#: a runbook of no stack (``runbook run FILE``) whose one step is the exit runbook's: it records the court's acceptance
ACCEPTANCE_RUNBOOK = """\
kind: govcloud/runbook
version: 1
name: court-acceptance
title: record the court's acceptance of an export
params: [system, acceptance]
steps:
  - id: court-acceptance
    title: the court's acceptance of the export of ${system}
    clause: article-58
    touches: ["run dir: acceptance/exit-acceptance.json"]
    precondition: {none: the court has written its acceptance}
    action: {builtin: {name: exit.record_acceptance, with: {acceptance: "${acceptance}",
                                                            copy: acceptance/exit-acceptance.json}}}
    verification: {builtin: {name: file.exists, with: {path: acceptance/exit-acceptance.json}}}
    evidence: [acceptance/exit-acceptance.json]
"""
ACCEPTANCE = {"kind": "govcloud/exit-acceptance", "version": 1, "contract": "2025095", "system": "litigation",
              "manifest_sha256": "0" * 64, "accepted_at": "2026-03-20T10:30:00+08:00",
              "accepted_by": {"name": "王芳", "organisation": "北京市高级人民法院", "title": "信息技术处处长"}}


def govcloud(*args: str, env: dict[str, str] | None = None, faked: str | None = None
             ) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it; ``faked``: under ``faketime`` started at that UTC time (the clock runs on)."""
    cmd = [*GOVCLOUD, *args]
    if faked is not None:
        cmd = ["faketime", "-f", f"@{faked}", *cmd]
    return subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TZ": "UTC", **(env or {})})


def diff_json(folder: Path, name: str, preview: dict[str, Any], on: str, stack: str = "prod",
              exit_code: int = 2) -> Path:
    """``govcloud diff --format json`` of ``preview`` priced on ``on``, written to ``folder/name``."""
    src = folder.parent / f"{name}.preview.json"
    src.write_text(json.dumps(preview, ensure_ascii=False), encoding="utf-8")
    out = govcloud("diff", "--stack", stack, "--preview", str(src), "--format", "json", "--on", on)
    assert out.returncode == exit_code, out.stderr
    path = folder / name
    path.write_text(out.stdout, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def previews(prod_export: Path, tmp_path_factory: pytest.TempPathFactory  # noqa: F811
             ) -> dict[str, Path]:
    """Three real diff outputs of the prod stack in one folder: over (03-10), under (03-25), within (04-02)."""
    doc = json.loads(prod_export.read_text(encoding="utf-8"))
    folder = tmp_path_factory.mktemp("changes") / "previews"
    folder.mkdir()
    rule = next(r for r in resources(doc) if r["type"].endswith("secGroupRule:SecGroupRule"))
    new = copy.deepcopy(rule)
    new["inputs"]["description"] = "tightened"
    return {"over": diff_json(folder, "diff-vcpu-2000.json", raise_cores(doc, 2000), "2026-03-10"),
            "under": diff_json(folder, "diff-vcpu-1700.json", raise_cores(doc, 1700), "2026-03-25"),
            "within": diff_json(folder, "diff-rule.json", preview_from(doc, {rule["urn"]: (rule, new)}), "2026-04-02",
                                exit_code=0)}


def migrate_in(runs: Path, stack: str, system: str, at: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """A real migrate-in run (up to the security gate: no host is touched before it) at UTC time ``at``."""
    inventory = runs.parent / "inventory.yml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    return govcloud("runbook", "migrate-in", "--stack", stack, "--system", system, "--source", "old-app-01",
                    "--inventory", str(inventory), "--evidence", str(HARDEN_EVIDENCE), "--database", "court",
                    *(() if "--resume" in extra else ("--order-date", at[:10])),  # a resume keeps the run's
                    "--run-dir", str(runs / "migrate-in" / system), *extra,
                    env={"GOVCLOUD_LOCK_DIR": str(runs.parent / "locks")}, faked=at)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """runs/ of the prod stack: litigation paused 03-12 10:00, resumed and blocked 03-14; the court's acceptance
    recorded 03-20 11:00 (a run of no stack); hearing in April."""
    folder = tmp_path_factory.mktemp("runbook") / "runs"
    first = migrate_in(folder, "prod", "litigation", "2026-03-12 02:00:00", "--stop-before", "security-gate")
    assert first.returncode == 3, first.stdout + first.stderr  # paused
    again = migrate_in(folder, "prod", "litigation", "2026-03-14 01:30:00", "--resume")
    assert again.returncode == 2, again.stdout + again.stderr  # blocked at the gate
    april = migrate_in(folder, "prod", "hearing", "2026-04-03 06:00:00", "--stop-before", "security-gate")
    assert april.returncode == 3, april.stdout + april.stderr
    runbook, acceptance = folder.parent / "court-acceptance.yaml", folder.parent / "exit-acceptance.json"
    runbook.write_text(ACCEPTANCE_RUNBOOK, encoding="utf-8")
    acceptance.write_text(json.dumps(ACCEPTANCE, ensure_ascii=False), encoding="utf-8")
    court = govcloud("runbook", "run", str(runbook), "--param", "system=litigation", "--param",
                     f"acceptance={acceptance}", "--run-dir", str(folder / "court-acceptance" / "litigation"),
                     env={"GOVCLOUD_LOCK_DIR": str(folder.parent / "locks")}, faked="2026-03-20 03:00:00")
    assert court.returncode == 0, court.stdout + court.stderr
    return folder


@pytest.fixture(scope="module")
def changes_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("records"), "changes.yaml", CHANGES)


@pytest.fixture(scope="module")
def gathered(changes_file: Path, previews: dict[str, Path], runs: Path) -> tuple[DeliverableInputs, dict[str, Path]]:
    """As ``deliverables build --stack prod --period 2026-03`` gathers them: the previews' folder, the runs' folder."""
    return gather(CONTRACT, "prod", "2026-03", changes=changes_file, previews=[previews["over"].parent], journals=runs)


def diff_doc(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def rows_of(ws: Any) -> list[dict[str, Any]]:
    """The data rows under the header row as {header: value}."""
    head = next(r for r in range(1, 20) if ws.cell(r, 1).value is None) + 1
    headers = [c.value for c in ws[head]]
    return [{h: c.value for h, c in zip(headers, row)} for row in ws.iter_rows(min_row=head + 1)
            if row[0].value is not None]


def journal_times(run_dir: Path) -> tuple[datetime, datetime]:
    """A run's first and last record times as its journal holds them, in Beijing time (naive, as Excel keeps them)."""
    lines = (run_dir / "journal.jsonl").read_text(encoding="utf-8").splitlines()
    first, last = (datetime.fromisoformat(json.loads(line)["ts"]).astimezone(BEIJING).replace(tzinfo=None)
                   for line in (lines[0], lines[-1]))
    return first, last


def yuan(value: Any) -> Decimal:
    """A workbook's number as the yuan it holds (openpyxl reads floats), to the fen."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


# ------------------------------------------------------------------------------------------------ inputs
def test_gather_reads_every_preview_and_run_and_records_their_digests(gathered, previews, runs) -> None:
    inputs, sources = gathered
    assert inputs.previews is not None and inputs.runs is not None
    assert [p.path.name for p in inputs.previews.given] == ["diff-vcpu-2000.json", "diff-vcpu-1700.json",
                                                            "diff-rule.json"]  # by date
    assert [p.on for p in inputs.previews.dated(date(2026, 3, 1), date(2026, 3, 31))] == [date(2026, 3, 10),
                                                                                          date(2026, 3, 25)]
    assert [r.name for r in inputs.runs.given] == ["migrate-in/litigation", "court-acceptance/litigation",
                                                   "migrate-in/hearing"]  # by start
    lit, court = inputs.runs.given[:2]
    assert (lit.runbook, lit.stack, lit.system, lit.result, lit.stopped_at, lit.attempts, lit.verified,
            len(lit.steps)) == ("migrate-in", "prod", "litigation", "blocked", "security-gate", 2, 2, 17)
    assert lit.work_order == "WO-2025095-litigation-20260312-entry" and lit.approval is None
    assert (court.stack, court.result, court.verified, court.work_order) == (None, "completed", 1, None)
    assert court.approval == "北京市高级人民法院 王芳（court-acceptance，2026-03-20 10:30）"
    assert sources["diff-preview diff-vcpu-2000.json"] == previews["over"]
    assert sources["runbook-journal migrate-in/litigation"] == runs.resolve() / "migrate-in/litigation/journal.jsonl"


# ------------------------------------------------------------------------------------------------ 变更申请 (xlsx)
def test_the_request_workbook_has_a_sheet_of_previews_with_diffs_money_to_the_fen(gathered, previews) -> None:
    inputs, _ = gathered
    wb = workbook(change_request.build(inputs, MAP.entry("change-request")))
    assert wb.sheetnames == ["变更申请", "变更预览与费用影响", "运维手册执行记录"]
    ws = wb["变更预览与费用影响"]
    title = [ws.cell(r, 1).value for r in range(1, 7)]
    assert "govcloud diff 输出 3 份，本期（按计价日）2 份，其中须签订补充协议 1 份" in title[4]
    rows = rows_of(ws)
    assert [(r["预览文件"], r["服务项"]) for r in rows] == [
        ("diff-vcpu-2000.json", "vCPU(主频不低于2.4GHz)"), ("diff-vcpu-2000.json", "合计（全部服务项）"),
        ("diff-vcpu-1700.json", "vCPU(主频不低于2.4GHz)"), ("diff-vcpu-1700.json", "合计（全部服务项）")]
    over, over_total, under, under_total = rows
    assert over["计价日"] == datetime(2026, 3, 10) and under["计价日"] == datetime(2026, 3, 25)
    assert (over["结论"], under["结论"]) == (NEEDS_AMENDMENT_ZH, UNDER_ZH)
    assert (over["合同数量"], over["变更前"], over["变更后"], over["变更后状态"]) == (1800, 1800, 2000, "超出合同")
    assert (under["变更后"], under["变更后状态"]) == (1700, "低于合同")
    # money: exactly what diff printed, to the fen (14 yuan per vCPU-month, 12 months)
    for row, total, path in ((over, over_total, previews["over"]), (under, under_total, previews["under"])):
        doc = diff_doc(path)
        vcpu = next(i for i in doc["items"] if i["id"] == "vcpu")
        assert yuan(row["月费用-变更前(元)"]) == Decimal(vcpu["monthly_before"])
        assert yuan(row["月费用-变更后(元)"]) == Decimal(vcpu["monthly_after"])
        assert yuan(row["合同期费用-变更后(元)"]) == Decimal(vcpu["term_after"])
        assert yuan(row["月费用增减(元)"]) == Decimal(vcpu["monthly_after"]) - Decimal(vcpu["monthly_before"])
        assert yuan(row["合同期费用增减(元)"]) == Decimal(vcpu["term_after"]) - Decimal(vcpu["term_before"])
        for key, field in (("月费用-变更前(元)", "monthly_before"), ("月费用-变更后(元)", "monthly_after"),
                           ("合同期费用-变更前(元)", "term_before"), ("合同期费用-变更后(元)", "term_after")):
            assert yuan(total[key]) == Decimal(doc[field]), key
    assert yuan(over["月费用增减(元)"]) == Decimal("2800.00") and yuan(over["合同期费用增减(元)"]) == Decimal("33600.00")
    assert yuan(under["合同期费用增减(元)"]) == Decimal("-16800.00")
    assert yuan(over_total["合同期费用-变更前(元)"]) == Decimal("5983667.20")  # the contract's total
    head = next(r for r in range(1, 20) if ws.cell(r, 1).value == "预览文件")
    money = [c.value for c in ws[head]].index("月费用增减(元)") + 1
    assert ws.cell(head + 1, money).number_format == "#,##0.00"
    assert ws.freeze_panes == f"B{head + 1}"
    verdict = [c.value for c in ws[head]].index("结论") + 1
    assert flagged(ws.cell(head + 1, verdict)) and flagged(ws.cell(head + 3, verdict))


def test_the_request_workbook_has_a_sheet_of_the_periods_runs(gathered, runs: Path) -> None:
    inputs, _ = gathered
    ws = workbook(change_request.build(inputs, MAP.entry("change-request")))["运维手册执行记录"]
    rows = rows_of(ws)
    assert [r["运行目录"] for r in rows] == ["migrate-in/litigation", "court-acceptance/litigation"]  # not April's
    run, court = rows
    assert (run["运维手册"], run["系统"], run["栈"]) == ("migrate-in", "litigation", "prod")
    start, end = journal_times(runs / "migrate-in" / "litigation")
    assert (start.date(), start.hour, end.date(), end.hour) == (date(2026, 3, 12), 10, date(2026, 3, 14), 9)
    assert (run["开始"], run["结束"]) == (start, end)  # Beijing time, to the millisecond
    assert run["结果"] == "前置条件不满足，已停止（security-gate）"
    assert (run["已验证步骤"], run["步骤总数"], run["尝试次数"]) == (2, 17, 2)
    assert run["步骤明细"] == ("work-order 已验证；target-in-stack 已验证；security-gate 前置条件不满足；其余 14 步未开始")
    assert (run["工单号"], run["批准/验收"]) == ("WO-2025095-litigation-20260312-entry", "—")
    assert (court["栈"], court["结果"], court["已验证步骤"], court["步骤总数"], court["步骤明细"]) == (
        "—", "全部步骤已验证", 1, 1, "court-acceptance 已验证")
    assert court["批准/验收"] == "北京市高级人民法院 王芳（court-acceptance，2026-03-20 10:30）"
    head = next(r for r in range(1, 20) if ws.cell(r, 1).value == "运行目录")
    result = [c.value for c in ws[head]].index("结果") + 1
    assert flagged(ws.cell(head + 1, result)) and not flagged(ws.cell(head + 2, result))
    assert ws.cell(head + 1, 5).number_format == "yyyy-mm-dd hh:mm:ss"


# ------------------------------------------------------------------------------------------------ 变更管理报告 (pdf)
def test_the_report_lists_the_previews_costed_and_the_runs(gathered, previews, runs: Path, tmp_path: Path) -> None:
    inputs, _ = gathered
    text = text_of(change_report.build(inputs, MAP.entry("change-report")).data, tmp_path)
    over, under = diff_doc(previews["over"]), diff_doc(previews["under"])
    assert has(text, "变更预览", "2 份（须签订补充协议 1 份）", "运维手册执行", "2 次运行（失败或受阻 1 次）")
    assert has(text, "五、变更预览与费用影响", "六、运维手册执行记录", "七、变更评估与改进（由变更经理填写）")
    # per preview: its totals as diff printed them, the effect signed, the verdict
    assert has(text, f"diff-vcpu-2000.json 2026-03-10 update 1 {fmt_yuan(Decimal(over['monthly_before']))} "
                     f"{fmt_yuan(Decimal(over['monthly_after']))} +2,800.00 +33,600.00 {NEEDS_AMENDMENT_ZH}")
    assert has(text, f"diff-vcpu-1700.json 2026-03-25 update 1 {fmt_yuan(Decimal(under['monthly_before']))} "
                     f"{fmt_yuan(Decimal(under['monthly_after']))} -1,400.00 -16,800.00 {UNDER_ZH}")
    assert has(text, "diff-vcpu-2000.json（计价日 2026-03-10）", "vCPU(主频不低于2.4GHz) 1800 vCPU 1800 2000 超出合同 "
                     "28,000.00 +2,800.00 +33,600.00")
    assert "diff-rule.json" not in text and has(text, "另有 1 份预览的计价日不在本期")
    # the run: its dates (Beijing time), its result, its steps, its work order
    (start, end), (court, _) = (journal_times(runs / name) for name in ("migrate-in/litigation",
                                                                        "court-acceptance/litigation"))
    assert has(text, f"migrate-in/litigation migrate-in litigation {start:%Y-%m-%d %H:%M:%S} {end:%Y-%m-%d %H:%M:%S}",
               "前置条件不满足，已停止（security-gate） 2/17 2 WO-2025095-litigation-20260312-entry —")
    assert has(text, "3 security-gate security gate before data moves (入云安全测试) on litigation-app-01 第24条 前置条件不满足",
               "其余 14 步未开始")
    assert has(text, f"court-acceptance/litigation court-acceptance litigation {court:%Y-%m-%d %H:%M:%S}",
               "全部步骤已验证 1/1 1 — 北京市高级人民法院 王芳（court-acceptance，2026-03-20 10:30）",
               "court-acceptance/litigation：court-acceptance（系统 litigation，栈 未指定）")
    assert "migrate-in/hearing" not in text


def test_without_previews_or_journals_the_report_says_which_flag_gives_them(changes_file: Path,
                                                                            tmp_path: Path) -> None:
    inputs, _ = gather(CONTRACT, "prod", "2026-03", changes=changes_file)
    text = text_of(change_report.build(inputs, MAP.entry("change-report")).data, tmp_path)
    assert has(text, "未提供变更预览（--previews FILE|DIR", "未提供运维手册执行日志（--journals DIR")
    assert workbook(change_request.build(inputs, MAP.entry("change-request"))).sheetnames == ["变更申请"]


# ------------------------------------------------------------------------------------------------ refusals
def refused(call: Any) -> str:
    with pytest.raises(InputError) as err:
        call()
    return str(err.value)


def test_a_preview_of_another_stack_or_contract_or_without_its_stack_is_refused(changes_file: Path, previews,
                                                                               tmp_path: Path) -> None:
    folder = tmp_path / "lab"
    folder.mkdir()
    lab = diff_json(folder, "lab.json", json.loads(LAB_PREVIEW.read_text(encoding="utf-8")), "2026-03-20",
                    stack="lab")  # the lab stays under the contract: exit 2
    assert refused(lambda: gather(CONTRACT, "prod", "2026-03", changes=changes_file, previews=[lab])) == (
        f"{lab}: stack: a `govcloud diff` of stack prod (run it with --stack prod), got stack lab's")
    other = tmp_path / "other.json"
    doc = diff_doc(previews["over"])
    other.write_text(json.dumps({**doc, "contract": "2024001"}), encoding="utf-8")
    assert refused(lambda: gather(CONTRACT, "prod", "2026-03", changes=changes_file, previews=[other])) == (
        f"{other}: contract: a `govcloud diff` of contract 2025095, got 2024001's")
    old = tmp_path / "old.json"
    old.write_text(json.dumps({k: v for k, v in doc.items() if k != "stack"}), encoding="utf-8")
    message = refused(lambda: gather(CONTRACT, "prod", "2026-03", changes=changes_file, previews=[old]))
    assert message.startswith(f"{old}: ") and "'stack'" in message
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "found none" in refused(lambda: gather(CONTRACT, "prod", "2026-03", changes=changes_file,
                                                  previews=[empty]))


def test_a_journal_of_another_stack_is_refused_naming_it_and_the_field(changes_file: Path, runs: Path,
                                                                       tmp_path: Path) -> None:
    lab_runs = tmp_path / "runs"
    r = migrate_in(lab_runs, "lab", "litigation", "2026-03-15 02:00:00", "--stop-before", "security-gate")
    assert r.returncode == 3, r.stdout + r.stderr
    journal = lab_runs.resolve() / "migrate-in" / "litigation" / "journal.jsonl"
    assert refused(lambda: gather(CONTRACT, "prod", "2026-03", changes=changes_file, journals=lab_runs)) == (
        f"{journal}: records[0].params.stack: a run of stack prod, got stack lab's")
    missing = tmp_path / "nope"
    assert refused(lambda: gather(CONTRACT, "prod", "2026-03", changes=changes_file, journals=missing)) == (
        f"{missing}: (document): expected a folder of runbook run directories for --journals DIR (e.g. runs/), "
        "not found")


# ------------------------------------------------------------------------------------------------ the command
@pytest.mark.slow
def test_the_command_builds_both_documents_with_previews_and_runs(gathered, changes_file: Path, previews,
                                                                  runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "package"
    r = govcloud("deliverables", "build", "--stack", "prod", "--period", "2026-03", "--out", str(out), "--changes",
                 str(changes_file), "--previews", str(previews["over"].parent), "--journals", str(runs),
                 "--only", "change-request", "--only", "change-report")
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    sources = {i["source"]: i for i in manifest["inputs"]}
    for path in previews.values():
        assert sources[f"diff-preview {path.name}"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    for name in ("migrate-in/litigation", "court-acceptance/litigation", "migrate-in/hearing"):
        journal = runs / name / "journal.jsonl"
        assert sources[f"runbook-journal {name}"] == {
            "source": f"runbook-journal {name}", "file": "journal.jsonl",
            "sha256": hashlib.sha256(journal.read_bytes()).hexdigest()}
    inputs, _ = gathered
    assert {d["id"]: d["sha256"] for d in manifest["documents"]} == {
        id: hashlib.sha256(b(inputs, MAP.entry(id)).data).hexdigest()
        for id, b in (("change-request", change_request.build), ("change-report", change_report.build))}
    bad = govcloud("deliverables", "build", "--stack", "lab", "--period", "2026-03", "--out", str(tmp_path / "lab"),
                   "--changes", str(changes_file), "--previews", str(previews["over"]), "--only", "change-report")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and not (tmp_path / "lab").exists()
    assert f"{previews['over']}: stack: a `govcloud diff` of stack lab" in bad.stderr
