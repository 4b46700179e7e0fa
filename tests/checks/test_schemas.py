"""The two validators of every schema (govcloud/schemas.py): the compiled one that answers valid or
not, and the full one that explains. They must agree, so the schemas keep to what both read the same
way; the compiled code is cached by digest and works without a writable cache."""

from __future__ import annotations

import copy
import json
import marshal
from pathlib import Path
from typing import Any, Iterator

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from govcloud import schemas
from govcloud.contract import DEFAULT_CONTRACT
from govcloud.errors import InputError
from govcloud.hosts.evidence import Evidence
from govcloud.paths import SCHEMAS_DIR
from govcloud.tenancy.config import read_stack_config
from govcloud.yamldoc import load_yaml

ROOT = Path(__file__).resolve().parents[2]
EVIDENCE = ROOT / "tests" / "runbook" / "data" / "harden-evidence.json"  # a recorded real harden run
ALL = sorted(p.name for p in SCHEMAS_DIR.glob("*.schema.json"))

# Keywords that draft-07 (the compiled validator) and 2020-12 (the full one) read alike. A keyword
# outside this set would be ignored by one of them, and a document could pass one and fail the other.
SHARED_KEYWORDS = {
    "$schema", "$id", "$ref", "$defs", "$comment", "title", "description", "examples", "default", "deprecated",
    "type", "enum", "const", "properties", "required", "additionalProperties", "patternProperties",
    "propertyNames", "minProperties", "maxProperties", "items", "minItems", "maxItems", "uniqueItems", "contains",
    "minLength", "maxLength", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
}
# Maps whose keys are names the document chooses, not keywords.
_NAME_MAPS = {"properties", "patternProperties", "$defs"}


