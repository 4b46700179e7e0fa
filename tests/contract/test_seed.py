"""Every figure of contract 2025095 reproduces from the real contract file (article 2, 17, 18)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from govcloud.contract import cost_contract, load_contract
from govcloud.contract.money import words_zh
from govcloud.paths import DEFAULT_CONTRACT

# The article 2 tables as printed: id → (unit price, quantity, periods billed, printed total).
PRINTED = {
    "vcpu": ("14", "1800", 12, "302400"),
    "memory": ("25", "4000", 12, "1200000"),
    "storage_high_performance": ("307.2", "30", 12, "110592"),
    "storage_standard": ("204.8", "300", 12, "737280"),
    "backup_local": ("307.2", "198", 12, "729907.2"),
    "internet_bandwidth": ("40960", "1.5", 12, "737280"),
    "remote_access": ("118", "33", 12, "46728"),
    "ssl_vpn": ("80", "33", 12, "31680"),
    "deep_monitoring": ("1", "200", 12, "2400"),
    "os_licence": ("70", "200", 12, "168000"),
    "anti_ddos": ("2500", "1", 12, "30000"),
    "antivirus": ("22", "200", 12, "52800"),
    "host_protection": ("210", "200", 12, "504000"),
    "host_hardening": ("800", "200", 1, "160000"),
    "vuln_scan": ("300", "200", 4, "240000"),
    "log_analysis": ("360", "200", 1, "72000"),
    "db_audit": ("550", "11", 12, "72600"),
    "cdn": ("0.19", "50000", 12, "114000"),
    "leased_line": ("28000", "2", 12, "672000"),
}


@pytest.fixture(scope="module")
def cost():
    return cost_contract(load_contract(DEFAULT_CONTRACT))


def test_every_line_item_is_encoded_in_order(cost) -> None:
    assert [lc.item.id for lc in cost.lines] == list(PRINTED)
    sections = [lc.item.section for lc in cost.lines]
    assert sections.count("basic") == 9 and sections.count("extended") == 10


@pytest.mark.parametrize("item_id", list(PRINTED))
def test_line_total_reproduces(cost, item_id: str) -> None:
    price, qty, periods, printed = PRINTED[item_id]
    lc = next(lc for lc in cost.lines if lc.item.id == item_id)
    assert lc.item.unit_price == Decimal(price)
    assert lc.item.quantity == Decimal(qty)
    assert lc.item.periods == periods
    assert lc.total == Decimal(printed)
    assert lc.reproduces


def test_per_occasion_items_ignore_the_months_column(cost) -> None:
    by_id = {lc.item.id: lc for lc in cost.lines}
    for item_id, occasions in (("host_hardening", 1), ("vuln_scan", 4), ("log_analysis", 1)):
        li = by_id[item_id].item
        assert li.billing == "per_occasion" and li.months_printed == 12 and li.occasions == occasions
        # the months column would have given a different (wrong) figure
        assert li.unit_price * li.quantity * li.months_printed != li.printed_total


def test_sections_grand_total_and_payments(cost) -> None:
    basic, extended = cost.sections
    assert (basic.id, basic.total) == ("basic", Decimal("3898267.20"))
    assert (extended.id, extended.total) == ("extended", Decimal("2085400.00"))
    assert cost.grand_total == Decimal("5983667.20") == basic.total + extended.total
    pay = cost.contract.payments
    assert pay.first.amount == Decimal("4718206.63")
    assert pay.final.amount == Decimal("1265460.57")
    assert pay.first.amount + pay.final.amount == cost.grand_total
    assert cost.bond_amount == Decimal("299183.36")  # 5% of the total (article 18)
    assert pay.bond_min_validity_months == 6
    assert cost.mismatches == () and cost.reproduces


def test_amounts_in_words_match_the_printed_capitals() -> None:
    assert words_zh(Decimal("5983667.2")) == "人民币伍佰玖拾捌万叁仟陆佰陆拾柒元贰角"
    assert words_zh(Decimal("4718206.63")) == "人民币肆佰柒拾壹万捌仟贰佰零陆元陆角叁分"
    assert words_zh(Decimal("1265460.57")) == "人民币壹佰贰拾陆万伍仟肆佰陆拾元伍角柒分"
    assert words_zh(Decimal("1005.05")) == "人民币壹仟零伍元零伍分"
    assert words_zh(Decimal("10000000")) == "人民币壹仟万元整"


def test_terms_around_the_figures() -> None:
    c = load_contract(DEFAULT_CONTRACT)
    assert c.number == "2025095"
    assert (c.term.start, c.term.end, c.term.days) == (date(2025, 6, 1), date(2026, 5, 31), 365)
    assert c.signed == date(2025, 7, 9)
    assert c.technical.vcpu_min_ghz == Decimal("2.4")
    assert c.technical.iops == {"storage_high_performance": (3000, 10000), "storage_standard": (1000, 3000)}
    assert (c.sla.availability_percent, c.sla.data_reliability_percent) == (Decimal("99.99"), Decimal("99.9999"))
    assert (c.sla.mlps_level, c.sla.scale_out_days, c.sla.response_minutes, c.sla.on_site_hours) == (3, 7, 15, 2)
    assert (c.sla.fault_isolation_minutes, c.sla.fault_isolation_important_minutes) == (30, 10)
    assert c.provisioning.working_days == 30 and c.provisioning.clause == "article-12"
    assert [len(p.deliverables_zh) for p in c.acceptance] == [2, 15, 6]
    levels = {lvl.level: lvl for lvl in c.incidents}
    assert (levels["A"].termination_after, levels["A"].clause, len(levels["A"].events)) == (1, "article-53", 4)
    assert (levels["B"].termination_after, levels["B"].clause) == (3, "article-54")
    assert {t.clause for t in c.termination} == {"article-53", "article-54", "article-55", "article-56"}
    exits = {e.id: e for e in c.exit_terms}
    assert (exits["ordered-exit-assist"].offset_value, exits["ordered-exit-assist"].offset_unit) == (10, "day")
    assert (exits["switchover"].offset_value, exits["switchover"].offset_unit) == (2, "month")
    assert (exits["provider-exit-notice"].offset_value, exits["provider-exit-notice"].offset_unit) == (-6, "month")
    assert (exits["return-materials"].offset_value, exits["confidentiality"].offset_value) == (5, 3)
    assert {e.clause for e in c.exit_terms} >= {"article-14", "article-57", "article-58", "article-59",
                                                 "article-68", "article-71"}
    assert len(c.basic_security_services) == 4
    assert all(li.clause.startswith("article-") for li in c.line_items)
