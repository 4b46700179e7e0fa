"""Proposed changes priced by ``govcloud diff --format json`` (``schemas/diff.schema.json``), read for the change
documents of article 16: what each would change, its monthly and term cost effect in yuan to the fen as diff
computed it (never priced again here), and whether it stays within the contract or needs a supplementary agreement
(articles 7, 77, 79).

A preview's date is its ``on``: the day whose contract priced it. ``--previews`` takes files or folders (a
folder's ``*.json``, not its subfolders), so a pipeline that keeps one diff output per merge request hands over
the folder and a person a file. A preview of another contract or stack is refused naming the file and the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from govcloud.contract.money import fmt_yuan
from govcloud.errors import InputError
from govcloud.jsondoc import json_issues, load_json

SCHEMA = "diff.schema.json"
FLAG = "--previews FILE|DIR"

NEEDS_AMENDMENT_ZH = "超出合同数量，须先签订补充协议（第7、77、79条）"
STILL_OVER_ZH = "仍超出合同数量（变更前已超出），须签订补充协议（第7、77、79条）"
UNDER_ZH = "低于合同约定的最低数量（第2条）"
WITHIN_ZH = "在合同范围内"
STATUS_ZH = {"ok": "符合合同", "under": "低于合同", "over": "超出合同"}  # the ledger's judgement of an item


class _CostEffect:
    """The monthly and term cost effect of what has ``monthly_before/after`` and ``term_before/after`` (yuan)."""

    monthly_before: Decimal
    monthly_after: Decimal
    term_before: Decimal
    term_after: Decimal

    @property
    def monthly_delta(self) -> Decimal:
        return self.monthly_after - self.monthly_before

    @property
    def term_delta(self) -> Decimal:
        return self.term_after - self.term_before


@dataclass(frozen=True)
class PreviewItem(_CostEffect):
    """One line item of a preview: quantity and cost before and after, as diff priced them."""

    id: str
    name_zh: str
    unit: str
    contracted: Decimal
    before: Decimal
    after: Decimal
    monthly_before: Decimal
    monthly_after: Decimal
    term_before: Decimal
    term_after: Decimal
    status_before: str  # ok | under | over (the ledger's judgement)
    status_after: str
    changed: bool  # the quantity provided changes
    leaves_contract: bool  # touched and left under or over the contract (diff exits 2)

    @property
    def status_zh(self) -> str:
        """The item after the change against the contract, in Chinese (``超出合同``)."""
        return STATUS_ZH.get(self.status_after, self.status_after)


@dataclass(frozen=True)
class DiffPreview(_CostEffect):
    """One ``govcloud diff --format json`` output."""

    path: Path
    source: str  # the preview diff read (`pulumi preview --json`, or a state export for `plan --against`)
    on: date
    steps: dict[str, int]
    needs_amendment: bool
    monthly_before: Decimal
    monthly_after: Decimal
    term_before: Decimal
    term_after: Decimal
    items: tuple[PreviewItem, ...]

    @property
    def touched(self) -> tuple[PreviewItem, ...]:
        """The items whose quantity changes or that the change leaves outside the contract."""
        return tuple(i for i in self.items if i.changed or i.leaves_contract)

    @property
    def leaves_contract(self) -> bool:
        """diff's exit code 2: a touched item is left under or over the contract."""
        return any(i.leaves_contract for i in self.items)

    @property
    def verdict_zh(self) -> str:
        """diff's verdict in words: over (a supplementary agreement first), under, or within the contract."""
        left = [i.status_after for i in self.items if i.leaves_contract]
        if self.needs_amendment:
            return NEEDS_AMENDMENT_ZH
        if "over" in left:
            return STILL_OVER_ZH
        if "under" in left:
            return UNDER_ZH
        return WITHIN_ZH

    @property
    def steps_zh(self) -> str:
        """``update 1、create 2`` (the steps other than ``same``), or 无资源变化."""
        return "、".join(f"{op} {n}" for op, n in sorted(self.steps.items()) if op != "same" and n) or "无资源变化"


@dataclass(frozen=True)
class Previews:
    """Every preview given (sorted by date, then file name); ``dated`` those a document of a period lists."""

    given: tuple[DiffPreview, ...]

    def dated(self, first: date, last: date) -> list[DiffPreview]:
        """The previews dated ``first``..``last`` (both included)."""
        return [p for p in self.given if first <= p.on <= last]


def signed_yuan(amount: Decimal) -> str:
    """A cost effect as the documents print it: ``+2,800.00``, ``-100.00``, ``0.00`` (yuan, to the fen)."""
    return ("+" if amount > 0 else "-" if amount < 0 else "") + fmt_yuan(abs(amount))


def preview_files(paths: Iterable[Path]) -> list[Path]:
    """Each path a file, or a folder's ``*.json`` (sorted); each file once. An empty folder is refused."""
    out: dict[Path, Path] = {}
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.glob("*.json") if f.is_file())
            if not found:
                raise InputError.one(p, "", f"expected `govcloud diff --format json` outputs (*.json) in the "
                                            f"folder given to {FLAG}, found none")
            for f in found:
                out.setdefault(f.resolve(), f)
        else:
            out.setdefault(p.resolve(), p)
    return list(out.values())


def _d(text: str) -> Decimal:
    return Decimal(text)


def _item(i: dict[str, Any]) -> PreviewItem:
    return PreviewItem(i["id"], i["name_zh"], i["unit"], _d(i["contracted"]), _d(i["before"]), _d(i["after"]),
                       _d(i["monthly_before"]), _d(i["monthly_after"]), _d(i["term_before"]), _d(i["term_after"]),
                       i["status_before"], i["status_after"], i["changed"], i["leaves_contract"])


def load_preview(path: Path, contract_number: str, stack: str) -> DiffPreview:
    """One diff output, schema-checked; another contract's or stack's is refused naming the field."""
    doc = load_json(path)
    issues = json_issues(path, doc, SCHEMA)
    if issues:
        raise InputError(issues)
    if doc["contract"] != contract_number:
        raise InputError.one(path, "contract", f"a `govcloud diff` of contract {contract_number}, "
                                               f"got {doc['contract']}'s")
    if doc["stack"] != stack:
        raise InputError.one(path, "stack", f"a `govcloud diff` of stack {stack} (run it with --stack {stack}), "
                                            f"got stack {doc['stack']}'s")
    try:
        on = date.fromisoformat(doc["on"])
    except ValueError:
        raise InputError.one(path, "on", f"a calendar date (YYYY-MM-DD), got {doc['on']!r}") from None
    return DiffPreview(path, doc["source"], on, dict(doc["steps"]), doc["needs_amendment"],
                       _d(doc["monthly_before"]), _d(doc["monthly_after"]), _d(doc["term_before"]),
                       _d(doc["term_after"]), tuple(_item(i) for i in doc["items"]))


def load_previews(paths: Sequence[Path], contract_number: str, stack: str) -> Previews:
    """The previews in ``paths`` (files or folders), by date then file name."""
    loaded = [load_preview(f, contract_number, stack) for f in preview_files(paths)]
    return Previews(tuple(sorted(loaded, key=lambda p: (p.on, p.path.name))))
