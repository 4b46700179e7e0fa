"""The court's acceptance of an exit export (article 58: data handed back before anything is
erased; article 59: the switchover the provider assists).

The court writes ``acceptance.json`` (schemas/exit-acceptance.schema.json) after checking the
exported data: who accepted, when, and the SHA-256 of the export manifest's bytes. ``matches``
says whether that acceptance covers *this* run's manifest and system; the erase gate
(``erase.ready``) and the exit runbook's acceptance wait both rely on it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from govcloud.errors import InputError
from govcloud.jsondoc import json_issues, load_json
from govcloud.runbook.engine.registry import CheckResult

SCHEMA = "exit-acceptance.schema.json"
KIND = "govcloud/exit-acceptance"


@dataclass(frozen=True)
class AcceptedBy:
    name: str
    organisation: str
    title: str = ""


@dataclass(frozen=True)
class Acceptance:
    """One acceptance file, validated."""

    file: Path
    contract: str
    system: str
    manifest_sha256: str
    accepted_by: AcceptedBy
    accepted_at: datetime  # always with its UTC offset
    note: str = ""

    def describe(self) -> str:
        return (f"accepted by {self.accepted_by.name} ({self.accepted_by.organisation}) at "
                f"{self.accepted_at.isoformat()}")


def load_acceptance(path: str | Path) -> Acceptance:
    """Read and validate ``path``; an ``InputError`` names the file, the field and what was expected."""
    path = Path(path)
    data = load_json(path, max_bytes=1024 * 1024)
    issues = json_issues(path, data, SCHEMA)
    if issues:
        raise InputError(issues)
    try:
        at = datetime.fromisoformat(str(data["accepted_at"]).replace("Z", "+00:00"))
    except ValueError:
        raise InputError.one(path, "accepted_at", f"expected a real date-time, got {data['accepted_at']!r}") from None
    if at.tzinfo is None:  # the schema's pattern already demands an offset; kept for direct callers
        raise InputError.one(path, "accepted_at", "expected a date-time with its UTC offset")
    by = data["accepted_by"]
    return Acceptance(path, str(data["contract"]), str(data["system"]), str(data["manifest_sha256"]),
                      AcceptedBy(str(by["name"]), str(by["organisation"]), str(by.get("title", ""))), at,
                      str(data.get("note", "")))


def manifest_digest(manifest: str | Path) -> str:
    """SHA-256 of the manifest file's bytes (the digest the court accepts)."""
    h = hashlib.sha256()
    with open(manifest, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def matches(acc: Acceptance, manifest_path: str | Path, system: str, *, contract: str | None = None) -> CheckResult:
    """Ok only if ``acc`` names ``system`` (and ``contract`` when given) and carries the digest of
    ``manifest_path`` as it is on disk now."""
    manifest_path = Path(manifest_path)
    if not manifest_path.is_file():
        return CheckResult(False, f"export manifest {manifest_path} not found: nothing has been exported to accept")
    if acc.system != system:
        return CheckResult(False, f"{acc.file}: system: the acceptance is for {acc.system!r}, this run is {system!r}")
    if contract is not None and acc.contract != contract:
        return CheckResult(False, f"{acc.file}: contract: the acceptance is for {acc.contract!r}, expected {contract!r}")
    digest = manifest_digest(manifest_path)
    if acc.manifest_sha256 != digest:
        return CheckResult(False, f"{acc.file}: manifest_sha256: the acceptance carries {acc.manifest_sha256}, "
                                  f"but {manifest_path} has SHA-256 {digest}: the court accepted another export")
    return CheckResult(True, f"{acc.describe()}; manifest SHA-256 {digest} matches {manifest_path.name}")
