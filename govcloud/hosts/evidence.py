"""The harden evidence document: validate, write, load, and answer the host checks' questions.

`Evidence` implements the `HostEvidence` protocol of govcloud.checks.hosts
(has_host, addon_state, failed_controls), so `govcloud check --evidence` can use it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator

from govcloud.errors import InputError, Issue
from govcloud.schemas import check_output, load_schema

from .addons import AddonState

SCHEMA = "harden-evidence.schema.json"


def write_evidence(doc: dict, path: Path) -> Path:
    """Validate against schemas/harden-evidence.schema.json, then write (atomically)."""
    check_output(doc, SCHEMA)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def _path(parts: list) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


@dataclass(frozen=True)
class Evidence:
    """A loaded, schema-valid evidence document."""

    path: Path
    doc: dict

    @classmethod
    def load(cls, path: Path) -> "Evidence":
        if not path.exists():
            raise InputError.one(path, "", "an evidence file written by `govcloud harden` (not found)")
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise InputError.one(path, "", f"JSON ({exc})") from None
        errors = sorted(Draft202012Validator(load_schema(SCHEMA)).iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errors:
            raise InputError([Issue(str(path), _path(list(e.absolute_path)), f"{e.message} (schemas/{SCHEMA})")
                              for e in errors[:20]])
        return cls(path, doc)

    @property
    def hosts(self) -> dict[str, dict]:
        return self.doc["hosts"]

    @property
    def mode(self) -> str:
        return self.doc["run"]["mode"]

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
        return [(cid, c["line_item"], c["reason"]) for cid, c in h.get("controls", {}).items() if c["result"] == "fail"]


def load_evidence(path: Path) -> Evidence:
    return Evidence.load(path)
