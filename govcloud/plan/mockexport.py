"""A real deployment (version 3) from an offline mock run, as ``pulumi stack export`` writes it.

``RecordingMonitor`` is the SDK's ``MockMonitor`` (passed to ``set_mocks(monitor=...)``) that
also keeps each registration's URN, parent, provider and raw inputs, with secrets still
marked. ``deployment_document`` turns them into a version 3 deployment: URNs in Pulumi's
form, the root stack, default provider resources, ``custom``, ``parent``, ``provider``,
``inputs`` and ``outputs``. Secret values are written as opaque ciphertext, never in clear.

URNs are written as the engine writes them, not as the SDK's mock makes them: the engine
qualifies a type with its parent's whole qualified type, except under the root stack, whose type
it leaves out (``urn:pulumi:prod::govcloud::govcloud:compute:HostFleet::fleet``; pulumi/pulumi
``pkg/resource/stack/snapshot/integrity.go``), while the mock prefixes the parent's last type
(``pulumi:pulumi:Stack$govcloud:compute:HostFleet``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

from pulumi.runtime.mocks import MockMonitor

from govcloud.state.secrets import SECRET_SIG, SIG_KEY

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    id: str
    inputs: dict[str, Any]
    dependencies: list[str] = field(default_factory=list)


def _struct_to_json(struct: Any) -> dict[str, Any]:
    from google.protobuf import json_format

    return json_format.MessageToDict(struct, preserving_proto_field_name=True)


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, keeping what a state export needs."""

    def __init__(self, mocks: Any) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.outputs: dict[str, dict[str, Any]] = {}  # URN -> registered outputs (components)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)
        self.registrations.append(Registration(
            urn=response.urn, type=request.type, name=request.name, custom=bool(request.custom),
            parent=request.parent, provider=request.provider, id=response.id,
            inputs=_struct_to_json(request.object), dependencies=list(request.dependencies),
        ))
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        self.outputs[request.urn] = _struct_to_json(request.outputs)
        return super().RegisterResourceOutputs(request)


def _ciphertext(path: str) -> str:
    """An opaque stand-in for a secret's ciphertext: derived from where it is, never from its value."""
    return "v1:" + hashlib.sha256(path.encode()).hexdigest()[:32]


