"""北京市政务云平台XX时期安全检测报告 from the real recorded harden evidence of the lab hosts and the real
``playbooks/scan-waivers.yml``: the text a person reads (``pdftotext -raw`` of the real PDF, whitespace removed)
names every host, every waiver's reason, a failed control with its host and reason, what the evidence lacks, and
the person's sections; the same inputs give the same bytes; no evidence is refused; the CLI builds it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from govcloud.contract.loader import load_contract
from govcloud.deliverables import security
from govcloud.deliverables.catalog import load_map
from govcloud.deliverables.model import DeliverableInputs, Period
from govcloud.deliverables.package import MissingInput
from govcloud.hosts.evidence import load_evidence
from govcloud.hosts.inventory import load_stack_hosts, stack_outputs_file
from govcloud.hosts.scan_reports import ScanReports, load_scan_reports
from govcloud.hosts.scan_waivers import load_scan_waivers
from govcloud.paths import DEFAULT_CONTRACT

from .docs import evidence_with, flat, has, text_of
from .scans import SCANNED, unpack

pytestmark = pytest.mark.slow  # weasyprint lays out CJK text: seconds per document

ROOT = Path(__file__).resolve().parents[2]
EVIDENCE_FILE = ROOT / "tests" / "runbook" / "data" / "harden-evidence.json"
CONTRACT = load_contract(DEFAULT_CONTRACT)
ENTRY = load_map(CONTRACT).entry("security-test")
EVIDENCE = load_evidence(EVIDENCE_FILE)
MARCH = Period("2026-03", date(2026, 3, 1), date(2026, 3, 31))
LAB = tuple(load_stack_hosts(stack_outputs_file("lab")))
INPUTS = DeliverableInputs(CONTRACT, "lab", MARCH, LAB, EVIDENCE)


@pytest.fixture(scope="module")
def march(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str]:
    data = security.build(INPUTS, ENTRY).data
    return data, text_of(data, tmp_path_factory.mktemp("security"))


def test_the_report_is_a_pdf_named_for_the_map_and_titled_for_the_period(march: tuple[bytes, str]) -> None:
    doc = security.build(INPUTS, ENTRY)
    assert doc.filename == "北京市政务云平台XX时期安全检测报告-2026-03.pdf" and doc.data.startswith(b"%PDF-")
    _, text = march
    assert has(text, "北京市政务云平台2026年3月安全检测报告", "2025095", "北京市高级人民法院", "首信云技术有限公司",
               "部分由数据生成")
    assert "XX时期" not in text
    assert [security.period_zh(Period(label, MARCH.start, MARCH.end)) for label in ("2026-03", "2026-Q1", "term")] == [
        "2026年3月", "2026年第1季度", "合同期"]


def test_every_host_its_counts_and_the_evidence_time_outside_the_period_are_said(march: tuple[bytes, str]) -> None:
    _, text = march
    for name in EVIDENCE.hosts:
        assert has(text, name)
    assert has(text, "栈 lab：4 台主机，其中 4 台有检测结果")
    # lab-db-01: 48 controls, pass 34, fail 0, waived 7, manual 5, not_run 2, not_applicable 0 (the recorded evidence)
    assert has(text, "lab-db-01 是 container 48 34 0 7 5 2 0")
    assert has(text, "无不通过的控制项。")
    # the evidence was taken on 2026-11-26 (Beijing), after March and after the term: said plainly
    assert has(text, "证据采集时间：2026-11-26 04:29（北京时间）",
               "注意：证据采集于本报告期间（2026-03-01 至 2026-03-31）之后", "不能证明本期间内的状态",
               "采集时间亦不在合同服务期（2025-06-01 至 2026-05-31）内")


def test_each_control_family_lists_its_controls_with_the_reasons_of_what_did_not_pass(march: tuple[bytes, str]) -> None:
    _, text = march
    for family in ("身份鉴别", "访问控制", "安全审计", "入侵防范", "恶意代码防范", "可信验证", "数据备份恢复"):
        assert has(text, family)
    for cid in EVIDENCE.controls:
        assert has(text, cid), cid
    assert has(text, "豁免（全部主机）：AppArmor is enforced by the kernel of the machine")
    assert has(text, "未运行（lab-db-01）：all 4 task(s) skipped")


def test_absent_lynis_and_openscap_figures_and_scans_are_said_not_invented(march: tuple[bytes, str]) -> None:
    _, text = march
    assert has(text, "lynis：证据未包含 lynis 的检测结果（加固指数", "3.0.8-1.1")
    assert has(text, "OpenSCAP：证据未包含 OpenSCAP 的评估结果", "bookworm's ssg-debian ships no Debian 12 content")
    # contract article 2: 4 scans a year; March lies in the term's 4th three-month run, which ends 2026-05-31
    assert has(text, "主机漏洞扫描“4次/年”", "均分为 4 期，每期应扫描 1 次", "证据所示的扫描：0 次",
               "证据（harden evidence 第2版）不记录扫描及其日期", "第4次 2026-03-01 至 2026-05-31 1 无")
    windows = security.scan_windows(INPUTS)[1]
    assert [(w.start, w.end) for w in windows] == [
        (date(2025, 6, 1), date(2025, 8, 31)), (date(2025, 9, 1), date(2025, 11, 30)),
        (date(2025, 12, 1), date(2026, 2, 28)), (date(2026, 3, 1), date(2026, 5, 31))]


def test_over_the_term_every_scan_window_without_a_recorded_scan_is_flagged(tmp_path: Path) -> None:
    term = Period("term", CONTRACT.term.start, CONTRACT.term.end)
    text = text_of(security.build(replace(INPUTS, period=term), ENTRY).data, tmp_path)
    assert has(text, "北京市政务云平台合同期安全检测报告")
    assert flat("未见扫描记录：不能证明满足合同频次") in text
    assert text.count(flat("未见扫描记录：不能证明满足合同频次")) == 4


def test_every_waiver_is_listed_with_its_reason_and_no_expiry(march: tuple[bytes, str]) -> None:
    _, text = march
    waivers = load_scan_waivers()
    assert waivers.waivers
    for w in waivers.waivers:
        assert has(text, w.rule, w.reason), w.rule
    assert has(text, f"共 {len(waivers.waivers)} 条豁免", "有效期：豁免文件未规定有效期")


def test_the_persons_sections_are_there_and_empty(march: tuple[bytes, str]) -> None:
    _, text = march
    assert has(text, "六、渗透测试结果（由检测机构填写）", "本节由检测机构填写，govcloud 不生成任何内容。",
               "检测机构签章", "七、整改计划（由乙方填写）", "问题来源问题整改措施责任人计划完成日期状态", "甲方确认")
    pentest = re.sub(r"合同编号：2025095.*?第\d+页共\d+页", "",  # the running header and footer of a page break
                     text[text.index(flat("六、渗透测试结果")):text.index(flat("七、整改计划"))])
    assert has(pentest, "检测机构检测日期检测范围编号发现的问题风险等级影响主机/系统整改建议检测结论检测机构签章")


def test_a_failed_control_is_listed_highlighted_and_seeds_the_plan(tmp_path: Path) -> None:
    def fail(doc: dict[str, Any]) -> None:
        doc["hosts"]["lab-db-01"]["controls"]["8.1.4.1b"] = {
            "result": "fail", "reason": "pam_faillock deny=5 missing from common-auth", "tasks": {"failed": 1}}

    inputs = replace(INPUTS, evidence=evidence_with(tmp_path, fail),
                     period=Period("2026-11", date(2026, 11, 1), date(2026, 11, 30)))
    data = security.build(inputs, ENTRY).data
    text = text_of(data, tmp_path)
    assert has(text, "不通过 1 项次", "lab-db-01 8.1.4.1b 身份鉴别 b pam_faillock deny=5 missing from common-auth",
               "不通过 1，通过 3", "不通过（lab-db-01）：pam_faillock deny=5 missing from common-auth",
               "控制项检测：lab-db-01 8.1.4.1b 不通过：pam_faillock deny=5 missing from common-auth")
    assert has(text, "采集时间在本报告期间内。") and "注意：证据采集于" not in text
    # highlighted: the failed cells carry the shared stylesheet's "bad" colour (#a40000 text on #fde2e2)
    html_cells = security._summary(inputs, inputs.evidence)  # type: ignore[arg-type]
    assert re.search(r'<td class="bad[^"]*">lab-db-01</td><td class="bad[^"]*">8\.1\.4\.1b</td>', html_cells)
    assert '<td class="num bad">1</td>' in html_cells
    drawn = subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "2", "-l", "2", "-", str(tmp_path / "p")],
                           input=data, capture_output=True, check=True)
    assert drawn.returncode == 0 and _has_colour(next(tmp_path.glob("p*.png")), (0xFD, 0xE2, 0xE2))


def _has_colour(png: Path, rgb: tuple[int, int, int]) -> bool:
    from matplotlib.image import imread

    pixels = (imread(str(png))[..., :3] * 255).round().astype(int).reshape(-1, 3)
    return bool(((abs(pixels - rgb)).max(axis=1) <= 2).any())


def test_the_same_inputs_give_the_same_bytes(march: tuple[bytes, str]) -> None:
    assert security.build(INPUTS, ENTRY).data == march[0]


def test_without_evidence_the_builder_says_which_flag_gives_it() -> None:
    with pytest.raises(MissingInput, match=r"安全检测报告 needs harden evidence: give --evidence FILE"):
        security.build(replace(INPUTS, evidence=None), ENTRY)


def test_a_missing_waiver_file_is_said_and_a_broken_one_refused(tmp_path: Path) -> None:
    text = text_of(security.build(INPUTS, ENTRY, scan_waivers=tmp_path / "none.yml").data, tmp_path)
    assert has(text, "未提供豁免文件（none.yml 不存在）")
    broken = tmp_path / "scan-waivers.yml"
    broken.write_text("version: 1\nwaivers: []\n", encoding="utf-8")
    with pytest.raises(Exception, match="scan-waivers.yml"):
        security.build(INPUTS, ENTRY, scan_waivers=broken)


def test_the_cli_builds_it_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    r = subprocess.run([sys.executable, "-m", "govcloud.cli", "deliverables", "build", "--stack", "lab", "--period",
                        "2026-03", "--out", str(out), "--evidence", str(EVIDENCE_FILE), "--only", "security-test"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [d["id"] for d in manifest["documents"]] == ["security-test"]
    pdf = out / manifest["documents"][0]["file"]
    assert pdf.name == "北京市政务云平台XX时期安全检测报告-2026-03.pdf"
    assert has(text_of(pdf.read_bytes(), tmp_path), "北京市政务云平台2026年3月安全检测报告")
    r2 = subprocess.run([sys.executable, "-m", "govcloud.cli", "deliverables", "build", "--stack", "lab", "--period",
                         "2026-03", "--out", str(tmp_path / "bare"), "--only", "security-test"],
                        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    bare = json.loads((tmp_path / "bare" / "manifest.json").read_text(encoding="utf-8"))
    assert r2.returncode == 0 and bare["documents"] == []
    assert bare["not_generated"][0]["reason"] == "not given: --evidence FILE"


# ------------------------------------------------------------------------------------------------ scan reports
# the real reports of two lab hosts (data/vuln-scan.tar.xz, data/README.md): lab-app-01 scanned on the four planned
# dates, lab-db-01 missed 2025-12-15; lab-app-02 and lab-log-01 have none
Q1 = Period("2026-Q1", date(2026, 1, 1), date(2026, 3, 31))
TERM = Period("term", CONTRACT.term.start, CONTRACT.term.end)


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> ScanReports:
    return load_scan_reports(unpack(tmp_path_factory.mktemp("scans")), known={h.name for h in LAB})


@pytest.fixture(scope="module")
def q1(scans: ScanReports, tmp_path_factory: pytest.TempPathFactory) -> str:
    return text_of(security.build(replace(INPUTS, period=Q1, scans=scans), ENTRY).data, tmp_path_factory.mktemp("q1"))


def _grep_index(dat: Path) -> int:
    out = subprocess.run(["grep", "^hardening_index=", str(dat)], capture_output=True, text=True, check=True).stdout
    return int(out.strip().removeprefix("hardening_index="))


def test_without_scan_reports_the_report_says_which_flag_gives_them(march: tuple[bytes, str]) -> None:
    _, text = march
    assert has(text, "扫描报告未给出（--scans DIR）",
               "未给出扫描报告：以 --scans DIR 给出 vuln_scan 角色取回的报告目录（如 runs/vuln-scan，每台主机一个目录）后",
               "以 --scans DIR 给出 vuln_scan 角色取回的扫描报告目录后，本节按扫描期判定")


def test_each_hosts_latest_index_and_openscap_counts_per_profile_are_shown(scans: ScanReports, q1: str) -> None:
    assert has(q1, "扫描报告vuln-scan：2 台主机，7 次扫描", "2 台主机，7 次扫描，30 个文件", "每年 4 次，2025-06-15、2025-09-15、"
               "2025-12-15、2026-03-15 02:30:00")
    for host in SCANNED:
        latest = scans.hosts[host].scans[-1]
        assert latest.day == date(2026, 3, 15)
        index = _grep_index(latest.lynis.file)  # what the report file says
        assert latest.lynis.hardening_index == index
        assert has(q1, f"{host} 2026-03-15 02:30 {index} 警告 {latest.lynis.warnings}，建议 {latest.lynis.suggestions}")
        assert has(q1, f"{index}（2026-03-15）")
        for r in latest.oscap:
            assert has(q1, f"通过 {r.count('pass')}，不通过 {r.count('fail')}"), (host, r.profile)
            assert has(q1, f"不适用 {r.count('notapplicable')}，错误 {r.count('error')}")
            assert has(q1, f"评估于 {r.started:%Y-%m-%d %H:%M}")
    assert has(q1, "lab-app-02 本期无扫描", "lab-log-01 本期无扫描",
               "本扫描期截至 2026-03-31 未扫描的主机（应扫描）：lab-app-02、lab-log-01。")


def test_the_fleets_min_median_max_index_per_window(scans: ScanReports, q1: str, tmp_path: Path) -> None:
    march = sorted(_grep_index(scans.hosts[h].scans[-1].lynis.file) for h in SCANNED)
    mid = sum(march) / 2
    shown = str(int(mid)) if mid == int(mid) else f"{mid:.1f}"
    assert has(q1, "第4次扫描期（2026-03-01 至 2026-05-31），本报告取 2026-03-01 至 2026-03-31",
               f"全体主机加固指数（各主机最近一次扫描）：最低 {march[0]}，中位数 {shown}，最高 {march[1]}（2 台主机）。")
    # the third window inside Q1 (January, February) holds no scan: lab-app-01's of 2025-12-15 is before the period
    # and still counts for the window; lab-db-01 missed it
    assert has(q1, "第3次扫描期（2025-12-01 至 2026-02-28），本报告取 2026-01-01 至 2026-02-28", "加固指数：无 lynis 结果。",
               "lab-app-01 本期无扫描（本扫描期已于 2025-12-15 扫描）",
               "本扫描期截至 2026-02-28 未扫描的主机（应扫描）：lab-app-02、lab-db-01、lab-log-01。")
    term = text_of(security.build(replace(INPUTS, period=TERM, scans=scans), ENTRY).data, tmp_path)
    first = sorted(_grep_index(scans.hosts[h].scans[0].lynis.file) for h in SCANNED)
    assert has(term, "第1次扫描期（2025-06-01 至 2025-08-31），本报告取 2025-06-01 至 2025-08-31",
               f"最低 {first[0]}，中位数")
    assert first[0] < march[0]  # before and after hardening


def test_every_scan_is_dated_against_four_a_year_and_a_quarter_without_one_is_flagged(scans: ScanReports, q1: str,
                                                                                       tmp_path: Path) -> None:
    assert has(q1, "本报告期间（2026-01-01 至 2026-03-31）扫描报告所示的扫描：2 次（2 台主机，1 个日期）",
               "2026-03-15 计划日期 2 lab-app-01（02:30）、lab-db-01（02:30）",
               "第3次 2025-12-01 至 2026-02-28 2025-12-15 1/4 2025-12-15（本期前） 不满足：3 台主机未扫描（lab-app-02、lab-db-01、"
               "lab-log-01）",
               "第4次 2026-03-01 至 2026-05-31 2026-03-15 2/4 2026-03-15 该期未结束于本报告期间内（至 2026-05-31）；截至本期末 2 台"
               "主机未扫描（lab-app-02、lab-log-01）")
    # only the two scanned hosts in the stack: three windows met, the third not (lab-db-01 missed 2025-12-15)
    two = tuple(h for h in LAB if h.name in SCANNED)
    term = text_of(security.build(replace(INPUTS, hosts=two, period=TERM, scans=scans), ENTRY).data, tmp_path)
    assert term.count(flat("满足：应扫描的 2 台主机均已扫描")) == 3
    assert has(term, "第3次 2025-12-01 至 2026-02-28 2025-12-15 1/2 2025-12-15 不满足：1 台主机未扫描（lab-db-01）",
               "扫描报告所示的扫描：7 次（2 台主机，4 个日期）", "2025-12-15 计划日期 1 lab-app-01（02:30）")
    assert has(term, "lab-db-01 是", "2025-06-15、2025-09-15、2026-03-15")  # the host's own scan days


def test_every_waiver_is_listed_with_what_it_waived_in_the_scans(scans: ScanReports, q1: str) -> None:
    waivers = load_scan_waivers()
    for w in waivers.waivers:
        assert has(q1, w.rule, w.reason), w.rule
    assert has(q1, "“本期豁免”为本报告期间各次扫描中该豁免所豁免的不通过规则结果数（主机数）")
    failing = sum(len(r.failing) for s in scans.within(Q1.start, Q1.end) for r in s.oscap)
    waived = sum(1 for s in scans.within(Q1.start, Q1.end) for r in s.oscap for rule in r.failing
                 if waivers.find(r.profile, rule, "container") is not None)
    assert failing > 0 and waived > 0
    html = security._waivers(replace(INPUTS, period=Q1, scans=scans), waivers, EVIDENCE, Path("scan-waivers.yml"))
    shown = sum(int(n) for n in re.findall(r"<td>(\d+) 次（\d 台主机）</td>", html))
    assert shown == waived
    # the sample's hosts had no log collector, so log_agent installed no rsyslog: two standard rules fail unwaived
    assert has(q1, "通过 25，不通过 15（已豁免 13，未豁免 2）", "各主机本期最近一次扫描中未豁免的不通过规则共 2 条",
               "OpenSCAP 扫描：standard 规则 package_rsyslog_installed 不通过（未豁免）：lab-app-01、lab-db-01")


def test_unwaived_failing_rules_seed_the_plan(scans: ScanReports, tmp_path: Path) -> None:
    """The first scan (before hardening) fails rules no waiver covers: they are flagged and seed the plan."""
    june = Period("2025-06", date(2025, 6, 1), date(2025, 6, 30))
    inputs = replace(INPUTS, period=june, scans=scans)
    text = text_of(security.build(inputs, ENTRY).data, tmp_path)
    left = security.sc.unwaived(inputs, scans, load_scan_waivers(), {h.name: "container" for h in LAB})
    assert left, "the unhardened hosts fail rules without a waiver"
    profile, rule, hosts = left[0]
    assert has(text, f"OpenSCAP 扫描：{profile}", f"规则 {rule} 不通过（未豁免）：{'、'.join(hosts)}",
               f"各主机本期最近一次扫描中未豁免的不通过规则共 {len(left)} 条")


def test_the_cli_builds_it_with_the_scans_and_records_the_folders_digest(scans: ScanReports, tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    r = subprocess.run([sys.executable, "-m", "govcloud.cli", "deliverables", "build", "--stack", "lab", "--period",
                        "2026-Q1", "--out", str(out), "--evidence", str(EVIDENCE_FILE), "--scans", str(scans.folder),
                        "--only", "security-test"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {"source": "vuln-scans", "file": "vuln-scan", "sha256": scans.digest} in manifest["inputs"]
    text = text_of((out / manifest["documents"][0]["file"]).read_bytes(), tmp_path)
    index = scans.hosts["lab-app-01"].scans[-1].lynis.hardening_index
    assert has(text, "北京市政务云平台2026年第1季度安全检测报告", f"{index}（2026-03-15）")
