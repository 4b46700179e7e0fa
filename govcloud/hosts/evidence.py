"""The harden evidence document: validate, write, load, and answer the host checks' questions.

`Evidence` implements the `HostEvidence` protocol of govcloud.checks.hosts
(has_host, addon_state, failed_controls), so `govcloud check --evidence` can use it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from govcloud.errors import InputError, Issue
from govcloud.jsondoc import json_issues, load_json
from govcloud.schemas import check_output
from govcloud.yamldoc import format_path

from .addons import AddonState

SCHEMA = "harden-evidence.schema.json"
VERSION = 2


def write_evidence(doc: dict, path: Path) -> Path:
    """Validate against schemas/harden-evidence.schema.json, then write (atomically)."""
    check_output(doc, SCHEMA)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


@dataclass(frozen=True)
class Evidence:
    """A loaded, schema-valid evidence document."""

    path: Path
    doc: dict

    @classmethod
    def load(cls, path: Path) -> "Evidence":
        """Read and schema-check an evidence file; errors name the file and the JSON path or position.

        Every host's controls must be controls of the file's own ``control_map.controls``, which says
        what each one is (line item, clause)."""
        doc = load_json(path)
        if isinstance(doc, dict) and doc.get("kind") == "govcloud/harden-evidence" and doc.get("version") != VERSION:
            raise InputError.one(path, "version", f"expected evidence version {VERSION}, got {doc.get('version')!r}: "
                                                  "re-run `govcloud harden` (add --check to change nothing) to write it")
        issues = json_issues(path, doc, SCHEMA)
        if not issues:
            issues = _unknown_controls(path, doc)
        if issues:
            raise InputError(issues[:20])
        return cls(path, doc)

    @property
    def hosts(self) -> dict[str, dict]:
        return self.doc["hosts"]

    @property
    def mode(self) -> str:
        return self.doc["run"]["mode"]

    @property
    def controls(self) -> dict[str, dict]:
        """What each control is (line item, clause, title, status, kernel-bound), as the run's control map said."""
        return self.doc["control_map"]["controls"]

    # --- govcloud.checks.hosts.HostEvidence
    def has_host(self, name: str) -> bool:
        return name in self.hosts

    def addon_state(self, host: str, addon: str) -> AddonState:
        h = self.hosts.get(host)
        if h is None:
            return AddonState(None, None, "host not in the evidence")
        st = h["addon_state"].get(addon)
        if st is None:
            return AddonState(None, None, f"{addon} not measured: the host's add-ons were {h['addons']}")
        return AddonState(st["installed"], st["active"], st["detail"])

    def failed_controls(self, host: str) -> list[tuple[str, str, str]]:
        h = self.hosts.get(host, {})
        info = self.controls
        return [(cid, info[cid]["line_item"], c["reason"]) for cid, c in h.get("controls", {}).items()
                if c["result"] == "fail"]


def _unknown_controls(path: Path, doc: dict) -> list[Issue]:
    """Host controls missing from ``control_map.controls`` (the schema cannot relate the two)."""
    known = doc["control_map"]["controls"].keys()
    issues = []
    for name, h in doc["hosts"].items():
        for cid in h["controls"].keys() - known:
            issues.append(Issue(str(path), format_path(("hosts", name, "controls", cid)),
                                f"expected a control listed in control_map.controls, got {cid!r}"))
    return issues


def load_evidence(path: Path) -> Evidence:
    return Evidence.load(path)
