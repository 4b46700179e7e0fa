"""The ignore file: accepted findings, each with a reason and an expiry date.

Like driftctl's ignore file, but an entry says why and until when; after its expiry it
suppresses nothing and is reported itself (``ignore-expired``).

How an entry matches a root-cause finding: every field the entry gives must match the finding
itself, the cause — ``kind`` its kind, ``item`` its line item (the one it bears on first, not any
effect's), ``subject`` (shell-style wildcards) its readable subject, its URN, ``URN#attribute`` or its
host. A matched finding is ignored whole, with all its effects; an effect is never matched alone,
so accepting a lowered quantity means accepting its cause (``kind: drift``, the quota's subject),
and an entry for ``kind: under`` matches an item that is under with no cause in the deployed state
(e.g. a program that declares less than the contract).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterator

from govcloud.checks.findings import Finding
from govcloud.checks.registry import check
from govcloud.schemas import load_checked

SCHEMA = "check-ignore.schema.json"


@dataclass(frozen=True)
class IgnoreEntry:
    index: int
    line: int | None
    kind: str | None
    item: str | None
    subject: str | None
    reason: str
    expires: date

    def matches(self, f: Finding) -> bool:
        if self.kind is not None and self.kind != f.kind:
            return False
        if self.item is not None and self.item != f.item:
            return False
        if self.subject is None:
            return True
        names = (f.subject, f.urn, f"{f.urn}#{f.path}" if f.path else "", f.host)
        return any(n and fnmatch.fnmatchcase(n, self.subject) for n in names)


@dataclass(frozen=True)
class IgnoreFile:
    source: Path
    entries: tuple[IgnoreEntry, ...]


def load_ignore(file: str | Path) -> IgnoreFile:
    doc = load_checked(file, SCHEMA)
    entries = tuple(
        IgnoreEntry(i, doc.line_of(("ignore", i)), e.get("kind"), e.get("item"), e.get("subject"), e["reason"],
                    date.fromisoformat(e["expires"]))
        for i, e in enumerate(doc.data["ignore"])
    )
    return IgnoreFile(doc.file, entries)


@dataclass(frozen=True)
class Ignored:
    finding: Finding
    entry: IgnoreEntry


@check("ignore.expired", kind="ignore-expired", severity="low", clause="article-77", stage="ignore",
       title="an ignore entry is past its expiry date", applies_to=("ignore file",),
       remediation="fix the finding, or renew the entry with a new reason and expiry")
def expired(ignore: IgnoreFile, on: date) -> Iterator[Finding]:
    for e in ignore.entries:
        if e.expires < on:
            where = f"{ignore.source}:{e.line}" if e.line else str(ignore.source)
            yield expired.finding(e.item or "ignore", f"ignore[{e.index}]", f"expires on or after {on}",
                                  f"expired {e.expires}",
                                  f"{where}: ignore entry expired on {e.expires} (reason was: {e.reason}); "
                                  "fix the finding, or renew the entry with a new reason")


def apply_ignore(findings: list[Finding], ignore: IgnoreFile | None, on: date) -> tuple[list[Finding], list[Ignored]]:
    """Split findings into kept and ignored; expired entries become findings of their own."""
    if ignore is None:
        return findings, []
    live = [e for e in ignore.entries if e.expires >= on]
    kept: list[Finding] = []
    ignored: list[Ignored] = []
    for f in findings:
        entry = next((e for e in live if e.matches(f)), None)
        if entry is None:
            kept.append(f)
        else:
            ignored.append(Ignored(f, entry))
    kept.extend(expired.run(ignore, on))
    return kept, ignored
