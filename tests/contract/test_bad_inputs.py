"""Bad contract and amendment documents: each error names the file, the field and what was
expected; the exit code is non-zero; nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from govcloud.cli import main
from tests.contract.conftest import snapshot

AMENDMENT = """\
schema_version: 1
id: SA-2025095-01
contract: "2025095"
signed: 2025-12-20
effective: {effective}
clause: article-77
changes:
  - item: {item}
    quantity: 2000
"""

# (case id, replacements on the seed text, exit code, field path in the message, words expected in it)
CONTRACT_CASES = [
    ("malformed-yaml", [("  - id: memory\n", "  - id: [memory\n")], 1, "(document)", "malformed YAML"),
    ("missing-field", [("    unit_price: 204.8\n", "")], 1, "line_items[3].unit_price", "missing required field"),
    ("wrong-type", [("    quantity: 1800\n", "    quantity: lots\n")], 1, "line_items[0].quantity",
     "expected a number"),
    ("negative-quantity", [("    quantity: 30\n", "    quantity: -30\n")], 1, "line_items[2].quantity",
     "expected a number > 0"),
    ("zero-quantity", [("    quantity: 33\n    months_printed: 12\n    printed_total: 46728",
                        "    quantity: 0\n    months_printed: 12\n    printed_total: 46728")], 1,
     "line_items[6].quantity", "expected a number > 0"),
    ("unknown-billing", [("    billing: per_occasion\n    unit_price: 300\n",
                          "    billing: yearly\n    unit_price: 300\n")], 1, "line_items[14].billing",
     "expected one of monthly, per_occasion"),
    ("line-total-does-not-reproduce", [("    printed_total: 302400\n", "    printed_total: 302401\n")], 2,
     "line_items[0].printed_total", "computed 302400.00"),
    ("section-total-does-not-reproduce", [("    printed_total: 2085400\n", "    printed_total: 2085401\n")], 2,
     "sections[1].printed_total", "computed 2085400.00"),
    ("payments-do-not-sum", [("    amount: 1265460.57\n", "    amount: 1265460.58\n")], 2, "payments",
     "expected the grand total 5983667.2"),
    ("words-do-not-match", [("人民币伍佰玖拾捌万叁仟陆佰陆拾柒元贰角", "人民币伍佰玖拾捌万叁仟陆佰陆拾柒元叁角")], 2,
     "printed_grand_total_words_zh", "人民币伍佰玖拾捌万叁仟陆佰陆拾柒元贰角"),
    ("duplicate-item-id", [("  - id: memory\n", "  - id: vcpu\n")], 1, "line_items[1].id", "unique line item id"),
    ("unknown-section", [("    section: extended\n    service_class_zh: 扩展服务\n    subclass_zh: CDN加速",
                          "    section: premium\n    service_class_zh: 扩展服务\n    subclass_zh: CDN加速")], 1,
     "line_items[17].section", "expected one of the sections (basic, extended)"),
    ("per-occasion-without-occasions", [("    occasions: 4\n", "")], 1, "line_items[14].occasions",
     "missing required field 'occasions'"),
    ("term-end-before-start", [("  end: 2026-05-31\n", "  end: 2025-05-31\n")], 1, "term.end",
     "expected a date after term.start"),
    ("impossible-date", [("signed: 2025-07-09", "signed: 2025-02-30")], 1, "signed", "expected a valid date"),
    ("unknown-field", [("    unit_price: 25\n", "    unit_prize: 25\n")], 1, "line_items[1]",
     "unit_prize"),
    ("duplicate-key", [("    quantity: 1800\n", "    quantity: 1800\n    quantity: 1900\n")], 1,
     "line_items[0].quantity", "duplicate key 'quantity'"),
    ("monthly-with-occasions", [("    unit_price: 2500\n", "    unit_price: 2500\n    occasions: 2\n")], 1,
     "line_items[10].occasions", "no 'occasions' on a monthly"),
    ("bad-clause", [("    clause: article-19\n", "    clause: section nineteen\n")], 1,
     "payments.invoice.clause", "clause reference such as article-2"),
]


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize("case", CONTRACT_CASES, ids=[c[0] for c in CONTRACT_CASES])
def test_bad_contract_is_refused_with_a_clear_error(case, write_copy, tmp_path: Path, capsys) -> None:
    _name, replacements, exit_code, field, words = case
    path = write_copy(*replacements)
    before = snapshot(tmp_path)
    code, text = _run(capsys, ["contract", "validate", str(path)])
    assert code == exit_code, text
    assert str(path) in text, f"the message must name the file: {text}"
    assert field in text, f"the message must name the field {field}: {text}"
    assert words in text, text
    assert snapshot(tmp_path) == before, "a refused document must change nothing"


def test_errors_carry_the_source_line(write_copy, capsys) -> None:
    path = write_copy(("    quantity: 30\n", "    quantity: -30\n"))
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text == "    quantity: -30")
    _code, text = _run(capsys, ["contract", "validate", str(path)])
    assert f"{path}:{line}: line_items[2].quantity" in text


def test_every_problem_is_listed_at_once(write_copy, capsys) -> None:
    path = write_copy(("    quantity: 1800\n", "    quantity: -1\n"), ("    billing: per_occasion\n    unit_price: 360\n",
                                                                       "    billing: weekly\n    unit_price: 360\n"))
    code, text = _run(capsys, ["contract", "validate", str(path)])
    assert code == 1
    assert "line_items[0].quantity" in text and "line_items[15].billing" in text


@pytest.mark.parametrize("content, words", [
    (b"", "found an empty file"),
    (b"- just\n- a list\n", "expected a mapping at the top"),
    (b"number: \xff\xfe2025095\n", "expected UTF-8 text"),
], ids=["empty", "top-level-list", "not-utf8"])
def test_unusable_files(tmp_path: Path, capsys, content: bytes, words: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(content)
    code, text = _run(capsys, ["contract", "show", str(path)])
    assert code == 1 and str(path) in text and words in text


def test_missing_file(tmp_path: Path, capsys) -> None:
    code, text = _run(capsys, ["contract", "cost", str(tmp_path / "nope.yaml")])
    assert code == 1 and "nope.yaml" in text and "file not found" in text


def _amendment(tmp_path: Path, name: str, effective: str = "2026-01-01", item: str = "vcpu", extra: str = "") -> Path:
    p = tmp_path / name
    p.write_text(AMENDMENT.format(effective=effective, item=item) + extra, encoding="utf-8")
    return p


AMENDMENT_CASES = [
    ("unknown-item", dict(item="gpu"), "changes[0].item", "got 'gpu'"),
    ("date-out-of-term", dict(effective="2026-07-01"), "effective", "within the term 2025-06-01..2026-05-31"),
    ("nothing-changed", dict(extra="  - item: memory\n"), "changes[1]", "expected 'quantity' or 'unit_price'"),
]


@pytest.mark.parametrize("case", AMENDMENT_CASES, ids=[c[0] for c in AMENDMENT_CASES])
def test_bad_amendment_is_refused(case, tmp_path: Path, capsys) -> None:
    _name, kwargs, field, words = case
    a = _amendment(tmp_path, "sa.yaml", **kwargs)
    before = snapshot(tmp_path)
    code, text = _run(capsys, ["contract", "cost", "--amendment", str(a)])
    assert code == 1, text
    assert str(a) in text and field in text and words in text, text
    assert snapshot(tmp_path) == before


def test_overlapping_amendments_are_refused(tmp_path: Path, capsys) -> None:
    a = _amendment(tmp_path, "a.yaml")
    b = _amendment(tmp_path, "b.yaml")  # same item, same field, same effective date
    code, text = _run(capsys, ["contract", "show", "--amendment", str(a), "--amendment", str(b), "--on", "2026-02-01"])
    assert code == 1
    assert "changes[0].quantity" in text and "overlaps SA-2025095-01" in text


def test_bounded_amendment_overlapping_a_later_one_is_refused(tmp_path: Path, capsys) -> None:
    a = _amendment(tmp_path, "a.yaml", effective="2026-01-01", extra="until: 2026-04-30\n")
    b = _amendment(tmp_path, "b.yaml", effective="2026-03-01")
    code, text = _run(capsys, ["contract", "cost", "--amendment", str(a), "--amendment", str(b)])
    assert code == 1 and "b.yaml" in text and "2026-01-01 to 2026-04-30" in text


def test_amendment_for_another_contract(tmp_path: Path, capsys) -> None:
    a = tmp_path / "other.yaml"
    a.write_text(AMENDMENT.format(effective="2026-01-01", item="vcpu").replace('"2025095"', '"2024001"'))
    code, text = _run(capsys, ["contract", "cost", "--amendment", str(a)])
    assert code == 1 and "contract" in text and "expected contract number 2025095, got 2024001" in text


def test_show_on_a_date_outside_the_term(capsys) -> None:
    code, text = _run(capsys, ["contract", "show", "--on", "2026-06-01"])
    assert code == 1 and "term" in text and "got 2026-06-01" in text


def test_deadline_outside_the_calendar_years(capsys) -> None:
    code, text = _run(capsys, ["deadline", "--from", "2026-12-20", "--working-days", "30"])
    assert code == 1 and "knows the years" in text and "2027" in text


def test_bad_date_argument(capsys) -> None:
    # a usage error exits 1, not argparse's 2: a pipeline reads 2 as findings
    assert main(["contract", "show", "--on", "2026-13-01"]) == 1
    assert "expected a date as YYYY-MM-DD" in capsys.readouterr().err
