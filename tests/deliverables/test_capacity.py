"""The capacity report (容量管理报告) from the real prod and lab exports that `govcloud plan --export-state` writes,
opened again with openpyxl and compared with the ledger's own counts and with `govcloud check`'s JSON; a drifted
export (a lowered quota, an instance gone) and an amendment show the difference highlighted; no figure is invented
without monitoring or the declared state; the charts (read from the xlsx's chart parts) draw the sheets' own cells,
which hold the contract's figures; the same inputs give the same bytes; a missing export is refused naming the option;
the CLI builds it."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from govcloud.checks.quantities import count, delivered
from govcloud.contract.amendments import load_amendment
from govcloud.contract.loader import load_contract
from govcloud.deliverables import capacity
from govcloud.deliverables.catalog import load_map
from govcloud.deliverables.inputs import gather
from govcloud.deliverables.model import DeliverableInputs, Document
from govcloud.deliverables.package import MissingInput
from govcloud.ledger.day import contracted_on_day
from govcloud.paths import DEFAULT_CONTRACT
from govcloud.state.export import read_export
from tests.inputs.samples import lab_export_bytes

from .docs import flagged, header_row, records, workbook

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = load_contract(DEFAULT_CONTRACT)
MAP = load_map(CONTRACT)
ENTRY = MAP.entry("capacity-report")
QUOTA = "openstack:compute/quotaSetV2:QuotaSetV2"
INSTANCE = "openstack:compute/instance:Instance"
SA = """schema_version: 1
id: SA-1
contract: "2025095"
signed: 2026-01-20
effective: 2026-03-01
clause: article-77
changes:
  - item: vcpu
    quantity: 2000
