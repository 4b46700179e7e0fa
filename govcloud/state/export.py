"""``pulumi stack export`` files, deployment version 3, read strictly.

The shape follows Pulumi's published deployment and resource schemas; anything else —
another version, duplicate URNs, an unknown resource field — is an error naming the file,
the JSON path and what was expected. Secret values are replaced by ``[secret]`` on read.
A non-empty ``pending_operations`` (an interrupted ``pulumi up``) is kept for the checks:
such a state cannot be trusted.

Two kinds of resource the real CLI writes are not deployed as they stand and are kept apart
from ``resources``: an old copy marked ``delete: true`` (replaced, its deletion still pending;
it may share its URN with the live copy, as Pulumi's own integrity check allows) and one marked
``pendingReplacement`` (deleted for a delete-before-replace, not yet created again).

Given the expected ``StackIdentity``, an export whose URNs name another stack or project is
refused (``govcloud.state.identity``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from govcloud.errors import InputError, Issue
from govcloud.jsondoc import json_issues, load_json
from govcloud.state.identity import StackIdentity, require_identity
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
    external: bool = False  # read with `.get`: its lifecycle is not Pulumi's
    init_errors: tuple[str, ...] = ()  # created, but the provider reported it did not initialise

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
    pending_deletes: tuple[StateResource, ...] = ()  # `delete: true`: replaced, not yet deleted
    pending_replacements: tuple[StateResource, ...] = ()  # `pendingReplacement`: deleted, not yet recreated

    def by_urn(self) -> dict[str, StateResource]:
        return {r.urn: r for r in self.resources}

    def of_type(self, type_token: str) -> tuple[StateResource, ...]:
        return tuple(r for r in self.resources if r.type == type_token)


def _resource(raw: Mapping[str, Any], index: int, name: str) -> StateResource:
    return StateResource(
        urn=raw["urn"], type=raw["type"], custom=bool(raw.get("custom", False)), id=raw.get("id"),
        parent=raw.get("parent"), provider=raw.get("provider"), inputs=redact(raw.get("inputs") or {}),
        outputs=redact(raw.get("outputs") or {}), index=index, name=name, external=bool(raw.get("external")),
        init_errors=tuple(raw.get("initErrors") or ()),
    )


def read_export(file: str | Path, expected: StackIdentity | None = None) -> Deployment:
    """Read and check a ``pulumi stack export`` file (version 3 only); with ``expected``, refuse
    one whose URNs name another stack or project."""
    path = Path(file)
    return parse_export(load_json(path), path, expected)


def urn_fields(dep: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every (JSON path, URN) naming this stack's own resources: each resource's URN, parent and
    provider reference, and each pending operation's resource. Aliases are left out: they may
    name a stack or project the resource was moved from."""
    for i, raw in enumerate(dep.get("resources") or ()):
        yield f"deployment.resources[{i}].urn", raw["urn"]
        for key in ("parent", "provider"):
            if raw.get(key):
                yield f"deployment.resources[{i}].{key}", raw[key]
    for i, op in enumerate(dep.get("pending_operations") or ()):
        yield f"deployment.pending_operations[{i}].resource.urn", op["resource"]["urn"]


def parse_export(data: Any, path: Path, expected: StackIdentity | None = None) -> Deployment:
    """Check already-parsed export data (``path`` names it in errors); with ``expected``, refuse
    data whose URNs name another stack or project."""
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
    if expected is not None:
        require_identity(path, urn_fields(dep), expected)
    raws = dep.get("resources") or []
    seen: dict[str, int] = {}  # URN -> the resource holding it that is not marked `delete: true`
    problems: list[Issue] = []
    urns: list[Urn] = []
    for i, raw in enumerate(raws):
        urn = raw["urn"]
        if raw.get("delete"):
            pass  # an old copy awaiting deletion may repeat its replacement's URN
        elif urn in seen:
            problems.append(Issue(str(path), f"deployment.resources[{i}].urn",
                                  f"expected unique URNs; {urn} is also deployment.resources[{seen[urn]}] "
                                  f"(only copies marked `delete: true` may repeat a URN)"))
        else:
            seen[urn] = i
        parsed = Urn.parse(urn)
        urns.append(parsed)
        if parsed.type != raw["type"]:
            problems.append(Issue(str(path), f"deployment.resources[{i}].type",
                                  f"expected the type in the URN ({parsed.type}), got {raw['type']}"))
    if problems:
        raise InputError(problems[:20])
    live: list[StateResource] = []
    deletes: list[StateResource] = []
    replacements: list[StateResource] = []
    for i, (raw, u) in enumerate(zip(raws, urns)):
        r = _resource(raw, i, u.name)
        (deletes if raw.get("delete") else replacements if raw.get("pendingReplacement") else live).append(r)
    stack = project = ""
    if urns:
        stack, project = urns[0].stack, urns[0].project
    pending = tuple(PendingOperation(op["type"], op["resource"]["urn"], op["resource"]["type"])
                    for op in dep.get("pending_operations") or [])
    manifest = dep["manifest"]
    return Deployment(path, stack, project, manifest.get("version", ""), manifest.get("time", ""), tuple(live),
                      pending, tuple(deletes), tuple(replacements))
