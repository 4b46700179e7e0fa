"""The ignore file: accepted findings, each with a reason and an expiry date.

Like driftctl's ignore file, but an entry says why and until when; after its expiry it
suppresses nothing and is reported itself (``ignore-expired``).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from govcloud.checks.findings import Finding
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
        return ((self.kind is None or self.kind == f.kind) and (self.item is None or self.item == f.item)
                and (self.subject is None or fnmatch.fnmatchcase(f.subject, self.subject)))


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
    for e in ignore.entries:
        if e.expires < on:
            where = f"{ignore.source}:{e.line}" if e.line else str(ignore.source)
            kept.append(Finding("ignore-expired", e.item or "ignore", "article-77", f"ignore[{e.index}]",
                                f"expires on or after {on}", f"expired {e.expires}",
                                f"{where}: ignore entry expired on {e.expires} (reason was: {e.reason}); "
                                "fix the finding, or renew the entry with a new reason"))
    return kept, ignored
