"""The deliverables map (``deliverables/map.yaml``, ``schemas/deliverables-map.schema.json``) against the contract:
article 16's 23 documents by phase, each with how govcloud produces it, due before the term ends (article 15).

The contract owns the list: a map entry the contract does not name, or a contract document the map misses, is
an error naming the file and the entry, so an amendment or a renewal changes the set only through its contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from govcloud.contract.model import Contract
from govcloud.errors import InputError, Issue
from govcloud.paths import PROJECT_ROOT
from govcloud.schemas import load_checked
from govcloud.yamldoc import YamlDocument

from .model import Period

DEFAULT_MAP = PROJECT_ROOT / "deliverables" / "map.yaml"
SCHEMA = "deliverables-map.schema.json"
GENERATED, PARTIAL, TEMPLATE, MANUAL = "generated", "partial", "template", "manual"


@dataclass(frozen=True)
class MapEntry:
    id: str
    name_zh: str
    phase: str  # the contract's phase id (survey | operation | acceptance)
    phase_zh: str
    status: str
    sources: tuple[str, ...]
    builder: str | None = None
    format: str | None = None
    reason: str = ""
    optional: tuple[str, ...] = ()  # read when given

    def filename(self, period: Period, ext: str | None = None) -> str:
        """``北京市政务云平台资产信息统计表-2026-03.xlsx``."""
        return f"{self.name_zh}-{period.label}.{ext or self.format}"


@dataclass(frozen=True)
class DeliverablesMap:
    path: Path
    entries: tuple[MapEntry, ...]
    due: date  # article 15: before the term ends
    clause: str

    def entry(self, id: str) -> MapEntry:
        for e in self.entries:
            if e.id == id:
                return e
        raise KeyError(id)

    @property
    def generated(self) -> tuple[MapEntry, ...]:
        return tuple(e for e in self.entries if e.status == GENERATED)


def _against_contract(contract: Contract):  # type: ignore[no-untyped-def]
    """The semantic check: ids unique; every entry a document of the contract, once; every document mapped."""
    phases = {name: p for p in contract.acceptance for name in p.deliverables_zh}

    def check(doc: YamlDocument) -> list[Issue]:
        issues, seen_ids, seen_names = [], set(), set()
        for i, e in enumerate(doc.data["deliverables"]):
            at = ("deliverables", i)
            if e["id"] in seen_ids:
                issues.append(Issue(str(doc.file), f"deliverables[{i}].id", f"a unique id, got {e['id']!r} again",
                                    doc.line_of(at)))
            if e["name_zh"] in seen_names:
                issues.append(Issue(str(doc.file), f"deliverables[{i}].name_zh",
                                    f"each document once, got {e['name_zh']} again", doc.line_of(at)))
            if e["name_zh"] not in phases:
                issues.append(Issue(str(doc.file), f"deliverables[{i}].name_zh",
                                    f"a document of contract {contract.number}'s acceptance section (article 16), "
                                    f"got {e['name_zh']}", doc.line_of(at)))
            seen_ids.add(e["id"])
            seen_names.add(e["name_zh"])
        for name in phases:
            if name not in seen_names:
                issues.append(Issue(str(doc.file), "deliverables",
                                    f"an entry for every document of contract {contract.number} (article 16): "
                                    f"{name} has none", None))
        return issues
    return check


def load_map(contract: Contract, path: Path = DEFAULT_MAP) -> DeliverablesMap:
    """The map checked against its schema and against ``contract``'s acceptance section, in the contract's order."""
    path = Path(path)
    if not path.exists():
        raise InputError.one(path, "", "deliverables map not found")
    doc = load_checked(path, SCHEMA, semantic=_against_contract(contract))
    by_name = {e["name_zh"]: e for e in doc.data["deliverables"]}
    entries = []
    for phase in contract.acceptance:
        for name in phase.deliverables_zh:
            e = by_name[name]
            entries.append(MapEntry(e["id"], name, phase.id, phase.name_zh, e["status"], tuple(e["sources"]),
                                    e.get("builder"), e.get("format"), e.get("reason", ""),
                                    tuple(e.get("optional", ()))))
    return DeliverablesMap(path, tuple(entries), contract.term.end, "article-15")
