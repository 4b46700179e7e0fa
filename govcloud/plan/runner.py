"""Run the Pulumi program offline under the SDK's mock runtime (``pulumi.runtime.set_mocks``).

This is Pulumi's documented unit-test path: no CLI, no provider plugin, no cloud. The
mocks echo each resource's inputs as its state and record ``(type, name, inputs)``;
invokes (image and external-network look-ups) answer with deterministic ids. Secrets the
stack file holds encrypted (or does not hold yet) are replaced by a placeholder marked
secret, so the program runs unchanged; no secret value is ever printed.

Mock state is global to the process: run one plan per process (the CLI does; tests
use a subprocess per run).
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govcloud.paths import PROJECT_ROOT
from govcloud.ledger.counting import Resource
from govcloud.tenancy.config import SECRET_KEYS, read_stack_config
from govcloud.yamldoc import YamlDocument

STACKS_DIR = PROJECT_ROOT / "stacks"
PLACEHOLDER_SECRET = "offline-plan-placeholder"
SECRET_MARK = "[secret]"
PROJECT = "govcloud"


@dataclass(frozen=True)
class MockRun:
    """What the program registered and exported, secrets masked."""

    stack: str
    resources: tuple[Resource, ...]
    custom: frozenset[tuple[str, str]]  # (type, name) of custom (non-component) resources
    outputs: dict[str, Any]
    secret_outputs: frozenset[str]

    def counts_by_type(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.resources:
            out[r.type] = out.get(r.type, 0) + 1
        return dict(sorted(out.items()))

    def outputs_document(self) -> dict[str, Any]:
        """Stack outputs as ``pulumi stack output --json`` shows them (secrets as ``[secret]``)."""
        return {k: (SECRET_MARK if k in self.secret_outputs else v) for k, v in self.outputs.items()}


def runtime_config(config: dict[str, Any], secrets: dict[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """Stack-file config as the engine hands it to a program: strings, JSON for lists and maps."""
    out: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            out[key], _ = PLACEHOLDER_SECRET, secret_keys.append(key)
        elif isinstance(value, (dict, list)):
            out[key] = json.dumps(value, default=str, ensure_ascii=False)
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    for key in SECRET_KEYS:
        if key.startswith("govcloud:") and key not in out:
            out[key] = PLACEHOLDER_SECRET
            secret_keys.append(key)
    for key, value in (secrets or {}).items():
        out[key] = value
        if key not in secret_keys:
            secret_keys.append(key)
    return out, secret_keys


def run_program(stack: str, project_dir: Path = PROJECT_ROOT, secrets: dict[str, str] | None = None,
                monitor_factory: Any = None, config: YamlDocument | None = None) -> MockRun:
    """Validate ``Pulumi.<stack>.yaml`` and run ``stacks/`` under the mock runtime (once per process).

    ``config`` is the stack file's already validated ``config:`` mapping, when the caller has read it.

    ``monitor_factory(mocks)`` may supply the SDK ``MockMonitor`` (``set_mocks(monitor=...)``),
    e.g. the recording monitor that ``--export-state`` uses.
    """
    import pulumi
    from pulumi.runtime.stack import wait_for_rpcs
    from pulumi.runtime.sync_await import _sync_await

    config_doc = config if config is not None else read_stack_config(project_dir, stack)
    values, secret_keys = runtime_config(config_doc.data, secrets)
    registered: list[Resource] = []
    custom: set[tuple[str, str]] = set()

    class PlanMocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
            registered.append(Resource(args.typ, args.name, args.inputs))
            if args.custom:
                custom.add((args.typ, args.name))
            return f"{args.name}-id", dict(args.inputs)

        def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
            # a bare dict: this SDK iterates the failures of a (result, None) tuple
            name = str(args.args.get("name", ""))
            if args.token.endswith(("getImage:getImage", "getNetwork:getNetwork")):
                return {"id": f"{args.token.rsplit(':', 1)[-1]}-{name}", "name": name}
            return {}

    os.environ["GOVCLOUD_PROJECT_DIR"] = str(project_dir)
    if str(STACKS_DIR) not in sys.path:
        sys.path.insert(0, str(STACKS_DIR))
    mocks = PlanMocks()
    monitor = monitor_factory(mocks) if monitor_factory is not None else None
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(values, secret_keys)
    runpy.run_path(str(STACKS_DIR / "__main__.py"), run_name="__main__")
    _sync_await(wait_for_rpcs())

    root: Any = pulumi.runtime.get_root_resource()
    outputs: dict[str, Any] = {}
    secret_outputs: set[str] = set()
    for key, value in root.outputs.items():
        if _plain(value):  # plain data (the host list): no need for the SDK's per-element Output wrapping
            outputs[key] = value
            continue
        out = pulumi.Output.from_input(value)
        outputs[key] = _sync_await(out.future())
        if _sync_await(out.is_secret()):
            secret_outputs.add(key)
    return MockRun(stack, tuple(registered), frozenset(custom), outputs, frozenset(secret_outputs))


def _plain(value: Any) -> bool:
    """True when ``value`` is JSON-like data with no ``Output`` or awaitable inside."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    return False
