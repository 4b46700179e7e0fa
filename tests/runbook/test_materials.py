"""Article 68's return-of-materials checklist: deadline, statuses, evidence digests, input errors, HTML."""

from __future__ import annotations

import hashlib
import json
import textwrap
from datetime import date
from pathlib import Path

import pytest

from govcloud.contract.loader import load_contract
from govcloud.errors import InputError
from govcloud.paths import DEFAULT_CONTRACT
from govcloud.runbook.steps.materials import checklist, to_json, write_checklist
from govcloud.runbook.steps.timeline import TimelineError
from govcloud.schemas import check_output

D = date.fromisoformat


@pytest.fixture(scope="module")
def contract():
    return load_contract(DEFAULT_CONTRACT)


def certificate(path: Path, cid: str) -> None:
    """A certificate as the erase step writes it, cut to the two fields the checklist reads (the real
    ones are written on booted hosts by the erase tests; their kind and id are what links them here)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"kind": "govcloud/erase-certificate", "version": 1, "certificate_id": cid}))


def setup(tmp_path: Path, items: str, notice: str = "2025-09-29") -> Path:
    (tmp_path / "receipts").mkdir()
    (tmp_path / "receipts" / "paper.pdf").write_bytes(b"%PDF signed receipt")
    (tmp_path / "receipts" / "export.tar").write_bytes(b"the returned archive")
    certificate(tmp_path / "erase" / "certificates" / "old-app-01-data.json", "CERT-old-app-01-data")
    f = tmp_path / "materials.yaml"
    f.write_text(textwrap.dedent(f"""\
        kind: govcloud/exit-materials
        version: 1
        contract: "2025095"
        system: court-case
        notice: {notice}
        items:
        """) + textwrap.indent(textwrap.dedent(items), "  "), encoding="utf-8")
    return f


ITEMS = """\
- id: design-docs
  description: 系统设计文档 (纸质, 2 册)
  holder: 乙方项目经理
  kind: paper
  disposition: returned
  done_on: 2025-10-09
  evidence: {file: receipts/paper.pdf}
- id: export
  description: 数据导出归档
  holder: 乙方运维
  kind: digital
  disposition: returned
  done_on: 2025-10-08
  evidence: {file: receipts/export.tar, sha256: SHA}
- id: data-volume
  description: old-app-01 data volume
  holder: 乙方运维
  kind: media
  disposition: destroyed
  done_on: 2025-10-09
  evidence: {certificate: erase/certificates/old-app-01-data.json}
- id: backup-tape
  description: backup tape <LTO-7> & label
  holder: 乙方机房
  kind: media
