"""``pulumi preview --json`` and ``pulumi refresh --preview-only --json`` digests.

A preview is a proposed change (the program against the state); a refresh preview is
drift (the cloud against the state). Secrets are redacted on read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from govcloud.errors import InputError
from govcloud.jsondoc import json_issues, load_json
from govcloud.state.export import StateResource, Urn
from govcloud.state.secrets import redact

SCHEMA = "pulumi-preview.schema.json"


@dataclass(frozen=True)
class Step:
    op: str
    urn: str
    old: StateResource | None
    new: StateResource | None
    diff_reasons: tuple[str, ...] = ()
    detailed_diff: Mapping[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return Urn.parse(self.urn).type


@dataclass(frozen=True)
class Preview:
    source: Path
    steps: tuple[Step, ...]
    change_summary: Mapping[str, int]

    @property
    def changes(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.op not in ("same", "read"))


def _state(raw: Mapping[str, Any] | None) -> StateResource | None:
    if raw is None:
        return None
    return StateResource(urn=raw["urn"], type=raw["type"], custom=bool(raw.get("custom", False)),
                         id=raw.get("id"), parent=raw.get("parent"), provider=raw.get("provider"),
                         inputs=redact(raw.get("inputs") or {}), outputs=redact(raw.get("outputs") or {}))


def read_preview(file: str | Path) -> Preview:
    """Read and check a preview digest."""
    path = Path(file)
    data = load_json(path)
    if not isinstance(data, dict):
        raise InputError.one(path, "", f"expected a JSON object (a preview digest), got {type(data).__name__}")
    issues = json_issues(path, data, SCHEMA)
    if issues:
        raise InputError(issues[:20])
    steps = tuple(Step(op=s["op"], urn=s["urn"], old=_state(s.get("oldState")), new=_state(s.get("newState")),
                       diff_reasons=tuple(s.get("diffReasons") or ()), detailed_diff=s.get("detailedDiff") or {})
                  for s in data.get("steps") or [])
    return Preview(path, steps, dict(data.get("changeSummary") or {}))
