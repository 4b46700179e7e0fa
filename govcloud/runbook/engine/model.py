"""The runbook model: frozen values built by ``loader.load_runbook`` from a validated YAML file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, Mapping

CallKind = Literal["ansible", "govcloud", "builtin", "none"]
VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Call:
    """A typed action or check: ``kind`` and its spec as written (``${param}`` not yet replaced)."""

    kind: CallKind
    spec: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def describe(self) -> str:
        """One line for --dry-run and status."""
        s = self.spec
        if self.kind == "builtin":
            return f"builtin {s['name']}"
        if self.kind == "govcloud":
            return "govcloud " + " ".join(s["args"])
        if self.kind == "ansible":
            return f"ansible-playbook {s['playbook']} -i {s['inventory']}" + (f" -l {s['limit']}" if s.get("limit") else "")
        return f"none ({s.get('reason', '')})"


@dataclass(frozen=True)
class Step:
    """One step: run its action only when the precondition holds; done only when verified."""

    id: str
    title: str
    clause: str
    precondition: Call
    action: Call
    verification: Call
    evidence: tuple[str, ...] = ()
    touches: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class Runbook:
    """A runbook file: its name, parameters and steps in execution order."""

    file: Path
    name: str
    title: str
    clause: str
    params: tuple[str, ...]
    steps: tuple[Step, ...]

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)


def render(value: Any, params: Mapping[str, str]) -> Any:
    """Replace ``${name}`` in every string of ``value`` (lists and mappings walked)."""
    if isinstance(value, str):
        return VAR_RE.sub(lambda m: str(params[m.group(1)]), value)
    if isinstance(value, Mapping):
        return {k: render(v, params) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [render(v, params) for v in value]
    return value