"""


@pytest.fixture(scope="module")
def prod_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The prod stack's export as `govcloud plan --stack prod --export-state` writes it."""
    path = tmp_path_factory.mktemp("capacity") / "prod.json"
    r = subprocess.run([sys.executable, "-m", "govcloud.cli", "plan", "--stack", "prod", "--export-state", str(path),
                        "--format", "json"], cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert r.returncode == 0, r.stderr
    return path


@pytest.fixture(scope="module")
def lab_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("capacity") / "lab.json"
    path.write_bytes(lab_export_bytes())
    return path


def inputs_of(stack: str, export: Path, period: str = "2026-03", declared: Path | None = None) -> DeliverableInputs:
    """The inputs as `govcloud deliverables build` gathers them (the stack's amendments, on the period's last day)."""
    return gather(CONTRACT, stack, period, state=export, declared=declared)[0]


def build(inputs: DeliverableInputs) -> Document:
    return capacity.build(inputs, ENTRY)


def dec(cell: Any) -> Decimal:
    return Decimal(str(cell.value))


def by_item(doc: Document, inputs: DeliverableInputs) -> dict[str, dict[str, Any]]:
    """The 容量对照 rows keyed by line item id (the rows follow the contracted items' order)."""
    rows = records(workbook(doc)["容量对照"])
    assert inputs.contracted is not None
    ids = list(inputs.contracted.items)
    assert len(rows) == len(ids)
    return dict(zip(ids, rows))


def ledger_figures(export: Path) -> dict[str, tuple[Decimal | None, Decimal | None, Decimal | None]]:
    """Per item what the ledger counts in the export: delivered, provisioned, allocated to hosts."""
    t = count(read_export(export), "deployed")
    addons = {c.item for c in t.contributions if c.property.startswith("metadata.")}
    return {i: (delivered(t, i, i in addons), t.total(i, "provision"), t.total(i, "allocation")) for i in t.items()}


def test_prod_is_sized_to_the_contract_and_every_figure_is_the_ledgers(prod_export: Path) -> None:
    inputs = inputs_of("prod", prod_export, declared=prod_export)  # the program's plan export, deployed as declared
    rows = by_item(build(inputs), inputs)
    figures = ledger_figures(prod_export)
    contract = {li.id: li for li in CONTRACT.line_items}
    assert dec(rows["vcpu"]["合同数量"]) == dec(rows["vcpu"]["已部署"]) == 1800
    assert dec(rows["memory"]["合同数量"]) == dec(rows["memory"]["已部署"]) == 4000
    assert dec(rows["storage_high_performance"]["已部署"]) == 30
    assert dec(rows["storage_standard"]["已部署"]) == 300
    assert dec(rows["backup_local"]["已部署"]) == 198
    for item, row in rows.items():
        deployed, provisioned, allocated = figures[item]
        assert dec(row["合同数量"]) == contract[item].quantity, item
        assert dec(row["已部署"]) == deployed, item
        assert dec(row["已开通（配额、订阅）"]) == provisioned, item
        assert (row["主机已分配"].value == "—") if allocated is None else (dec(row["主机已分配"]) == allocated), item
        assert dec(row["已声明"]) == contract[item].quantity, item
        assert dec(row["余量"]) == 0 and dec(row["已部署占合同"]) == 1 == dec(row["已声明占合同"]), item
        assert row["结论"].value == "一致" and row["声明与部署"].value == "一致", item
        assert not any(flagged(c) for c in row.values()), item
    assert rows["vcpu"]["已部署占合同"].number_format == "0.000%"
    assert rows["storage_standard"]["合同数量"].number_format == "#,##0.000"


def test_lab_figures_are_the_ledgers_and_shortfalls_are_highlighted(lab_export: Path) -> None:
    inputs = inputs_of("lab", lab_export)
    rows = by_item(build(inputs), inputs)
    figures = ledger_figures(lab_export)
    assert inputs.contracted is not None
    for item, row in rows.items():
        deployed = figures.get(item, (None, None, None))[0] or Decimal(0)
        quantity = inputs.contracted.items[item].quantity
        assert dec(row["已部署"]) == deployed, item
        assert dec(row["余量"]) == quantity - deployed, item
        assert abs(dec(row["已部署占合同"]) - deployed / quantity) < Decimal("0.000001"), item
        assert flagged(row["已部署"]) == (deployed != quantity), item
        assert row["已声明"].value == row["声明与部署"].value == "未提供" and flagged(row["已声明"]), item
    assert any(flagged(r["已部署"]) for r in rows.values())  # the lab is far smaller than the contract


def _drifted(prod_export: Path, folder: Path, cores: int, drop_instance: bool) -> Path:
    """A copy of the prod export with the compute quota changed in the cloud (as `.ci/run` does) and, with
    ``drop_instance``, one instance gone."""
    doc = json.loads(prod_export.read_text(encoding="utf-8"))
    res = doc["deployment"]["resources"]
    quota = next(r for r in res if r["type"] == QUOTA)
    quota.setdefault("outputs", {})["cores"] = cores
    if drop_instance:
        gone = next(r for r in res if r["type"] == INSTANCE)
        res.remove(gone)
    path = folder / f"drifted-{cores}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_a_lowered_quota_and_a_lost_instance_show_below_the_contract(prod_export: Path, tmp_path: Path) -> None:
    drifted = _drifted(prod_export, tmp_path, 1600, drop_instance=True)
    inputs = inputs_of("prod", drifted)
    rows = by_item(build(inputs), inputs)
    deployed, provisioned, allocated = ledger_figures(drifted)["vcpu"]
    v = rows["vcpu"]
    assert dec(v["已开通（配额、订阅）"]) == provisioned == 1600
    assert dec(v["已部署"]) == deployed == 1600 and dec(v["余量"]) == 200
    assert allocated is not None and dec(v["主机已分配"]) == allocated < 1800
    assert v["结论"].value == "低于合同" and flagged(v["结论"]) and flagged(v["已部署"]) and flagged(v["余量"])
    assert "乙方应补足" in v["说明"].value and "200" in v["说明"].value
    m = rows["memory"]  # the memory quota is untouched: the lost instance is headroom for new hosts
    assert m["结论"].value == "一致" and dec(m["已部署"]) == 4000
    assert not flagged(m["结论"])


def test_more_than_the_contract_needs_a_supplementary_agreement(prod_export: Path, tmp_path: Path) -> None:
    inputs = inputs_of("prod", _drifted(prod_export, tmp_path, 2000, drop_instance=False))
    v = by_item(build(inputs), inputs)["vcpu"]
    assert v["结论"].value == "高于合同" and flagged(v["结论"])
    assert dec(v["已部署"]) == 2000 and dec(v["余量"]) == -200
    assert abs(dec(v["已部署占合同"]) - Decimal(2000) / 1800) < Decimal("0.000001")
    assert "补充协议" in v["说明"].value and "第七、七十七、七十九条" in v["说明"].value


def test_declared_against_deployed_is_govcloud_checks_judgement(prod_export: Path, tmp_path: Path) -> None:
    """The program's plan export as declared, the drifted export as deployed: the workbook's declared and deployed
    figures are those `govcloud check --format json` reports for the same files and day, item by item."""
    drifted = _drifted(prod_export, tmp_path, 1600, drop_instance=True)
    inputs = inputs_of("prod", drifted, declared=prod_export)
    rows = by_item(build(inputs), inputs)
    report = tmp_path / "check.json"
    r = subprocess.run([sys.executable, "-m", "govcloud.cli", "check", "--stack", "prod", "--state", str(drifted),
                        "--declared", str(prod_export), "--on", "2026-03-31", "--format", "json", "--output",
                        str(report)], cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert r.returncode == 2, r.stderr  # findings: the drift and the shortfall
    items = {i["id"]: i for i in json.loads(report.read_text(encoding="utf-8"))["items"]}
    assert list(items) == list(rows)
    for item, row in rows.items():
        assert dec(row["已声明"]) == Decimal(items[item]["declared"] or 0), item
        assert dec(row["已部署"]) == Decimal(items[item]["deployed"] or 0), item
        drift = "drift" in items[item]["statuses"]
        assert (row["声明与部署"].value == "不一致") == drift == flagged(row["声明与部署"]), item
    v = rows["vcpu"]
    assert dec(v["已声明"]) == 1800 and dec(v["已部署"]) == 1600 and v["声明与部署"].value == "不一致"
    assert v["结论"].value == "低于合同" and "部署与程序声明不一致" in v["说明"].value
    assert rows["memory"]["声明与部署"].value == "一致"


def test_an_amendment_in_force_on_the_periods_last_day_sets_the_contracted_quantity(prod_export: Path,
                                                                                     tmp_path: Path) -> None:
    sa = tmp_path / "sa.yaml"
    sa.write_text(SA, encoding="utf-8")
    base = inputs_of("prod", prod_export)
    march = replace(base, contracted=contracted_on_day(CONTRACT, [load_amendment(sa)], base.period.end))
    doc = build(march)
    v = by_item(doc, march)["vcpu"]
    assert dec(v["合同数量"]) == 2000 and dec(v["已部署"]) == 1800 and dec(v["余量"]) == 200
    assert v["结论"].value == "低于合同" and flagged(v["已部署"])
    ws = workbook(doc)["容量对照"]
    assert any("已适用补充协议 1 份" in str(ws.cell(r, 1).value) for r in range(1, header_row(ws)))
    feb = inputs_of("prod", prod_export, "2026-02")  # before SA-1 takes effect
    feb = replace(feb, contracted=contracted_on_day(CONTRACT, [load_amendment(sa)], feb.period.end))
    assert by_item(build(feb), feb)["vcpu"]["结论"].value == "一致"


def test_without_monitoring_no_usage_figure_and_no_forecast_is_invented(prod_export: Path) -> None:
    doc = build(inputs_of("prod", prod_export))
    usage = workbook(doc)["使用情况"]
    cells = [c for row in usage.iter_rows(min_row=header_row(usage)) for c in row if c.value is not None]
    assert all(isinstance(c.value, str) for c in cells)
    assert any("未提供监控数据" in c.value for c in cells)
    trend = workbook(doc)["趋势与预测"]
    text = " ".join(str(c.value) for row in trend.iter_rows() for c in row if c.value is not None)
    assert "只有一个时间点" in text and "不作预测" in text
    rows = {r["月份"].value: r for r in records(trend)}
    assert list(rows) == [f"2025-{m:02d}" for m in range(6, 13)] + [f"2026-{m:02d}" for m in range(1, 6)]  # the term
    assert all(dec(r["合同 vCPU"]) == 1800 and dec(r["合同内存(GB)"]) == 4000 for r in rows.values())
    assert rows["2026-03"]["已部署 vCPU"].value == 1800 and dec(rows["2026-03"]["已部署内存(GB)"]) == 4000
    figures = ("已部署 vCPU", "监控所见 vCPU", "预测 vCPU", "已部署内存(GB)", "监控所见内存(GB)", "预测内存(GB)")
    assert all(r[k].value is None for m, r in rows.items() for k in figures if m != "2026-03" or "已部署" not in k)
    assert [c["kind"] for c in _charts(doc)] == ["barChart"]  # 容量对照's only: no trend drawn from one point


def test_the_conclusions_are_left_for_the_operations_lead(prod_export: Path) -> None:
    ws = workbook(build(inputs_of("prod", prod_export)))["容量规划结论"]
    assert any("容量规划结论（由运维负责人填写）" in str(ws.cell(r, 1).value) for r in range(1, header_row(ws)))
    rows = records(ws)
    assert rows and all(r["结论与措施（由运维负责人填写）"].value is None for r in rows)


def test_same_inputs_same_bytes(prod_export: Path) -> None:
    a, b = build(inputs_of("prod", prod_export)), build(inputs_of("prod", prod_export))
    assert hashlib.sha256(a.data).hexdigest() == hashlib.sha256(b.data).hexdigest()
    assert a.filename == "北京市政务云平台容量管理报告-2026-03.xlsx"
    assert openpyxl.load_workbook(BytesIO(a.data)).sheetnames == ["容量对照", "使用情况", "趋势与预测", "容量规划结论"]


def test_a_missing_export_is_refused_naming_the_option(prod_export: Path) -> None:
    inputs = replace(inputs_of("prod", prod_export), export=None)
    with pytest.raises(MissingInput, match="--state EXPORT.json"):
        build(inputs)


def test_the_cli_builds_it(prod_export: Path, tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    r = subprocess.run([sys.executable, "-m", "govcloud.cli", "deliverables", "build", "--stack", "prod",
                        "--period", "2026-03", "--out", str(out), "--state", str(prod_export),
                        "--declared", str(prod_export), "--only", "capacity-report"], cwd=ROOT, capture_output=True,
                       text=True, check=False, timeout=300)
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [d["id"] for d in manifest["documents"]] == ["capacity-report"]
    assert {i["source"] for i in manifest["inputs"]} >= {"stack-export", "stack-declared"}
    data = (out / "北京市政务云平台容量管理报告-2026-03.xlsx").read_bytes()
    assert manifest["documents"][0]["sha256"] == hashlib.sha256(data).hexdigest()
    assert data == build(inputs_of("prod", prod_export, declared=prod_export)).data


def test_a_declared_state_of_another_stack_is_refused_naming_the_file(prod_export: Path, lab_export: Path,
                                                                      tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "govcloud.cli", "deliverables", "build", "--stack", "prod",
                        "--period", "2026-03", "--out", str(tmp_path / "pkg"), "--state", str(prod_export),
                        "--declared", str(lab_export), "--only", "capacity-report"], cwd=ROOT, capture_output=True,
                       text=True, check=False, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert str(lab_export) in r.stderr and "lab" in r.stderr, r.stderr
    assert not (tmp_path / "pkg").exists()


# --- 使用情况 and 趋势与预测 from a real Prometheus, node-exporter-like series backfilled with promtool

GIB = 1024 ** 3
MARCH = (1772294400, 1774972800)  # 2026-03-01 00:00 .. 2026-04-01 00:00 Beijing time, epoch seconds
JAN = 1767196800  # 2026-01-01 00:00 Beijing time
FEB = 1769875200  # 2026-02-01 00:00 Beijing time
PEAK = (MARCH[0] + 9 * 86400 + 36000, MARCH[0] + 9 * 86400 + 39600)  # 2026-03-10 10:00-11:00: one busy hour


def _node(instance: str, since: int, idle: float, avail_gib: float, mounts: dict[str, tuple[float, float]]
          ) -> dict[str, list[str]]:
    """One host's node exporter series (2 CPUs, 4 GiB): hourly from ``since``, every 2 minutes in March; idle CPU and
    available memory drop in the busy hour (idle 0.1, 1 GiB available). ``mounts``: mountpoint → (size, avail) GB."""
    lines: dict[str, list[str]] = {k: [] for k in ("node_cpu_seconds_total", "node_memory_MemTotal_bytes",
                                                    "node_memory_MemAvailable_bytes", "node_filesystem_size_bytes",
                                                    "node_filesystem_avail_bytes")}
    times = list(range(since, MARCH[0], 3600)) + list(range(MARCH[0], MARCH[1], 120))
    for cpu in ("0", "1"):
        counter, last = 1000.0, times[0]
        for t in times:
            counter += (t - last) * (0.1 if PEAK[0] < t <= PEAK[1] else idle)
            last = t
            lines["node_cpu_seconds_total"].append(
                f'node_cpu_seconds_total{{instance="{instance}",job="node",cpu="{cpu}",mode="idle"}} {counter} {t}')
    for t in times:
        busy = PEAK[0] <= t < PEAK[1]
        lines["node_memory_MemTotal_bytes"].append(f'node_memory_MemTotal_bytes{{instance="{instance}",job="node"}} '
                                                   f"{4 * GIB} {t}")
        lines["node_memory_MemAvailable_bytes"].append(
            f'node_memory_MemAvailable_bytes{{instance="{instance}",job="node"}} {(1 if busy else avail_gib) * GIB} {t}')
    for mount, (size, avail) in {**mounts, "/run": (1.0, 0.01)}.items():  # /run (tmpfs) holds no data
        fstype = "tmpfs" if mount == "/run" else "ext4"
        for key, gb in (("size", size), ("avail", avail)):
            labels = f'instance="{instance}",job="node",mountpoint="{mount}",fstype="{fstype}",device="{mount}"'
            lines[f"node_filesystem_{key}_bytes"] += [f"node_filesystem_{key}_bytes{{{labels}}} {gb * 1e9} {t}"
                                                      for t in times if t >= MARCH[0]]
    return lines


def node_openmetrics() -> str:
    hosts = [_node("10.231.0.36:9100", JAN, 0.75, 3.0, {"/": (100, 60), "/data": (300, 30)}),  # lab-app-01
             _node("10.231.0.37:9100", FEB, 0.5, 2.0, {"/": (100, 50)}),  # lab-app-02; lab-db-01 not monitored
             _node("10.231.9.9:9100", MARCH[0], 0.9, 3.0, {"/": (50, 40)})]  # not a host of the lab stack
    out = []
    for family in hosts[0]:
        out.append(f"# TYPE {family} gauge")
        for h in hosts:
            out += h[family]
    return "\n".join(out) + "\n# EOF\n"


@pytest.fixture(scope="module")
def node_prom(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real Prometheus over the series, backfilled by promtool once and kept in the SLA tests' block cache under
    the text's digest (a changed scenario is a new digest)."""
    from tests.sla.promserver import PROMTOOL, PromServer, cache_root

    work = tmp_path_factory.mktemp("node-prom")
    text = node_openmetrics()
    blocks = cache_root() / f"capacity-node-{hashlib.sha256(text.encode()).hexdigest()[:20]}"
    if not (blocks / ".complete").exists():
        (work / "in.om").write_text(text, encoding="utf-8")
        (work / "blocks").mkdir()
        subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=24h",
                        str(work / "in.om"), str(work / "blocks")], check=True, capture_output=True, timeout=600)
        (work / "blocks" / ".complete").write_text("ok\n")
        blocks.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(blocks, ignore_errors=True)
        shutil.copytree(work / "blocks", blocks)
    server = PromServer(work / "server", [blocks]).start()
    try:
        yield server
    finally:
        server.stop()


def test_usage_per_host_from_the_node_exporter(lab_export: Path, node_prom) -> None:  # type: ignore[no-untyped-def]
    inputs = replace(inputs_of("lab", lab_export), prometheus=node_prom.url)
    rows = {r["主机名"].value: r for r in records(workbook(build(inputs))["使用情况"])}
    assert list(rows) == ["lab-app-01", "lab-app-02", "lab-db-01", "lab-log-01", "不在栈主机清单"]
    a = rows["lab-app-01"]
    assert a["监控实例"].value == "10.231.0.36:9100" and a["vCPU（监控）"].value == 2
    assert dec(a["内存(GB)（监控）"]) == 4
    busy_share = Decimal(3600) / (MARCH[1] - MARCH[0])
    assert abs(dec(a["CPU 平均使用率"]) - (Decimal("0.25") + busy_share * Decimal("0.65"))) < Decimal("0.002")
    assert abs(dec(a["CPU 峰值使用率"]) - Decimal("0.9")) < Decimal("0.001")
    assert abs(dec(a["内存平均使用率"]) - (Decimal("0.25") + busy_share * Decimal("0.5"))) < Decimal("0.001")
    assert abs(dec(a["内存峰值使用率"]) - Decimal("0.75")) < Decimal("0.001")
    assert abs(dec(a["文件系统使用率（期末）"]) - Decimal(310) / 400) < Decimal("0.000001")  # /run left out
    assert a["最满挂载点"].value == "/data" and abs(dec(a["最满挂载点使用率"]) - Decimal("0.9")) < Decimal("0.000001")
    assert abs(dec(rows["lab-app-02"]["CPU 平均使用率"]) - (Decimal("0.5") + busy_share * Decimal("0.4"))) < Decimal("0.002")
    db = rows["lab-db-01"]  # not monitored: said so, no figure
    assert db["监控实例"].value == "无监控数据" and flagged(db["监控实例"]) and db["CPU 平均使用率"].value is None
    assert flagged(rows["不在栈主机清单"]["主机名"]) and rows["不在栈主机清单"]["地址"].value == "10.231.9.9"


def test_monthly_series_and_a_linear_forecast_from_the_node_exporter(lab_export: Path, node_prom) -> None:  # type: ignore[no-untyped-def]
    inputs = replace(inputs_of("lab", lab_export), prometheus=node_prom.url)
    doc = build(inputs)
    rows = {r["月份"].value: r for r in records(workbook(doc)["趋势与预测"])}
    assert list(rows) == [f"2025-{m:02d}" for m in range(6, 13)] + [f"2026-{m:02d}" for m in range(1, 6)]
    dec_row = rows["2025-12"]  # before monitoring: no figure, said so
    assert dec_row["监控所见 vCPU"].value is None and dec_row["说明"].value == "无监控数据" and flagged(dec_row["说明"])
    assert [rows[m]["监控所见 vCPU"].value for m in ("2026-01", "2026-02", "2026-03")] == [2, 4, 4]
    assert [dec(rows[m]["监控所见内存(GB)"]) for m in ("2026-01", "2026-02", "2026-03")] == [4, 8, 8]
    forecast = [m for m, r in rows.items() if r["预测 vCPU"].value is not None]
    assert forecast == ["2026-04", "2026-05"]  # after the period, to the term's end
    # least squares over term months 7, 8, 9 (2 → 4 → 4): slope 1, mean 10/3 at month 8: month 10 is 16/3
    assert [dec(rows[m]["预测 vCPU"]) for m in forecast] == [Decimal("5.33"), Decimal("6.33")]
    assert all(rows[m]["监控所见 vCPU"].value is None for m in forecast)
    assert inputs.contracted is not None
    assert all(dec(r["合同 vCPU"]) == inputs.contracted.items["vcpu"].quantity for r in rows.values())
    assert build(inputs).data == doc.data  # the same Prometheus, the same bytes


def _charts(doc: Document) -> list[dict[str, Any]]:
    """Each chart part of the xlsx (openpyxl does not read charts back): its kind, title, and per series the sheet
    ranges of its name, categories and values."""
    import re
    import zipfile

    out = []
    with zipfile.ZipFile(BytesIO(doc.data)) as z:
        for name in sorted(n for n in z.namelist() if re.fullmatch(r"xl/charts/chart[0-9]+\.xml", n)):
            xml = z.read(name).decode("utf-8")
            out.append({"kind": re.search(r"<(barChart|lineChart)>", xml).group(1),  # type: ignore[union-attr]
                        "title": re.search(r"<a:t>([^<]*)</a:t>", xml).group(1),  # type: ignore[union-attr]
                        "names": re.findall(r"<ser>.*?<tx><strRef><f>([^<]+)</f>", xml),
                        "cats": re.findall(r"<cat><strRef><f>([^<]+)</f>", xml),
                        "vals": re.findall(r"<val><numRef><f>([^<]+)</f>", xml)})
    return out


def _cells(wb: Any, ref: str) -> list[Any]:
    """The values of a chart's range (``'容量对照'!$G$12:$G$30``), as openpyxl reads the sheet."""
    sheet, rng = ref.rsplit("!", 1)
    cells = wb[sheet.strip("'")][rng.replace("$", "")]
    return [c.value for row in (cells if isinstance(cells, tuple) else ((cells,),)) for c in row]


def _numbers(values: list[Any]) -> list[Decimal | None]:
    return [None if v is None else Decimal(str(v)) for v in values]


def test_the_bar_chart_draws_declared_and_deployed_against_the_contract(prod_export: Path, tmp_path: Path) -> None:
    """One native bar chart on 容量对照: per contracted item, what the program declares and what is deployed as shares of
    the contract; its ranges hold the ledger's counts over the contract's quantities, item by item."""
    drifted = _drifted(prod_export, tmp_path, 1600, drop_instance=True)
    inputs = inputs_of("prod", drifted, declared=prod_export)
    doc = build(inputs)
    (chart,) = _charts(doc)
    assert chart["kind"] == "barChart" and chart["title"] == "已声明、已部署占合同数量的比例（100% 即与合同数量一致）"
    assert all(ref.startswith("'容量对照'!") for key in ("names", "cats", "vals") for ref in chart[key])
    wb = openpyxl.load_workbook(BytesIO(doc.data))
    assert [v for ref in chart["names"] for v in _cells(wb, ref)] == ["已声明占合同", "已部署占合同"]
    items = [li for li in CONTRACT.line_items]  # no amendment in force: the contract's own items, in its order
    assert _cells(wb, chart["cats"][0]) == _cells(wb, chart["cats"][1]) == [capacity.item_name(inputs, li.id)
                                                                           for li in items]
    declared, deployed = ledger_figures(prod_export), ledger_figures(drifted)
    for ref, figures in zip(chart["vals"], (declared, deployed)):
        got = [Decimal(str(v)) for v in _cells(wb, ref)]
        want = [(figures.get(li.id, (None,))[0] or Decimal(0)) / li.quantity for li in items]
        assert all(abs(g - w) < Decimal("0.000001") for g, w in zip(got, want, strict=True)), ref
    vcpu = [li.id for li in items].index("vcpu")
    assert _cells(wb, chart["vals"][0])[vcpu] == 1
    assert abs(Decimal(str(_cells(wb, chart["vals"][1])[vcpu])) - Decimal(1600) / 1800) < Decimal("0.000001")
    assert build(inputs).data == doc.data  # the chart keeps the workbook byte-identical


def test_without_the_declared_state_the_chart_draws_only_what_is_deployed(lab_export: Path) -> None:
    doc = build(inputs_of("lab", lab_export))
    (chart,) = _charts(doc)
    wb = openpyxl.load_workbook(BytesIO(doc.data))
    assert [v for ref in chart["names"] for v in _cells(wb, ref)] == ["已部署占合同"]
    ws = workbook(doc)["容量对照"]
    assert any("已声明：未提供（给出 --declared PLAN_EXPORT.json" in str(ws.cell(r, 1).value)
               for r in range(1, header_row(ws)))


def test_line_charts_draw_contracted_deployed_seen_and_forecast(lab_export: Path, node_prom: Any) -> None:
    """With monitoring, 趋势与预测 has a line chart each for vCPU and memory over the term's months: the contract,
    the export's point, what the node exporter saw and the forecast, from the sheet's own cells."""
    inputs = replace(inputs_of("lab", lab_export), prometheus=node_prom.url)
    doc = build(inputs)
    bar, cpu, mem = _charts(doc)
    assert bar["kind"] == "barChart" and cpu["kind"] == mem["kind"] == "lineChart"
    assert cpu["title"].startswith("vCPU：") and mem["title"].startswith("内存：")
    wb = openpyxl.load_workbook(BytesIO(doc.data))
    months = [f"2025-{m:02d}" for m in range(6, 13)] + [f"2026-{m:02d}" for m in range(1, 6)]
    assert inputs.contracted is not None
    for chart, key, names in ((cpu, "vcpu", ["合同 vCPU", "已部署 vCPU", "监控所见 vCPU", "预测 vCPU"]),
                              (mem, "memory", ["合同内存(GB)", "已部署内存(GB)", "监控所见内存(GB)", "预测内存(GB)"])):
        assert all(ref.startswith("'趋势与预测'!") for k in ("names", "cats", "vals") for ref in chart[k])
        assert [v for ref in chart["names"] for v in _cells(wb, ref)] == names
        assert all(_cells(wb, ref) == months for ref in chart["cats"])
        contracted, deployed, seen, _forecast = (_numbers(_cells(wb, ref)) for ref in chart["vals"])
        assert contracted == [inputs.contracted.items[key].quantity] * 12
        assert deployed == [None] * 9 + [by_item(doc, inputs)[key]["已部署"].value] + [None] * 2
        assert seen[:7] == [None] * 7 and len(seen) == 12 and seen[10:] == [None, None]
    assert _numbers(_cells(wb, cpu["vals"][2]))[7:10] == [2, 4, 4]
    assert _numbers(_cells(wb, mem["vals"][2]))[7:10] == [4, 8, 8]
    assert _numbers(_cells(wb, cpu["vals"][3])) == [None] * 10 + [Decimal("5.33"), Decimal("6.33")]
