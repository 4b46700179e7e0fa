"""The three acceptance workbooks of article 16 (资产信息统计表, 软硬件信息统计表, 巡检维护表) built from the real lab stack
outputs, the real recorded harden evidence and the real contract, opened again with openpyxl and compared with their
sources; the prod stack's 200 hosts against the contract's quantities (article 2); the same inputs give the same
bytes; a missing input is refused naming it."""

from __future__ import annotations

import hashlib
import math
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from govcloud.contract.costing import line_cost
from govcloud.contract.loader import load_contract
from govcloud.deliverables import assets, inspection, software
from govcloud.deliverables.catalog import load_map
from govcloud.deliverables.model import BEIJING, XLSX, DeliverableInputs, Document, Period
from govcloud.deliverables.package import MissingInput
from govcloud.deliverables.workbook import NO_EVIDENCE, Cell, Column, SheetSpec, beijing, display_width, write_workbook
from govcloud.errors import InputError
from govcloud.hosts.evidence import Evidence, load_evidence
from govcloud.hosts.inventory import load_stack_hosts, stack_outputs_file
from govcloud.paths import DEFAULT_CONTRACT
from govcloud.state.export import read_export
from govcloud.tenancy.addons import ADDON_ITEMS
from govcloud.tenancy.config import load_stack_settings
from govcloud.tenancy.hostplan import TIERS, load_host_plan

from .docs import evidence_with, flagged, header_row, records, workbook

ROOT = Path(__file__).resolve().parents[2]
EVIDENCE_FILE = ROOT / "tests" / "runbook" / "data" / "harden-evidence.json"
EXPORT_FILE = ROOT / "tests" / "state" / "data" / "lab-stack-export.json"
CONTRACT = load_contract(DEFAULT_CONTRACT)
MAP = load_map(CONTRACT)
EVIDENCE = load_evidence(EVIDENCE_FILE)
PERIOD = Period("2026-03", date(2026, 3, 1), date(2026, 3, 31))
LAB = tuple(load_stack_hosts(stack_outputs_file("lab")))
PROD = tuple(load_stack_hosts(stack_outputs_file("prod")))
LAB_INPUTS = DeliverableInputs(CONTRACT, "lab", PERIOD, LAB, EVIDENCE)
MONEY, PERCENT = "#,##0.00", "0.000%"
GENERATED = datetime(2026, 4, 1, tzinfo=BEIJING)
BUILDERS = {"asset-inventory": assets.build, "software-inventory": software.build, "inspection": inspection.build}


def build(id: str, inputs: DeliverableInputs = LAB_INPUTS) -> Document:
    return BUILDERS[id](inputs, MAP.entry(id))


def plan(stack: str):  # type: ignore[no-untyped-def]
    return load_host_plan(load_stack_settings(stack).host_plan_path)


# --- every workbook


@pytest.mark.parametrize("id", sorted(BUILDERS))
def test_a_workbook_has_the_title_block_a_frozen_header_an_autofilter_and_fixed_properties(id: str) -> None:
    entry = MAP.entry(id)
    doc = build(id)
    assert (doc.id, doc.filename, doc.media_type) == (id, f"{entry.name_zh}-2026-03.xlsx", XLSX)
    wb = workbook(doc)
    for ws in wb.worksheets:
        h = header_row(ws)
        block = [ws.cell(r, 1).value for r in range(1, h - 1)]
        assert block[0] == entry.name_zh
        text = "\n".join(block)
        for needle in (CONTRACT.number, CONTRACT.title_zh, CONTRACT.parties["tenant"].name_zh,
                       CONTRACT.parties["provider"].name_zh, "甲方", "乙方", "2026-03-01 至 2026-03-31",
                       "生成日期：2026-04-01"):
            assert needle in text, (ws.title, needle)
        assert ws.freeze_panes == f"B{h + 1}"  # the header row and the first column stay in view
        assert ws.cell(h, 1).value == ("合同项目" if ws.title == "合同对照" else "主机名")
        assert ws.auto_filter.ref.startswith(f"A{h}:")
        assert ws.cell(h, 1).font.b
    p = wb.properties
    assert p.creator == "govcloud" and p.lastModifiedBy is None
    assert p.created == p.modified == datetime(2026, 3, 31, 16, 0)  # 2026-04-01 00:00 Beijing, in UTC


@pytest.mark.parametrize("id", sorted(BUILDERS))
def test_the_same_inputs_give_the_same_bytes(id: str) -> None:
    assert hashlib.sha256(build(id).data).digest() == hashlib.sha256(build(id).data).digest()


