"""Property: for arbitrary valid contracts, each line total is price × quantity × periods to the fen
and each section total is the sum of its lines (checked against an independent Fraction oracle)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path
import tempfile

from hypothesis import given, settings
from hypothesis import strategies as st

from govcloud.contract import cost_contract, load_contract
from govcloud.paths import DEFAULT_CONTRACT

SEED = DEFAULT_CONTRACT.read_text(encoding="utf-8")
HEAD = SEED[: SEED.index("sections:")]
TAIL = SEED[SEED.index("payments:"):]
# the generated items are not storage tiers, so the IOPS minimums refer to nothing
TAIL = TAIL[: TAIL.index("  iops:")] + "  iops: {}\n" + TAIL[TAIL.index("  minimum_quantities_clause"):]

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
quantities = st.one_of(st.integers(min_value=1, max_value=5000).map(Decimal),
                       st.decimals(min_value=Decimal("0.1"), max_value=Decimal("500"), places=1))
items = st.tuples(st.sampled_from(["basic", "extended", "network"]), st.sampled_from(["monthly", "per_occasion"]),
                  prices, quantities, st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=6))


def fen(x: Fraction) -> Fraction:
    """Round half up to 0.01 with exact rational arithmetic."""
    scaled = x * 100
    whole = scaled.numerator // scaled.denominator
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return Fraction(whole, 100)


@settings(max_examples=60, deadline=None)
@given(st.lists(items, min_size=1, max_size=12))
def test_section_totals_are_the_sum_of_their_lines(rows) -> None:
    expected_lines = []
    body = []
    for i, (section, billing, price, qty, months, occasions) in enumerate(rows):
        periods = occasions if billing == "per_occasion" else months
        total = fen(Fraction(str(price)) * Fraction(str(qty)) * periods)
        expected_lines.append((section, total))
        body.append(
            f"  - id: item{i}\n    section: {section}\n    service_class_zh: 类\n    subclass_zh: 子类\n"
            f"    name_zh: 项{i}\n    unit: u\n    unit_zh: 个\n    billing: {billing}\n    unit_price: {price}\n"
            f"    quantity: {qty}\n    months_printed: {months}\n"
            + (f"    occasions: {occasions}\n" if billing == "per_occasion" else "")
            + f"    printed_total: {Decimal(total.numerator) / Decimal(total.denominator)}\n    clause: article-2\n")
    sections = {}
    for section, total in expected_lines:
        sections[section] = sections.get(section, Fraction(0)) + total
    grand = sum(sections.values(), Fraction(0))
    as_dec = {k: Decimal(v.numerator) / Decimal(v.denominator) for k, v in sections.items()}
    grand_dec = Decimal(grand.numerator) / Decimal(grand.denominator)
    text = (HEAD.replace("printed_grand_total_words_zh", "#")
            + "sections:\n" + "".join(f"  - id: {k}\n    name_zh: 节\n    printed_total: {v}\n    clause: article-2\n"
                                      for k, v in as_dec.items())
            + f"printed_grand_total: {grand_dec}\n\nline_items:\n" + "".join(body) + "\n" + TAIL)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.yaml"
        path.write_text(text, encoding="utf-8")
        cost = cost_contract(load_contract(path))
    assert [lc.total for lc in cost.lines] == [Decimal(t.numerator) / Decimal(t.denominator) for _s, t in expected_lines]
    for sc in cost.sections:
        assert sc.total == sum((lc.total for lc in cost.lines if lc.item.section == sc.id), Decimal(0))
        assert sc.reproduces, sc
    assert cost.grand_total == grand_dec
    assert all(lc.reproduces for lc in cost.lines)
