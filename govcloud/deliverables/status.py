"""Where each of article 16's documents stands (``govcloud deliverables status``): due before the term ends
(article 15), and, for a package folder, whether it is there and unaltered.

Per document: ``present`` (in the manifest, its SHA-256 verified), ``supplied`` (not generated, but a file in the
folder whose name starts with the document's name: a person's), ``altered`` (its digest no longer matches),
``missing``. Something due (within ``window_days`` of the due date, or past it) and not present or supplied
makes the command exit 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .catalog import DeliverablesMap, MapEntry
from .package import MANIFEST, read_manifest, sha256

PRESENT, SUPPLIED, ALTERED, MISSING = "present", "supplied", "altered", "missing"


@dataclass(frozen=True)
class Standing:
    entry: MapEntry
    state: str
    file: str = ""
    due: date | None = None
    days_left: int = 0
    due_now: bool = False  # due within the window or past it

    @property
    def gap(self) -> bool:
        """Due and not there (missing or altered)."""
        return self.due_now and self.state in (MISSING, ALTERED)


def _supplied(folder: Path, entry: MapEntry, manifest_files: set[str]) -> str:
    for p in sorted(folder.iterdir()) if folder.is_dir() else ():
        if p.is_file() and p.name.startswith(entry.name_zh) and p.name not in manifest_files:
            return p.name
    return ""


def standings(dmap: DeliverablesMap, on: date, *, folder: Path | None = None,
              window_days: int = 30) -> tuple[list[Standing], dict[str, Any] | None]:
    """Every document's standing on ``on``; with ``folder``, what its package holds (and the manifest read)."""
    doc = read_manifest(folder) if folder is not None else None
    by_id = {d["id"]: d for d in (doc or {}).get("documents", [])}
    listed = {d["file"] for d in by_id.values()}
    days_left = (dmap.due - on).days
    out = []
    for e in dmap.entries:
        state, file = MISSING, ""
        d = by_id.get(e.id)
        if d is not None and folder is not None:
            path = folder / d["file"]
            file = d["file"]
            state = PRESENT if path.is_file() and sha256(path.read_bytes()) == d["sha256"] else ALTERED
        elif folder is not None and (file := _supplied(folder, e, listed | {MANIFEST})):
            state = SUPPLIED
        out.append(Standing(e, state, file, dmap.due, days_left, days_left <= window_days))
    return out, doc
