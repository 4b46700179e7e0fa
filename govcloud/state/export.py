"""``pulumi stack export`` files, deployment version 3, read strictly.

The shape follows Pulumi's published deployment and resource schemas; anything else —
another version, duplicate URNs, an unknown resource field — is an error naming the file,
the JSON path and what was expected. Secret values are replaced by ``[secret]`` on read.
A non-empty ``pending_operations`` (an interrupted ``pulumi up``) is kept for the checks:
such a state cannot be trusted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from govcloud.errors import InputError, Issue
from govcloud.jsondoc import json_issues, load_json
from govcloud.state.secrets import redact

SCHEMA = "pulumi-deployment-v3.schema.json"
SUPPORTED_VERSION = 3


@dataclass(frozen=True)
class Urn:
    """``urn:pulumi:STACK::PROJECT::QUALIFIED$TYPE::NAME``."""

    stack: str
    project: str
    qualified_type: str
    name: str

    @property
    def type(self) -> str:
        return self.qualified_type.rsplit("$", 1)[-1]

    @classmethod
    def parse(cls, urn: str) -> "Urn":
        if not urn.startswith("urn:pulumi:"):
            raise ValueError(urn)
        parts = urn[len("urn:pulumi:"):].split("::")
        if len(parts) < 4:
            raise ValueError(urn)
        return cls(parts[0], parts[1], parts[2], "::".join(parts[3:]))


@dataclass(frozen=True)
class StateResource:
    """One resource of a deployment, secrets redacted."""

    urn: str
    type: str
    custom: bool
    id: str | None
    parent: str | None
    provider: str | None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    index: int = 0  # position in deployment.resources
    name: str = ""  # the logical name, from the URN

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", Urn.parse(self.urn).name)

    def prop(self, key: str) -> Any:
        """A property as deployed: the provider's output, else the input."""
        if key in self.outputs:
            return self.outputs[key]
        return self.inputs.get(key)


@dataclass(frozen=True)
class PendingOperation:
    type: str
    urn: str
    resource_type: str


@dataclass(frozen=True)
class Deployment:
    source: Path
    stack: str
    project: str
    engine_version: str
    time: str
    resources: tuple[StateResource, ...]
    pending_operations: tuple[PendingOperation, ...]

    def by_urn(self) -> dict[str, StateResource]:
        return {r.urn: r for r in self.resources}

    def of_type(self, type_token: str) -> tuple[StateResource, ...]:
        return tuple(r for r in self.resources if r.type == type_token)


def _resource(raw: Mapping[str, Any], index: int, name: str) -> StateResource:
    return StateResource(
        urn=raw["urn"], type=raw["type"], custom=bool(raw.get("custom", False)), id=raw.get("id"),
        parent=raw.get("parent"), provider=raw.get("provider"), inputs=redact(raw.get("inputs") or {}),
        outputs=redact(raw.get("outputs") or {}), index=index, name=name,
    )


def read_export(file: str | Path) -> Deployment:
    """Read and check a ``pulumi stack export`` file (version 3 only)."""
    path = Path(file)
    return parse_export(load_json(path), path)


def parse_export(data: Any, path: Path) -> Deployment:
    """Check already-parsed export data (``path`` names it in errors)."""
    if not isinstance(data, dict):
        raise InputError.one(path, "", f"expected a JSON object with 'version' and 'deployment', got {type(data).__name__}")
    version = data.get("version")
    if version != SUPPORTED_VERSION:
        raise InputError.one(path, "version", f"expected deployment version {SUPPORTED_VERSION} "
                                              f"(`pulumi stack export`), got {version!r}")
    issues = json_issues(path, data, SCHEMA)
    if issues:
        raise InputError(issues[:20])
    dep = data["deployment"]
    raws = dep.get("resources") or []
    seen: dict[str, int] = {}
    problems: list[Issue] = []
    urns: list[Urn] = []
    for i, raw in enumerate(raws):
        urn = raw["urn"]
        if urn in seen:
            problems.append(Issue(str(path), f"deployment.resources[{i}].urn",
                                  f"expected unique URNs; {urn} is also deployment.resources[{seen[urn]}]"))
        seen.setdefault(urn, i)
        parsed = Urn.parse(urn)
        urns.append(parsed)
        if parsed.type != raw["type"]:
            problems.append(Issue(str(path), f"deployment.resources[{i}].type",
                                  f"expected the type in the URN ({parsed.type}), got {raw['type']}"))
    if problems:
        raise InputError(problems[:20])
    resources = tuple(_resource(raw, i, u.name) for i, (raw, u) in enumerate(zip(raws, urns)))
    stack = project = ""
    if resources:
        first = Urn.parse(resources[0].urn)
        stack, project = first.stack, first.project
    pending = tuple(PendingOperation(op["type"], op["resource"]["urn"], op["resource"]["type"])
                    for op in dep.get("pending_operations") or [])
    manifest = dep["manifest"]
    return Deployment(path, stack, project, manifest.get("version", ""), manifest.get("time", ""), resources, pending)
