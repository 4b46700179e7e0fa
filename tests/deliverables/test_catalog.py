"""The deliverables map against the real contract (article 16's 23 documents), and the package folder's
manifest and status (article 15: due before the term ends) as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from govcloud.contract.loader import load_contract
from govcloud.deliverables.catalog import DEFAULT_MAP, GENERATED, TEMPLATE, load_map
from govcloud.deliverables.inputs import period_of
from govcloud.deliverables.model import XLSX, DeliverableInputs, Document
from govcloud.deliverables.package import Built, manifest, read_manifest, sha256, write_package
from govcloud.deliverables.status import ALTERED, MISSING, PRESENT, SUPPLIED, standings
from govcloud.errors import GovcloudError, InputError
from govcloud.paths import DEFAULT_CONTRACT

ROOT = Path(__file__).resolve().parents[2]
GOVCLOUD = [sys.executable, "-m", "govcloud.cli"]
CONTRACT = load_contract(DEFAULT_CONTRACT)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GOVCLOUD, *args], cwd=ROOT, capture_output=True, text=True)


def test_the_map_holds_the_contracts_23_documents_in_its_order_with_their_phases() -> None:
    m = load_map(CONTRACT)
    names = [n for p in CONTRACT.acceptance for n in p.deliverables_zh]
    assert len(names) == 23 and [e.name_zh for e in m.entries] == names
    assert {e.phase for e in m.entries} == {"survey", "operation", "acceptance"}
    assert m.due == CONTRACT.term.end == date(2026, 5, 31)
    for e in m.entries:
        assert e.builder is not None if e.status == GENERATED else e.reason
        assert e.builder is None or e.status != "manual"
    assert {e.id for e in m.entries if e.status == TEMPLATE and e.builder} == {
        "operations-plan", "service-request-process", "fault-process", "problem-process"}


def _renewal(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_CONTRACT.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "renewal.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_a_contract_naming_another_document_refuses_the_map_naming_both_sides(tmp_path: Path) -> None:
    renewal = load_contract(_renewal(tmp_path, "北京市政务云平台运维方案", "北京市政务云平台运维方案（2027版）"))
    with pytest.raises(InputError) as err:
        load_map(renewal)
    text = str(err.value)
    assert str(DEFAULT_MAP) in text
    assert "北京市政务云平台运维方案（2027版） has none" in text  # the contract's new name, unmapped
    assert "got 北京市政务云平台运维方案" in text  # the map's old entry, no longer the contract's


@pytest.mark.parametrize(("edit", "says"), [
    (("id: inspection", "id: asset-inventory"), "a unique id"),
    (("status: manual\n    sources: []\n    reason: training slides", "status: finished\n    sources: []"), "status"),
    (("    builder: software\n", ""), "builder"),
])
def test_a_broken_map_is_one_clear_error(tmp_path: Path, edit: tuple[str, str], says: str) -> None:
    text = DEFAULT_MAP.read_text(encoding="utf-8")
    assert edit[0] in text
    path = tmp_path / "map.yaml"
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_map(CONTRACT, path)
    assert str(path) in str(err.value) and says in str(err.value)


@pytest.mark.parametrize(("text", "label", "start", "end"), [
    ("2026-03", "2026-03", date(2026, 3, 1), date(2026, 3, 31)),
    ("2026-Q2", "2026-Q2", date(2026, 4, 1), date(2026, 5, 31)),  # the term ends in May
    ("2025-Q2", "2025-Q2", date(2025, 6, 1), date(2025, 6, 30)),  # it began in June
    ("term", "term", date(2025, 6, 1), date(2026, 5, 31)),
])
def test_periods_are_clipped_to_the_term(text: str, label: str, start: date, end: date) -> None:
    p = period_of(text, CONTRACT)
    assert (p.label, p.start, p.end) == (label, start, end)
    assert p.generated.isoformat() == f"{end + timedelta(days=1)}T00:00:00+08:00"  # the day after, not now


@pytest.mark.parametrize("text", ["2027-01", "2025-05", "2026-13", "march"])
def test_a_period_outside_the_term_or_malformed_is_refused(text: str) -> None:
    with pytest.raises(GovcloudError):
        period_of(text, CONTRACT)


def _package(folder: Path, *docs: Document, stack: str = "lab") -> dict:
    m = load_map(CONTRACT)
    inputs = DeliverableInputs(CONTRACT, stack, period_of("2026-03", CONTRACT))
    built = [Built(e, next((d for d in docs if d.id == e.id), None), "" if any(d.id == e.id for d in docs)
                   else "test") for e in m.entries]
    doc = manifest(m, inputs, built, {})
    write_package(folder, doc, built)
    return doc


def test_status_present_supplied_altered_missing_and_its_exit_codes(tmp_path: Path) -> None:
    entry = load_map(CONTRACT).entry("asset-inventory")
    data = b"PK\x03\x04 a workbook's bytes"
    doc = _package(tmp_path, Document(entry.id, entry.filename(period_of("2026-03", CONTRACT)), data, XLSX))
    assert read_manifest(tmp_path) == doc and doc["documents"][0]["sha256"] == sha256(data)
    (tmp_path / "北京市政务云平台运维方案-签字版.pdf").write_bytes(b"%PDF-1.7 signed by a person")
    rows, _ = standings(load_map(CONTRACT), date(2026, 5, 20), folder=tmp_path)
    state = {r.entry.id: r.state for r in rows}
    assert state["asset-inventory"] == PRESENT and state["operations-plan"] == SUPPLIED
    assert state["training"] == MISSING and all(r.due_now for r in rows)

    r = run("deliverables", "status", "--stack", "lab", "--package", str(tmp_path), "--on", "2026-05-20",
            "--format", "json")
    assert r.returncode == 2, r.stderr
    out = json.loads(r.stdout)
    assert out["gaps"] == 21 and out["period"] == "2026-03"  # 23 less the present and the supplied
    early = run("deliverables", "status", "--stack", "lab", "--package", str(tmp_path), "--on", "2026-03-01")
    assert early.returncode == 0 and "nothing due is missing" in early.stdout  # 91 days before: not due yet

    (tmp_path / entry.filename(period_of("2026-03", CONTRACT))).write_bytes(data + b" edited")
    rows, _ = standings(load_map(CONTRACT), date(2026, 3, 1), folder=tmp_path)
    assert {r.entry.id: r.state for r in rows}["asset-inventory"] == ALTERED


def test_a_folder_of_another_stack_or_period_is_refused_and_left_alone(tmp_path: Path) -> None:
    doc = _package(tmp_path, stack="lab")
    before = (tmp_path / "manifest.json").read_bytes()
    with pytest.raises(InputError) as err:
        _package(tmp_path, stack="prod")
    assert "stack" in str(err.value) and "lab" in str(err.value)
    assert (tmp_path / "manifest.json").read_bytes() == before and doc["stack"] == "lab"


def test_a_manifest_naming_a_file_outside_its_folder_is_refused(tmp_path: Path) -> None:
    _package(tmp_path)
    m = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    m["documents"] = [{"id": "asset-inventory", "name_zh": "x", "phase": "survey", "status": "generated",
                       "file": "../../etc/passwd", "sha256": "0" * 64, "bytes": 1, "media_type": XLSX, "sources": []}]
    (tmp_path / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    r = run("deliverables", "status", "--stack", "lab", "--package", str(tmp_path))
    assert r.returncode == 1 and "documents[0].file" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_every_builder_the_map_names_is_a_module_with_build() -> None:
    from govcloud.deliverables.package import builder_of

    built = [e for e in load_map(CONTRACT).entries if e.builder]
    assert len(built) == 17
    for e in built:
        assert callable(builder_of(e)), e.builder


def test_a_document_name_that_is_a_path_is_refused_by_the_contract_reader(tmp_path: Path) -> None:
    """A document's file is named after it: a name with a path separator would write outside the package."""
    path = _renewal(tmp_path, "北京市政务云平台运维方案", "../../北京市政务云平台运维方案")
    with pytest.raises(InputError) as err:
        load_contract(path)
    assert "deliverables_zh" in str(err.value) and str(path) in str(err.value)
