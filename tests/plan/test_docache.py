"""Parsed documents kept between runs: a hit only while the document and the parser are unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from govcloud.tenancy.docache import cached


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GOVCLOUD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GOVCLOUD_NO_CACHE", raising=False)
    return tmp_path / "cache"


def test_hit_miss_and_invalidation(tmp_path: Path) -> None:
    doc, code = tmp_path / "doc.yaml", tmp_path / "parser.py"
    doc.write_text("a: 1\n", encoding="utf-8")
    code.write_text("v1", encoding="utf-8")
    calls: list[str] = []

    def build() -> dict[str, str]:
        calls.append(doc.read_text(encoding="utf-8"))
        return {"parsed": doc.read_text(encoding="utf-8")}

    assert cached("t", doc, build, code=[code]) == {"parsed": "a: 1\n"}
    assert cached("t", doc, build, code=[code]) == {"parsed": "a: 1\n"}
    assert len(calls) == 1  # the second call was a hit
    doc.write_text("a: 2\n", encoding="utf-8")
    assert cached("t", doc, build, code=[code]) == {"parsed": "a: 2\n"}
    code.write_text("v2", encoding="utf-8")
    cached("t", doc, build, code=[code])
    assert len(calls) == 3  # a changed parser is a miss too


def test_corrupt_entry_is_a_miss(tmp_path: Path, _cache_dir: Path) -> None:
    doc = tmp_path / "doc.yaml"
    doc.write_text("x", encoding="utf-8")
    cached("t", doc, lambda: 1, code=[])
    for entry in _cache_dir.iterdir():
        entry.write_bytes(b"not a pickle")
    assert cached("t", doc, lambda: 2, code=[]) == 2


def test_errors_are_not_cached(tmp_path: Path) -> None:
    doc = tmp_path / "doc.yaml"
    doc.write_text("x", encoding="utf-8")

    def fail() -> int:
        raise ValueError("bad document")

    with pytest.raises(ValueError):
        cached("t", doc, fail, code=[])
    assert cached("t", doc, lambda: 3, code=[]) == 3


def test_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCLOUD_NO_CACHE", "1")
    doc = tmp_path / "doc.yaml"
    doc.write_text("x", encoding="utf-8")
    cached("t", doc, lambda: 1, code=[])
    assert cached("t", doc, lambda: 2, code=[]) == 2
