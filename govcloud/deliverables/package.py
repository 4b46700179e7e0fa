"""An acceptance package (articles 15-16): the generated documents of a period written into a folder with a
manifest (``schemas/deliverables-manifest.schema.json``): each file with its SHA-256, status, period and the
inputs it was made from, and each document not generated with why.

Builders are the map's ``builder`` modules of this package, imported by name (``assets`` →
``govcloud.deliverables.assets``), each ``build(inputs, entry) -> Document``. Nothing here reads the wall clock,
so the same inputs give the same files and the same manifest, byte for byte.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govcloud.errors import GovcloudError, InputError
from govcloud.jsondoc import json_issues, load_json
from govcloud.schemas import check_output

from .catalog import DeliverablesMap, MapEntry
from .model import DeliverableInputs, Document

MANIFEST = "manifest.json"
MANIFEST_SCHEMA = "deliverables-manifest.schema.json"
KIND = "govcloud/deliverables-package"

#: what each source of the map is called on the command line, for "needs --evidence FILE"
SOURCE_FLAGS = {"evidence": "--evidence FILE", "stack-export": "--state EXPORT.json",
                "stack-declared": "--declared PLAN_EXPORT.json",
                "sla-report": "--sla-report FILE", "sla-incidents": "--incidents FILE", "sla-changes": "--changes FILE",
                "prometheus": "--prometheus URL", "diff-previews": "--previews FILE|DIR",
                "runbook-journals": "--journals DIR", "vuln-scans": "--scans DIR"}


class MissingInput(GovcloudError):
    """A builder cannot run without an input that was not given."""


@dataclass(frozen=True)
class Built:
    entry: MapEntry
    document: Document | None
    reason: str = ""  # why it was not generated


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def missing_sources(entry: MapEntry, inputs: DeliverableInputs) -> list[str]:
    """The map's sources of ``entry`` that ``inputs`` lacks (those a builder cannot do without)."""
    given = {"evidence": inputs.evidence, "stack-export": inputs.export, "stack-declared": inputs.declared,
             "sla-report": inputs.sla_report, "sla-incidents": inputs.incidents, "sla-changes": inputs.changes,
             "prometheus": inputs.prometheus, "diff-previews": inputs.previews, "runbook-journals": inputs.runs,
             "vuln-scans": inputs.scans}
    return [s for s in entry.sources if s in given and given[s] is None]


def builder_of(entry: MapEntry) -> Callable[[DeliverableInputs, MapEntry], Document]:
    """The ``build`` function of the entry's builder module (a name the map's schema allows)."""
    module = importlib.import_module(f"{__package__}.{entry.builder}")
    return module.build  # type: ignore[no-any-return]


def build_all(dmap: DeliverablesMap, inputs: DeliverableInputs, *, only: Iterable[str] = (),
              phases: Iterable[str] = (), progress: Callable[[str], None] | None = None) -> list[Built]:
    """Every entry of the map (narrowed by ``only`` ids and ``phases``): those with a builder (generated and
    template documents) built when their inputs were given; the rest listed with their reason."""
    only, phases = set(only), set(phases)
    unknown = only - {e.id for e in dmap.entries}
    if unknown:
        raise GovcloudError(f"--only: no deliverable {', '.join(sorted(unknown))} in {dmap.path} "
                            f"(ids: {', '.join(e.id for e in dmap.entries)})")
    out = []
    for e in dmap.entries:
        if (only and e.id not in only) or (phases and e.phase not in phases):
            continue
        if e.builder is None:
            out.append(Built(e, None, f"{e.status}: {e.reason}"))
            continue
        lacking = missing_sources(e, inputs)
        if lacking:
            out.append(Built(e, None, "not given: " + ", ".join(SOURCE_FLAGS.get(s, s) for s in lacking)))
            continue
        if progress:
            progress(f"{e.id}: {e.name_zh}")
        out.append(Built(e, builder_of(e)(inputs, e)))
    return out


def manifest(dmap: DeliverablesMap, inputs: DeliverableInputs, built: list[Built],
             sources: dict[str, Path]) -> dict[str, Any]:
    """The manifest document: the package's identity, its inputs' digests, each file and each gap. A folder input
    (``--scans DIR``) has the digest its reader took of the files it read (each name and SHA-256, by name)."""
    p = inputs.period
    folders = {inputs.scans.folder: inputs.scans.digest} if inputs.scans is not None else {}
    return {
        "kind": KIND, "version": 1, "contract": inputs.contract.number, "stack": inputs.stack,
        "period": {"label": p.label, "start": p.start.isoformat(), "end": p.end.isoformat()},
        "generated": inputs.generated.isoformat(), "due": dmap.due.isoformat(), "due_clause": dmap.clause,
        "inputs": [{"source": k, "file": v.name, "sha256": folders[v] if v in folders else sha256(v.read_bytes())}
                   for k, v in sorted(sources.items())],
        "documents": [{"id": b.entry.id, "name_zh": b.entry.name_zh, "phase": b.entry.phase,
                       "status": b.entry.status, "file": b.document.filename, "sha256": sha256(b.document.data),
                       "bytes": len(b.document.data), "media_type": b.document.media_type,
                       "sources": list(b.entry.sources)} for b in built if b.document is not None],
        "not_generated": [{"id": b.entry.id, "name_zh": b.entry.name_zh, "phase": b.entry.phase,
                           "status": b.entry.status, "reason": b.reason} for b in built if b.document is None],
    }


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """A package folder's manifest, schema-checked; None when the folder has none."""
    path = folder / MANIFEST
    if not path.exists():
        return None
    doc = load_json(path)
    issues = json_issues(path, doc, MANIFEST_SCHEMA)
    if issues:
        raise InputError(issues)
    return doc  # type: ignore[no-any-return]


def write_package(folder: Path, doc: dict[str, Any], built: list[Built]) -> list[Path]:
    """The documents and the manifest into ``folder``. A folder holding another contract's, stack's or period's
    package is refused before anything is written."""
    old = read_manifest(folder) if folder.is_dir() else None
    if old is not None:
        for key in ("contract", "stack"):
            if old[key] != doc[key]:
                raise InputError.one(folder / MANIFEST, key, f"a package of {key} {doc[key]} (or an empty folder), "
                                                             f"got {old[key]}'s")
        if old["period"]["label"] != doc["period"]["label"]:
            raise InputError.one(folder / MANIFEST, "period.label", f"a package of {doc['period']['label']} "
                                                                    f"(or an empty folder), got {old['period']['label']}'s")
    check_output(doc, MANIFEST_SCHEMA)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for b in built:
        if b.document is not None:
            path = folder / b.document.filename
            _write(path, b.document.data)
            written.append(path)
    _write(folder / MANIFEST, (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    return [*written, folder / MANIFEST]