def _keywords(node: Any, parent: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if parent not in _NAME_MAPS:
                yield k
            yield from _keywords(v, k if parent not in _NAME_MAPS else "")
    elif isinstance(node, list) and parent not in ("enum", "required", "examples", "type"):
        for v in node:
            yield from _keywords(v)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("GOVCLOUD_CACHE_DIR", str(tmp_path / "cache"))
    schemas._fast.cache_clear()
    yield tmp_path / "cache" / "validators"
    schemas._fast.cache_clear()


@pytest.mark.parametrize("name", ALL)
def test_schema_is_valid_and_uses_shared_keywords_only(name: str) -> None:
    schema = json.loads((SCHEMAS_DIR / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)  # the run no longer checks this on every start
    unknown = set(_keywords(schema)) - SHARED_KEYWORDS - {"$schema"}
    assert not unknown, f"{name}: keywords the two validators may read differently: {sorted(unknown)}"
    formats = {v for k, v in _walk_pairs(schema) if k == "format" and isinstance(v, str)}  # not a property "format"
    assert formats <= set(schemas._FORMATS), f"{name}: formats without a checker in schemas._FORMATS: {formats}"


def _walk_pairs(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield k, v
            yield from _walk_pairs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk_pairs(v)


def _stack_with_address(address: str) -> Any:
    """The prod stack's real config with one DNS server address changed."""
    config = copy.deepcopy(read_stack_config(ROOT, "prod").data)
    config["govcloud:dnsNameservers"] = [address]
    return config


def _both(name: str, data: Any) -> tuple[bool, bool]:
    full = Draft202012Validator(schemas.load_schema(name), format_checker=FormatChecker())
    return schemas.is_valid_fast(data, name), full.is_valid(data)


def test_compiled_and_full_validators_agree_on_real_and_broken_documents(cache_dir: Path) -> None:
    contract = load_yaml(DEFAULT_CONTRACT).data
    evidence = json.loads(EVIDENCE.read_text(encoding="utf-8"))
    assert _both("contract.schema.json", contract) == (True, True)
    assert _both("harden-evidence.schema.json", evidence) == (True, True)

    def broken(doc: Any, edit) -> Any:
        doc = copy.deepcopy(doc)
        edit(doc)
        return doc

    assert _both("stack-config.schema.json", _stack_with_address("10.0.0.1")) == (True, True)
    host = next(iter(evidence["hosts"]))
    cases = [
        ("contract.schema.json", broken(contract, lambda d: d["term"].__setitem__("start", "2025-02-30"))),  # no such day
        ("contract.schema.json", broken(contract, lambda d: d["term"].__setitem__("start", "2025-6-1"))),
        ("stack-config.schema.json", _stack_with_address("10.0.0.256")),
        ("stack-config.schema.json", _stack_with_address("010.0.0.1")),
        ("harden-evidence.schema.json", broken(evidence, lambda d: d.__setitem__("version", 1))),
        ("harden-evidence.schema.json", broken(evidence, lambda d: d["hosts"][host]["controls"]["8.1.4.1a"]
                                                .__setitem__("result", "passed"))),
        ("harden-evidence.schema.json", broken(evidence, lambda d: d["hosts"][host]["controls"]["8.1.4.1a"]
                                                .__setitem__("reason", ""))),
        ("harden-evidence.schema.json", broken(evidence, lambda d: d["hosts"][host]["controls"]["8.1.4.1a"]
                                                ["tasks"].__setitem__("changed", True))),
        ("harden-evidence.schema.json", broken(evidence, lambda d: d["hosts"][host].__setitem__("facts", []))),
    ]
    for name, doc in cases:
        assert _both(name, doc) == (False, False), name


def test_compiled_validator_never_changes_the_document(cache_dir: Path) -> None:
    evidence = json.loads(EVIDENCE.read_text(encoding="utf-8"))
    before = copy.deepcopy(evidence)
    assert schemas.is_valid_fast(evidence, "harden-evidence.schema.json")
    assert evidence == before


def test_generated_validator_is_cached_by_digest_and_reused(cache_dir: Path) -> None:
    assert schemas.is_valid_fast({"kind": "govcloud/harden-evidence"}, "harden-evidence.schema.json") is False
    files = list(cache_dir.glob("harden_evidence-*.bytecode"))
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    schemas._fast.cache_clear()  # as a new process would
    evidence = json.loads(EVIDENCE.read_text(encoding="utf-8"))
    assert schemas.is_valid_fast(evidence, "harden-evidence.schema.json") is True
    assert files[0].stat().st_mtime_ns == stamp, "a cached validator was generated again"
    for damage in (b"not bytecode", b"", marshal.dumps(42)):  # a damaged entry is replaced, not trusted
        files[0].write_bytes(damage)
        schemas._fast.cache_clear()
        assert schemas.is_valid_fast(evidence, "harden-evidence.schema.json") is True
        assert schemas.is_valid_fast({"kind": "x"}, "harden-evidence.schema.json") is False
        assert files[0].read_bytes() != damage


def test_no_writable_cache_still_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory would be")
    monkeypatch.setenv("GOVCLOUD_CACHE_DIR", str(blocker))
    schemas._fast.cache_clear()
    try:
        evidence = json.loads(EVIDENCE.read_text(encoding="utf-8"))
        assert schemas.is_valid_fast(evidence, "harden-evidence.schema.json") is True
        assert schemas.is_valid_fast({}, "harden-evidence.schema.json") is False
    finally:
        schemas._fast.cache_clear()


def test_a_schema_the_compiler_cannot_read_falls_back_to_the_full_validator(cache_dir: Path) -> None:
    # fastjsonschema 2.22 turns the `$` inside runbook.schema.json's character class into `\Z`
    assert schemas._fast("runbook.schema.json") is None
    assert schemas.is_valid_fast({}, "runbook.schema.json") is False  # "ask the full validator"


def test_bad_evidence_is_explained_by_the_full_validator(tmp_path: Path, cache_dir: Path) -> None:
    doc = json.loads(EVIDENCE.read_text(encoding="utf-8"))
    host = next(iter(doc["hosts"]))
    doc["hosts"][host]["controls"]["8.1.4.1a"]["tasks"]["changed"] = -1
    doc["hosts"][host]["addon_state"]["antivirus"]["active"] = "yes"
    bad = tmp_path / "evidence.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError) as err:
        Evidence.load(bad)
    text = str(err.value)
    assert f"{bad}: hosts.{host}.controls.8.1.4.1a.tasks.changed: expected a number >= 0, got -1" in text
    assert f"{bad}: hosts.{host}.addon_state.antivirus.active: expected true or false or nothing (null), got 'yes'" in text