"""


def items_text(sha: str = "") -> str:
    return ITEMS.replace("SHA", sha or hashlib.sha256(b"the returned archive").hexdigest())


def test_deadline_moves_out_of_national_day_and_statuses(tmp_path, contract):
    f = setup(tmp_path, items_text())
    # notice 2025-09-29 + 5 natural days = 10-04 inside 国庆 (10-01..10-08) -> 10-09 (民法典 203)
    cl = checklist(f, contract=contract, as_of=D("2025-10-09"))
    assert cl.deadline.nominal == D("2025-10-04") and cl.deadline.date == D("2025-10-09")
    st = {i.id: i.status for i in cl.items}
    # returned on the (moved) last day is on time; the tape is open until the day ends
    assert st == {"design-docs": "done", "export": "done", "data-volume": "done", "backup-tape": "open"}
    assert not cl.complete
    ev = {i.id: i.evidence for i in cl.items}
    assert ev["design-docs"].sha256 == hashlib.sha256(b"%PDF signed receipt").hexdigest()
    assert ev["data-volume"].type == "certificate" and ev["data-volume"].certificate_id == "CERT-old-app-01-data"
    # the day after the deadline the tape is overdue
    later = checklist(f, contract=contract, as_of=D("2025-10-10"))
    doc = to_json(later)
    assert doc["overdue"] == ["backup-tape"] and doc["counts"]["overdue"] == 1 and doc["complete"] is False


def test_complete_when_every_item_done(tmp_path, contract):
    done_tape = items_text() + ("  disposition: destroyed\n  done_on: 2025-10-02\n"
                                "  evidence: {certificate: erase/certificates/old-app-01-data.json}\n")
    f = setup(tmp_path, done_tape)
    cl = checklist(f, contract=contract, as_of=D("2025-10-20"))
    assert cl.complete and {i.status for i in cl.items} == {"done"}


def test_late_and_bad_evidence(tmp_path, contract):
    text = items_text(sha="ab" * 32).replace("done_on: 2025-10-09\n  evidence: {file: receipts/paper.pdf}",
                                            "done_on: 2025-10-10\n  evidence: {file: receipts/paper.pdf}")
    f = setup(tmp_path, text)
    (tmp_path / "erase" / "certificates" / "old-app-01-data.json").unlink()
    cl = checklist(f, contract=contract, as_of=D("2025-10-20"))
    by = {i.id: i for i in cl.items}
    assert by["design-docs"].status == "late"
    assert by["export"].status == "bad-evidence" and "is not the recorded" in by["export"].problem
    assert by["data-volume"].status == "bad-evidence" and "not found" in by["data-volume"].problem
    assert by["data-volume"].evidence.sha256 is None
    check_output(to_json(cl), "exit-materials-checklist.schema.json")


def test_a_plain_file_is_not_a_certificate(tmp_path, contract):
    f = setup(tmp_path, items_text())
    (tmp_path / "erase" / "certificates" / "old-app-01-data.json").write_text('{"kind": "something-else"}')
    by = {i.id: i for i in checklist(f, contract=contract, as_of=D("2025-10-09")).items}
    assert by["data-volume"].status == "bad-evidence" and "not a certificate of sanitization" in by["data-volume"].problem


@pytest.mark.parametrize("mutate,field,expected", [
    (lambda t: t.replace("kind: paper", "kind: scroll"), "items[0].kind", "expected one of paper, digital, media"),
    (lambda t: t.replace("evidence: {certificate: erase/certificates/old-app-01-data.json}",
                         "evidence: {file: receipts/paper.pdf}"), "items[2].evidence",
     "expected a sanitization certificate"),
    (lambda t: t.replace("  done_on: 2025-10-08\n", ""), "items[1].done_on", "expected the date the item was returned"),
    (lambda t: t.replace("id: export", "id: design-docs"), "items[1].id", "expected a unique item id"),
    (lambda t: t.replace("done_on: 2025-10-08", "done_on: 2025-10-32"), "items[1].done_on", "expected a valid date"),
])
def test_bad_input_names_file_and_field(tmp_path, contract, mutate, field, expected):
    f = setup(tmp_path, mutate(items_text()))
    with pytest.raises(InputError) as exc:
        checklist(f, contract=contract, as_of=D("2025-10-20"))
    issues = [str(i) for i in exc.value.issues]
    assert any(str(f) in i and field in i and expected in i for i in issues), issues


def test_done_after_as_of_and_bad_notice(tmp_path, contract):
    f = setup(tmp_path, items_text())
    with pytest.raises(InputError, match=r"items\[0\]\.done_on: expected a date on or before 2025-10-05"):
        checklist(f, contract=contract, as_of=D("2025-10-05"))
    with pytest.raises(TimelineError, match="notice 2025-05-01: expected the court's written notice on or after"):
        checklist(f, contract=contract, as_of=D("2025-10-20"), notice=D("2025-05-01"))


def test_written_json_and_html(tmp_path, contract):
    f = setup(tmp_path, items_text())
    cl = checklist(f, contract=contract, as_of=D("2025-10-10"))
    jp, hp = write_checklist(cl, tmp_path / "out" / "checklist.json", tmp_path / "out" / "checklist.html")
    doc = json.loads(jp.read_text(encoding="utf-8"))
    check_output(doc, "exit-materials-checklist.schema.json")
    assert doc["deadline"] == "2025-10-09" and doc["clause"] == "article-68"
    page = hp.read_text(encoding="utf-8")
    assert "backup tape &lt;LTO-7&gt; &amp; label" in page and "<LTO-7>" not in page
    assert "overdue" in page and "2025-10-09" in page


def test_notice_in_the_file_is_named_when_wrong(tmp_path, contract):
    f = setup(tmp_path, items_text(), notice="2025-05-20")
    with pytest.raises(TimelineError, match=rf"{f}: notice 2025-05-20: expected the court's written notice on or after "
                                            r"the term start 2025-06-01"):
        checklist(f, contract=contract, as_of=D("2025-10-20"))
