"""Supplementary agreements (articles 7, 77, 79): what is contracted on a day, and day-prorated cost."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from govcloud.cli import main
from govcloud.contract import apply_amendments, contracted_on, load_amendment, load_contract
from govcloud.contract.amendments import prorated_cost
from govcloud.paths import DEFAULT_CONTRACT


def write(tmp_path: Path, name: str, body: str) -> Path:
    p = tmp_path / name
    p.write_text(body, encoding="utf-8")
    return p


def header(aid: str, effective: str, until: str = "") -> str:
    text = (f'schema_version: 1\nid: {aid}\ncontract: "2025095"\nsigned: 2025-11-20\n'
            f"effective: {effective}\nclause: article-77\n")
    return text + (f"until: {until}\n" if until else "")


@pytest.fixture(scope="module")
def contract():
    return load_contract(DEFAULT_CONTRACT)


def test_quantity_change_applies_from_its_effective_date(contract, tmp_path: Path) -> None:
    a = load_amendment(write(tmp_path, "a.yaml", header("SA-1", "2026-01-16") + "changes:\n  - item: vcpu\n    quantity: 2000\n"))
    assert contracted_on(contract, [a], date(2026, 1, 15))["vcpu"].quantity == 1800
    assert contracted_on(contract, [a], date(2026, 1, 16))["vcpu"].quantity == 2000
    assert contracted_on(contract, [a], date(2026, 5, 31))["vcpu"].quantity == 2000
    # January 2026 has 31 days: 15 at 1800 vCPU, 16 at 2000; June-December at 1800, February-May at 2000.
    expected = Decimal(14 * 1800 * 7) + Decimal(14 * (1800 * 15 + 2000 * 16)) / 31 + Decimal(14 * 2000 * 4)
    assert prorated_cost(apply_amendments(contract, [a]), "vcpu") == expected.quantize(Decimal("0.01"))
    assert prorated_cost(apply_amendments(contract, [a]), "vcpu") == Decimal("315045.16")


def test_without_amendments_proration_reproduces_the_printed_totals(contract) -> None:
    amended = apply_amendments(contract, [])
    for li in contract.line_items:
        assert prorated_cost(amended, li.id) == li.printed_total, li.id


def test_price_change_of_a_per_occasion_item_counts_occasions_after_it(contract, tmp_path: Path) -> None:
    a = load_amendment(write(tmp_path, "a.yaml", header("SA-2", "2025-10-01") + "changes:\n  - item: vuln_scan\n    unit_price: 280\n"))
    # scans on 2025-06-01 and 2025-09-01 at 300, on 2025-12-01 and 2026-03-01 at 280
    assert prorated_cost(apply_amendments(contract, [a]), "vuln_scan") == Decimal(200 * (300 + 300 + 280 + 280))


def test_added_item_costs_only_its_months(contract, tmp_path: Path) -> None:
    body = header("SA-3", "2026-03-01") + """changes:
  - add:
      id: gpu
      section: basic
      name_zh: GPU云主机
      unit: GPU
      unit_zh: 块
      billing: monthly
      unit_price: 1000.50
      quantity: 2
"""
    a = load_amendment(write(tmp_path, "a.yaml", body))
    amended = apply_amendments(contract, [a])
    assert "gpu" not in amended.items_on(date(2026, 2, 28))
    assert amended.items_on(date(2026, 3, 1))["gpu"].quantity == 2
    assert prorated_cost(amended, "gpu") == Decimal("6003.00")  # March, April, May


def test_later_open_ended_change_supersedes_an_earlier_one(contract, tmp_path: Path) -> None:
    a = load_amendment(write(tmp_path, "a.yaml", header("SA-4", "2026-01-01") + "changes:\n  - item: memory\n    quantity: 4200\n"))
    b = load_amendment(write(tmp_path, "b.yaml", header("SA-5", "2026-04-01") + "changes:\n  - item: memory\n    quantity: 4400\n"))
    assert contracted_on(contract, [b, a], date(2026, 3, 31))["memory"].quantity == 4200
    assert contracted_on(contract, [b, a], date(2026, 4, 1))["memory"].quantity == 4400
    assert contracted_on(contract, [b, a], date(2025, 12, 31))["memory"].quantity == 4000


def test_bounded_change_ends_on_its_until_date(contract, tmp_path: Path) -> None:
    a = load_amendment(write(tmp_path, "a.yaml", header("SA-6", "2025-12-01", until="2026-01-31")
                             + "changes:\n  - item: internet_bandwidth\n    quantity: 2\n"))
    assert contracted_on(contract, [a], date(2026, 1, 31))["internet_bandwidth"].quantity == 2
    assert contracted_on(contract, [a], date(2026, 2, 1))["internet_bandwidth"].quantity == Decimal("1.5")
    # two months at 2 Gbps instead of 1.5: 2 × 0.5 × 40960 more
    assert prorated_cost(apply_amendments(contract, [a]), "internet_bandwidth") == Decimal(737280 + 40960)


def test_cost_cli_reports_amended_totals_beside_the_printed_ones(tmp_path: Path, capsys) -> None:
    a = write(tmp_path, "a.yaml", header("SA-1", "2026-01-16") + "changes:\n  - item: vcpu\n    quantity: 2000\n")
    assert main(["contract", "cost", "--amendment", str(a), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    vcpu = next(r for r in report["line_items"] if r["id"] == "vcpu")
    assert (vcpu["total"], vcpu["printed_total"], vcpu["reproduces"]) == ("302400.00", "302400.00", True)
    assert vcpu["amended_total"] == "315045.16"
    assert report["amended_grand_total"] == "5996312.36"  # 5,983,667.20 + 12,645.16
    assert report["amendments"][0]["id"] == "SA-1"


def test_show_json_marks_amended_items(tmp_path: Path, capsys) -> None:
    a = write(tmp_path, "a.yaml", header("SA-1", "2026-01-16") + "changes:\n  - item: vcpu\n    quantity: 2000\n")
    assert main(["contract", "show", "--amendment", str(a), "--on", "2026-02-01", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    vcpu = next(r for r in report["line_items"] if r["id"] == "vcpu")
    assert vcpu["quantity"] == "2000" and vcpu["amended"] and vcpu["changed_fields"] == ["quantity"]
    assert not next(r for r in report["line_items"] if r["id"] == "memory")["amended"]
