"""``pulumi preview --json`` and ``pulumi refresh --preview-only --json`` digests.

A preview is a proposed change (the program against the state); a refresh preview is
drift (the cloud against the state). Secrets are redacted on read (the CLI already writes
them as ``[secret]``; a signature object is redacted too).

``steps`` holds one logical step per resource, as ``pulumi preview --json`` writes by default.
With ``--show-replacement-steps`` the CLI also writes the ``create-replacement`` and
``delete-replaced`` steps of each ``replace``: those are kept apart in ``replacement_steps``,
so a replaced resource is counted once, by its ``replace`` step.

Given the expected ``StackIdentity``, a preview of another stack or project is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from govcloud.errors import InputError
from govcloud.jsondoc import json_issues, load_json
from govcloud.state.export import StateResource, Urn
from govcloud.state.identity import StackIdentity, require_identity
from govcloud.state.secrets import redact

SCHEMA = "pulumi-preview.schema.json"
REPLACEMENT_PARTS = frozenset({"create-replacement", "delete-replaced"})  # shown with --show-replacement-steps


@dataclass(frozen=True)
class Step:
    op: str
    urn: str
    old: StateResource | None
    new: StateResource | None
    diff_reasons: tuple[str, ...] = ()
    detailed_diff: Mapping[str, Any] = field(default_factory=dict)
    replace_reasons: tuple[str, ...] = ()

    @property
    def type(self) -> str:
        return Urn.parse(self.urn).type


@dataclass(frozen=True)
class Preview:
    source: Path
    steps: tuple[Step, ...]
    change_summary: Mapping[str, int]
    replacement_steps: tuple[Step, ...] = ()
    diagnostics: tuple[Mapping[str, Any], ...] = ()

    @property
    def changes(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.op not in ("same", "read"))

    @property
    def unlisted_sames(self) -> int:
        """Unchanged resources ``changeSummary`` counts but ``steps`` does not list: a preview written
        without ``--show-sames`` lists only the root stack of them (a refresh lists every resource)."""
        listed = sum(1 for s in self.steps if s.op in ("same", "refresh"))
        return max(0, int(self.change_summary.get("same", 0)) - listed)


def _state(raw: Mapping[str, Any] | None) -> StateResource | None:
    if raw is None:
        return None
    return StateResource(urn=raw["urn"], type=raw["type"], custom=bool(raw.get("custom", False)),
                         id=raw.get("id"), parent=raw.get("parent"), provider=raw.get("provider"),
                         inputs=redact(raw.get("inputs") or {}), outputs=redact(raw.get("outputs") or {}),
                         external=bool(raw.get("external")), init_errors=tuple(raw.get("initErrors") or ()))


def _step(s: Mapping[str, Any]) -> Step:
    return Step(op=s["op"], urn=s["urn"], old=_state(s.get("oldState")), new=_state(s.get("newState")),
                diff_reasons=tuple(s.get("diffReasons") or ()), detailed_diff=s.get("detailedDiff") or {},
                replace_reasons=tuple(s.get("replaceReasons") or ()))


def urn_fields(data: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every (JSON path, URN) of a resource of the previewed stack: each step's, and its states'."""
    for i, s in enumerate(data.get("steps") or ()):
        yield f"steps[{i}].urn", s["urn"]
        for key in ("oldState", "newState"):
            if s.get(key):
                yield f"steps[{i}].{key}.urn", s[key]["urn"]


def read_preview(file: str | Path, expected: StackIdentity | None = None) -> Preview:
    """Read and check a preview digest; with ``expected``, refuse one of another stack or project."""
    path = Path(file)
    data = load_json(path)
    if not isinstance(data, dict):
        raise InputError.one(path, "", f"expected a JSON object (a preview digest), got {type(data).__name__}")
    issues = json_issues(path, data, SCHEMA)
    if issues:
        raise InputError(issues[:20])
    if expected is not None:
        require_identity(path, urn_fields(data), expected)
    every = [_step(s) for s in data.get("steps") or []]
    replaced = {s.urn for s in every if s.op == "replace"}
    parts = tuple(s for s in every if s.op in REPLACEMENT_PARTS and s.urn in replaced)
    steps = tuple(s for s in every if not (s.op in REPLACEMENT_PARTS and s.urn in replaced))
    return Preview(path, steps, dict(data.get("changeSummary") or {}), parts,
                   tuple(data.get("diagnostics") or ()))