def test_the_same_bytes_in_another_process_with_another_hash_seed() -> None:
    script = ("import hashlib; from tests.deliverables.test_workbooks import build; "
              "print(hashlib.sha256(build('inspection').data).hexdigest())")
    r = subprocess.run([sys.executable, "-c", script], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == hashlib.sha256(build("inspection").data).hexdigest()


def test_missing_inputs_are_refused_naming_them() -> None:
    no_evidence = replace(LAB_INPUTS, evidence=None)
    for id in ("software-inventory", "inspection"):
        with pytest.raises(MissingInput, match=rf"{MAP.entry(id).name_zh} needs harden evidence: give --evidence FILE"):
            build(id, no_evidence)
    with pytest.raises(MissingInput, match=r"资产信息统计表 needs the stack's hosts: .*lab-hosts\.json"):
        build("asset-inventory", replace(LAB_INPUTS, hosts=()))


def test_evidence_of_another_contract_is_refused(tmp_path: Path) -> None:
    ev = evidence_with(tmp_path, lambda d: d.update(contract="2024001"))
    with pytest.raises(InputError, match=r"harden-evidence\.json: contract: evidence of contract 2025095, got 2024001"):
        build("inspection", replace(LAB_INPUTS, evidence=ev))


# --- 资产信息统计表


def test_assets_list_every_lab_host_sized_by_its_flavor_and_measured_by_the_evidence() -> None:
    wb = workbook(build("asset-inventory"))
    assert wb.sheetnames == ["主机资产", "合同对照"]
    rows = records(wb["主机资产"])
    hp = plan("lab")
    assert [r["主机名"].value for r in rows] == [h.name for h in LAB]
    for r, h in zip(rows, LAB):
        flavor, planned = hp.flavor(h.flavor), next(p for p in hp.hosts if p.name == h.name)
        ev = EVIDENCE.hosts[h.name]["facts"]
        assert (r["规格"].value, r["vCPU"].value, r["内存(GB)"].value) == (h.flavor, flavor.vcpus, flavor.ram_gb)
        assert r["高性能存储(GB)"].value == planned.disk_gb("storage_high_performance")
        assert r["普通性能存储(GB)"].value == planned.disk_gb("storage_standard")
        assert (r["IP 地址"].value, r["角色"].value) == (h.address, h.role)
        assert r["信息系统"].value == next(s.name_zh for s in hp.systems if s.id == h.system)
        assert r["磁盘(实测)"].value == "；".join(f"{d['device']} {int(d['size_gb'])} GB" for d in ev["disks"])  # 256.0
        assert r["操作系统"].value == f"{ev['os']['distribution']} {ev['os']['version']}（{ev['os']['release']}）"
        assert r["证据"].value == "有" and not flagged(r["证据"])
        for addon in h.addons:
            assert CONTRACT.item(addon).subclass_zh in r["安全增值服务"].value
    assert sum(r["vCPU"].value for r in rows) == sum(hp.flavor(h.flavor).vcpus for h in LAB)
    ws = wb["主机资产"]
    assert ws.column_dimensions["B"].width >= display_width("北京法院政务云平台公共支撑")


def test_assets_totals_set_the_hosts_sum_against_the_contracts_quantities() -> None:
    rows = {r["合同项目"].value: r for r in records(workbook(build("asset-inventory"))["合同对照"])}
    hp = plan("lab")
    ids = ("vcpu", "memory", *TIERS, *ADDON_ITEMS)
    assert len(rows) == len(ids)
    sums = {"vcpu": sum(hp.flavor(h.flavor).vcpus for h in LAB), "memory": sum(hp.flavor(h.flavor).ram_gb for h in LAB),
            **{t: Decimal(sum(p.disk_gb(t) for p in hp.hosts)) / 1024 for t in TIERS},
            **{a: sum(a in h.addons for h in LAB) for a in ADDON_ITEMS}}
    for id in ids:
        li = CONTRACT.item(id)
        name = li.name_zh if id in ("vcpu", "memory") else li.subclass_zh
        r = rows[name]
        assert Decimal(str(r["合同数量"].value)) == li.quantity
        assert Decimal(str(r["主机合计"].value)) == sums[id]
        assert r["结论"].value == "低于合同" and flagged(r["结论"]) and flagged(r["主机合计"])  # a lab of 4 hosts
        assert r["占合同比例"].number_format == PERCENT
        assert r["占合同比例"].value == pytest.approx(float(sums[id] / li.quantity))
        assert r["单价(元)"].number_format == r["合同金额(元)"].number_format == MONEY
        assert Decimal(str(r["单价(元)"].value)) == li.unit_price
        assert Decimal(str(r["合同金额(元)"].value)) == line_cost(li).quantize(Decimal("0.01"))
    assert rows["vCPU(主频不低于2.4GHz)"]["合同数量"].value == 1800 and rows["内存"]["合同数量"].value == 4000


def test_assets_take_disks_by_tier_from_the_deployed_state_when_given() -> None:
    export = read_export(EXPORT_FILE)
    wb = workbook(build("asset-inventory", replace(LAB_INPUTS, export=export)))
    assert any("部署状态 lab-stack-export.json" in (ws.cell(r, 1).value or "") for ws in wb for r in range(1, 8))
    tiers = {v.prop("name"): v.prop("extraSpecs")["govcloud:line_item"]
             for v in export.of_type("openstack:blockstorage/volumeTypeV3:VolumeTypeV3")}
    for r in records(wb["主机资产"]):
        inst = next(i for i in export.of_type("openstack:compute/instance:Instance") if i.prop("name") == r["主机名"].value)
        for tier, header in (("storage_high_performance", "高性能存储(GB)"), ("storage_standard", "普通性能存储(GB)")):
            assert r[header].value == sum(d["volumeSize"] for d in inst.prop("blockDevices")
                                          if tiers[d["volumeType"]] == tier)


def test_prod_assets_without_evidence_list_every_host_as_such_and_meet_the_contract() -> None:
    wb = workbook(build("asset-inventory", DeliverableInputs(CONTRACT, "prod", PERIOD, PROD)))
    rows = records(wb["主机资产"])
    assert len(rows) == len(PROD) == 200
    for r in rows:
        assert r["证据"].value == r["操作系统"].value == r["磁盘(实测)"].value == NO_EVIDENCE
        assert flagged(r["证据"])
    hp = plan("prod")
    assert sum(r["vCPU"].value for r in rows) == sum(hp.flavor(h.flavor).vcpus for h in PROD)
    totals = {r["合同项目"].value: r for r in records(wb["合同对照"])}
    for id in ("vcpu", "memory", *TIERS, *ADDON_ITEMS):  # the prod plan is sized to the contract (article 2)
        li = CONTRACT.item(id)
        r = totals[li.name_zh if id in ("vcpu", "memory") else li.subclass_zh]
        assert Decimal(str(r["主机合计"].value)) == Decimal(str(r["合同数量"].value)) == li.quantity, id
        assert r["结论"].value == "一致" and not flagged(r["结论"])


# --- 软硬件信息统计表


def test_software_lists_every_package_version_service_and_the_hardware_the_evidence_measured() -> None:
    wb = workbook(build("software-inventory"))
    assert wb.sheetnames == ["软件包", "服务", "增值服务", "硬件"]
    packages = {(r["主机名"].value, r["软件包"].value): r["版本"] for r in records(wb["软件包"])}
    services = {(r["主机名"].value, r["服务"].value): r for r in records(wb["服务"])}
    hardware = {r["主机名"].value: r for r in records(wb["硬件"])}
    addons = {(r["主机名"].value, r["增值服务"].value): r for r in records(wb["增值服务"])}
    for name, h in EVIDENCE.hosts.items():
        for pkg, version in h["packages"].items():
            assert packages[(name, pkg)].value == (version or "未安装")
            assert not flagged(packages[(name, pkg)])  # every bought add-on is installed on the lab
        for unit, st in h["services"].items():
            assert st["state"] in services[(name, unit)]["运行状态"].value
            assert st["status"] in services[(name, unit)]["开机启动"].value
        for addon in h["addons"]:
            r = addons[(name, CONTRACT.item(addon).subclass_zh)]
            assert (r["已安装"].value, r["运行中"].value, r["说明"].value) == ("是", "是", h["addon_state"][addon]["detail"])
        f, hw = h["facts"], hardware[name]
        assert hw["vCPU"].value == f["vcpus"]
        assert hw["内存(GB)"].value == round(f["memory_mb"] / 1024, 2) and hw["内存(GB)"].number_format == MONEY
        assert hw["磁盘合计(GB)"].value == sum(d["size_gb"] for d in f["disks"])
        assert f["virtualization"]["type"] in hw["虚拟化"].value and hw["内核"].value == f["os"]["kernel"]
    assert len(packages) == sum(len(h["packages"]) for h in EVIDENCE.hosts.values())


def test_a_package_a_bought_add_on_lacks_is_highlighted(tmp_path: Path) -> None:
    def uninstall(doc: dict[str, Any]) -> None:
        h = doc["hosts"]["lab-app-01"]
        h["packages"]["clamav-daemon"] = None
        h["services"]["clamav-daemon.service"] = {"state": "absent", "status": "absent"}
        h["addon_state"]["antivirus"] = {"installed": False, "active": False, "detail": "clamav-daemon missing"}

    wb = workbook(build("software-inventory", replace(LAB_INPUTS, evidence=evidence_with(tmp_path, uninstall))))
    pkg = next(r for r in records(wb["软件包"]) if (r["主机名"].value, r["软件包"].value) == ("lab-app-01", "clamav-daemon"))
    assert pkg["版本"].value == "未安装" and flagged(pkg["版本"]) and "主机杀毒服务" in pkg["说明"].value
    svc = next(r for r in records(wb["服务"]) if (r["主机名"].value, r["服务"].value) == ("lab-app-01", "clamav-daemon.service"))
    assert flagged(svc["运行状态"])
    addon = next(r for r in records(wb["增值服务"]) if (r["主机名"].value, r["增值服务"].value) == ("lab-app-01", "主机杀毒服务"))
    assert addon["已安装"].value == "否" and flagged(addon["已安装"])
    other = next(r for r in records(wb["软件包"]) if (r["主机名"].value, r["软件包"].value) == ("lab-app-01", "mariadb-server"))
    assert other["版本"].value == "未安装" and not flagged(other["版本"])  # lab-app-01 bought no 数据库审计


def test_software_lists_a_stack_host_without_evidence_as_such() -> None:
    one = replace(LAB_INPUTS, evidence=Evidence(EVIDENCE.path, {**EVIDENCE.doc, "hosts": {
        k: v for k, v in EVIDENCE.hosts.items() if k != "lab-log-01"}}))
    for ws in workbook(build("software-inventory", one)):
        rows = [r for r in records(ws) if r["主机名"].value == "lab-log-01"]
        assert len(rows) == 1 and list(rows[0].values())[1].value == NO_EVIDENCE and flagged(list(rows[0].values())[1])


# --- 巡检维护表


def test_inspection_has_every_control_result_of_every_host_with_its_reason_and_time() -> None:
    wb = workbook(build("inspection"))
    assert wb.sheetnames == ["巡检记录", "汇总"]
    rows = {(r["主机名"].value, r["控制项编号"].value): r for r in records(wb["巡检记录"])}
    at = beijing(EVIDENCE.doc["generated_at"]).replace(tzinfo=None)
    for name, h in EVIDENCE.hosts.items():
        for cid, c in h["controls"].items():
            r = rows[(name, cid)]
            info = EVIDENCE.controls[cid]
            assert f"（{c['result']}）" in r["结果"].value and r["说明"].value == c["reason"]
            assert (r["条款"].value, r["控制项"].value) == (info["clause_zh"], info["title"])
            assert r["检查时间"].value == at and r["检查时间"].number_format == "yyyy-mm-dd hh:mm:ss"
            assert flagged(r["检查时间"])  # recorded 2026-11-26, outside 2026-03
            assert not flagged(r["结果"])  # the real run failed nothing
    assert len(rows) == sum(len(h["controls"]) for h in EVIDENCE.hosts.values())
    summary = {r["主机名"].value: r for r in records(wb["汇总"])}
    for name, h in EVIDENCE.hosts.items():
        n = Counter(c["result"] for c in h["controls"].values())
        for result, zh in inspection.RESULT_ZH.items():
            assert summary[name][zh].value == n[result]
        assert summary[name]["控制项数"].value == len(h["controls"])
        rate = summary[name]["通过率（通过/(通过+不通过)）"]
        assert rate.value == 1 and rate.number_format == PERCENT


def test_a_failed_control_is_highlighted(tmp_path: Path) -> None:
    def fail(doc: dict[str, Any]) -> None:
        doc["hosts"]["lab-db-01"]["controls"]["8.1.4.1b"] = {
            "result": "fail", "reason": "1 task(s) failed", "tasks": {"failed": 1, "ok": 1}}

    inputs = replace(LAB_INPUTS, evidence=evidence_with(tmp_path, fail),
                     period=Period("2026-11", date(2026, 11, 1), date(2026, 11, 30)))
    wb = workbook(build("inspection", inputs))
    rows = records(wb["巡检记录"])
    failed = [r for r in rows if flagged(r["结果"])]
    assert [(r["主机名"].value, r["控制项编号"].value, r["结果"].value) for r in failed] == [
        ("lab-db-01", "8.1.4.1b", "不通过（fail）")]
    assert not any(flagged(r["检查时间"]) for r in rows)  # the evidence falls inside this period
    summary = next(r for r in records(wb["汇总"]) if r["主机名"].value == "lab-db-01")
    assert summary["不通过"].value == 1 and flagged(summary["不通过"])
    assert summary["通过率（通过/(通过+不通过)）"].value == pytest.approx(33 / 34)


# --- the writer


def test_the_writer_keeps_money_to_the_fen_fits_cjk_and_names_sheets_as_excel_allows() -> None:
    sheet = SheetSpec("金额", ("测试",), (Column("项目"), Column("金额", "decimal2"), Column("比例", "percent3")),
                      (("甲", Decimal("1265460.57"), Decimal("0.05")), ("乙", Cell(Decimal("0.125"), True), None)))
    ws = openpyxl.load_workbook(BytesIO(write_workbook([sheet], title="t", generated=GENERATED)))["金额"]
    h = header_row(ws)
    assert ws.cell(h + 1, 2).value == 1265460.57 and ws.cell(h + 1, 2).number_format == MONEY
    assert ws.cell(h + 2, 2).value == 0.13 and flagged(ws.cell(h + 2, 2))
    assert ws.cell(h + 1, 3).number_format == PERCENT
    assert display_width("资产abc") == 7
    for bad in ("a/b", "x" * 32, ""):
        with pytest.raises(ValueError, match="sheet name"):
            write_workbook([replace(sheet, name=bad)], title="t", generated=GENERATED)


def test_a_sheet_prints_landscape_fitted_to_its_width_with_its_header_on_every_page() -> None:
    """As a person prints it (article 16's paper copies): landscape, one page wide, the header row repeated, the print
    area the table and the chart below it, a note longer than the table wrapped in full rather than cut."""
    from govcloud.deliverables.workbook import Chart

    note = "说明" * 40  # 160 columns wide: wider than the table
    rows = tuple((f"项目{i}", Decimal(i)) for i in range(1, 21))
    sheet = SheetSpec("打印", ("测试", note), (Column("项目"), Column("数量", "int")), rows,
                      charts=(Chart("bar", "数量", 1, (2,), horizontal=True),))
    ws = openpyxl.load_workbook(BytesIO(write_workbook([sheet], title="t", generated=GENERATED)))["打印"]
    h = header_row(ws)
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)  # one page wide, as many long as it takes
    assert ws.print_title_rows == f"${h}:${h}" and ws.freeze_panes == f"B{h + 1}"  # the frozen header row
    chart_rows = math.ceil(sheet.charts[0].height_cm(len(rows)) / (15 * 2.54 / 72))  # 9 cm of 15-point rows
    assert ws.print_area == f"'打印'!$A$1:$B${h + len(rows) + 3 + chart_rows + 1}"  # 3 rows down, 1 row after
    assert ws.cell(2, 1).alignment.wrap_text and ws.row_dimensions[2].height >= 15 * 2