def _seal(value: Any, path: str) -> Any:
    """Secrets as ``{sig: secret, ciphertext}``: the plaintext is dropped here."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return {SIG_KEY: SECRET_SIG, "ciphertext": _ciphertext(path)}
        return {k: _seal(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_seal(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf Struct numbers are doubles; the engine writes integers as such
    return value


def engine_urns(registrations: list[Registration]) -> dict[str, str]:
    """Mock URN -> the URN the engine gives the same registration (parents register before children)."""
    qualified: dict[str, str] = {}  # mock URN -> engine qualified type
    out: dict[str, str] = {}
    for reg in registrations:
        parent = qualified.get(reg.parent) if reg.parent else None
        qt = reg.type if parent is None or parent == STACK_TYPE else f"{parent}${reg.type}"
        qualified[reg.urn] = qt
        stack_project = "::".join(reg.urn.split("::")[:2])
        out[reg.urn] = f"{stack_project}::{qt}::{reg.name}"
    return out


def _ref(mapping: dict[str, str], ref: str) -> str:
    """A URN, or a provider reference ``URN::ID``, with its URN as the engine writes it."""
    if ref in mapping:
        return mapping[ref]
    urn, sep, rid = ref.rpartition("::")
    return f"{mapping[urn]}::{rid}" if sep and urn in mapping else ref


def _package(type_token: str) -> str:
    return type_token.split(":", 1)[0]


def _package_version(package: str) -> str:
    try:
        return metadata.version(f"pulumi_{package}")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def deployment_document(monitor: RecordingMonitor, stack: str, project: str,
                        outputs: dict[str, Any] | None = None, secret_outputs: frozenset[str] = frozenset(),
                        time: datetime | None = None) -> dict[str, Any]:
    """A ``pulumi stack export`` (version 3) of what the mock run registered."""
    registrations = monitor.registrations
    real = engine_urns(registrations)
    root_urn = f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}"
    resources: list[dict[str, Any]] = []
    stack_outputs = {k: ({SIG_KEY: SECRET_SIG, "ciphertext": _ciphertext(f"outputs.{k}")} if k in secret_outputs
                         else v) for k, v in (outputs or {}).items()}
    resources.append({"urn": root_urn, "custom": False, "type": STACK_TYPE, "outputs": _seal(stack_outputs, "outputs")})
    providers: dict[str, str] = {}
    for reg in registrations:
        if not reg.custom or reg.type.startswith("pulumi:providers:"):
            continue
        pkg = _package(reg.type)
        if pkg in providers:
            continue
        version = _package_version(pkg)
        name = "default_" + version.replace(".", "_")
        urn = f"urn:pulumi:{stack}::{project}::pulumi:providers:{pkg}::{name}"
        pid = hashlib.sha256(urn.encode()).hexdigest()[:8] + "-" + hashlib.sha256(urn.encode()).hexdigest()[8:12]
        providers[pkg] = f"{urn}::{pid}"
        resources.append({"urn": urn, "custom": True, "id": pid, "type": f"pulumi:providers:{pkg}",
                          "inputs": {"version": version}, "outputs": {"version": version}})
    for reg in registrations:
        if reg.type == STACK_TYPE:
            continue
        urn = real.get(reg.urn, reg.urn)
        inputs = _seal(reg.inputs, f"{urn}.inputs")
        entry: dict[str, Any] = {"urn": urn, "custom": reg.custom, "type": reg.type}
        if reg.custom:
            entry["id"] = reg.id
        entry["parent"] = _ref(real, reg.parent) if reg.parent else root_urn
        if reg.custom:
            entry["inputs"] = inputs
            entry["outputs"] = {**inputs, "id": reg.id} if reg.id else dict(inputs)
            entry["provider"] = _ref(real, reg.provider) if reg.provider else providers.get(_package(reg.type), "")
            if not entry["provider"]:
                del entry["provider"]
        else:
            if reg.inputs:
                entry["inputs"] = inputs
            entry["outputs"] = _seal(monitor.outputs.get(reg.urn, {}), f"{urn}.outputs")
        if reg.dependencies:
            entry["dependencies"] = [_ref(real, d) for d in reg.dependencies]
        resources.append(entry)
    when = (time or datetime.now(timezone.utc)).isoformat()
    version = f"v{metadata.version('pulumi')}"
    return {
        "version": 3,
        "deployment": {
            # the engine's magic cookie is the SHA-256 of the version (pkg/resource/deploy Manifest.NewMagic)
            "manifest": {"time": when, "magic": hashlib.sha256(version.encode()).hexdigest(), "version": version},
            "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:govcloud-offline-plan"}},
            "resources": resources,
            "metadata": {},  # SnapshotMetadataV1: a struct, so `omitempty` never leaves it out
        },
    }


def export_mock_run(stack: str, project_dir: Any = None) -> tuple[Any, dict[str, Any]]:
    """Run the program offline with the recording monitor: the mock run and its version 3 deployment."""
    from govcloud.paths import PROJECT_ROOT

    from .runner import PROJECT, run_program

    holder: list[RecordingMonitor] = []

    def factory(mocks: Any) -> RecordingMonitor:
        holder.append(RecordingMonitor(mocks))
        return holder[0]

    run = run_program(stack, project_dir or PROJECT_ROOT, monitor_factory=factory)
    return run, deployment_document(holder[0], stack, PROJECT, run.outputs, run.secret_outputs)


def declared_deployment(stack: str, project_dir: Any = None) -> Any:
    """What the program declares, as a ``Deployment`` (read back through the strict reader)."""
    from pathlib import Path

    from govcloud.state.export import parse_export

    _run, doc = export_mock_run(stack, project_dir)
    return parse_export(doc, Path(f"<program {stack}>"))
