"""The four process documents (map status template) from the real contract and from a renewal with other
figures: the text a person reads (``pdftotext`` of the real PDF) carries the contract's own limits and clauses,
and changes with the contract file alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from govcloud.contract.loader import load_contract
from govcloud.deliverables.catalog import load_map
from govcloud.deliverables.inputs import period_of
from govcloud.deliverables.model import DeliverableInputs
from govcloud.deliverables.processes import BODIES, build
from govcloud.paths import DEFAULT_CONTRACT

from .docs import has, text_of

pytestmark = pytest.mark.slow  # weasyprint lays out CJK text: seconds per document

CONTRACT = load_contract(DEFAULT_CONTRACT)


def renewal(tmp_path: Path) -> Path:
    """A renewal contract: response 10 minutes, on site within 1 hour, and 2,000 vCPU."""
    text = DEFAULT_CONTRACT.read_text(encoding="utf-8")
    for old, new in (("response: {minutes: 15, clause: article-9}", "response: {minutes: 10, clause: article-9}"),
                     ("on_site: {hours: 2, clause: article-9}", "on_site: {hours: 1, clause: article-9}")):
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "renewal.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("doc_id", sorted(BODIES))
def test_each_process_document_carries_the_contracts_parties_and_clauses(doc_id: str, tmp_path: Path) -> None:
    entry = load_map(CONTRACT).entry(doc_id)
    doc = build(DeliverableInputs(CONTRACT, "lab", period_of("term", CONTRACT)), entry)
    assert doc.filename == f"{entry.name_zh}-term.pdf" and doc.data.startswith(b"%PDF-")
    text = text_of(doc.data, tmp_path)
    assert has(text, entry.name_zh, "2025095", "北京市高级人民法院", "首信云技术有限公司")
    if doc_id == "fault-process":
        assert has(text, "后 15 分钟内", "2 小时内", "重要系统 10 分钟内")
        assert has(text, "因非不可抗力造成超过30%以上信息系统中断")  # annex 3, from the contract
    if doc_id == "service-request-process":
        assert has(text, "30 个工作日内", "7 个自然日内", "北京市市级政务云服务统一工单")
    if doc_id == "operations-plan":
        assert has(text.replace(",", ""), "1800", "99.99%", "2026-05-31")


def test_a_renewal_with_other_limits_gives_other_text_without_code_changes(tmp_path: Path) -> None:
    other = load_contract(renewal(tmp_path))
    entry = load_map(other).entry("fault-process")
    text = text_of(build(DeliverableInputs(other, "lab", period_of("2026-03", other)), entry).data, tmp_path)
    assert has(text, "后 10 分钟内", "1 小时内") and not has(text, "后 15 分钟内")


def test_the_same_contract_gives_the_same_bytes() -> None:
    entry = load_map(CONTRACT).entry("problem-process")
    inputs = DeliverableInputs(CONTRACT, "lab", period_of("2026-03", CONTRACT))
    assert build(inputs, entry).data == build(inputs, entry).data