def test_an_unreachable_host_reads_not_gathered_and_no_results(tmp_path: Path) -> None:
    def unreachable(doc: dict[str, Any]) -> None:
        doc["hosts"]["lab-log-01"].update(reachable=False, facts=None, packages=None, services=None, addon_state={},
                                          controls={})

    inputs = replace(LAB_INPUTS, evidence=evidence_with(tmp_path, unreachable))
    sw = workbook(build("software-inventory", inputs))
    for sheet, column in (("软件包", "软件包"), ("服务", "服务"), ("硬件", "vCPU")):
        r = next(r for r in records(sw[sheet]) if r["主机名"].value == "lab-log-01")
        assert r[column].value == "未采集" and flagged(r[column])
    addon = next(r for r in records(sw["增值服务"]) if r["主机名"].value == "lab-log-01")
    assert addon["已安装"].value == "未测" and flagged(addon["已安装"])
    ins = workbook(build("inspection", inputs))
    r = next(r for r in records(ins["巡检记录"]) if r["主机名"].value == "lab-log-01")
    assert (r["结果"].value, r["说明"].value) == ("无检查结果", "主机不可达") and flagged(r["结果"])
    summary = next(r for r in records(ins["汇总"]) if r["主机名"].value == "lab-log-01")
    assert summary["可达"].value == "否" and flagged(summary["可达"])


def test_without_stack_hosts_the_evidence_hosts_are_listed() -> None:
    wb = workbook(build("inspection", replace(LAB_INPUTS, hosts=())))
    assert [r["主机名"].value for r in records(wb["汇总"])] == sorted(EVIDENCE.hosts)
