"""Run the three kinds of call a step may name: an Ansible playbook (ansible-runner), a
govcloud sub-command (its own process) and a registered built-in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from govcloud.commandtable import ENTRY_MODULE, command_names
from govcloud.paths import PROJECT_ROOT

from . import output, registry
from .context import RunContext
from .errors import StepFailed
from .model import Call, render
from .registry import ActionResult, CheckResult

PLAYBOOKS = PROJECT_ROOT / "playbooks"


def cli_commands() -> frozenset[str]:
    """Sub-commands of ``govcloud`` (the CLI's command table)."""
    return command_names()


def entry_module(command: str) -> str | None:
    """The module that runs ``govcloud <command>``, or None if there is none."""
    return ENTRY_MODULE if command in command_names() else None


def _govcloud(ctx: RunContext, spec: dict[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    args = list(spec["args"])
    expect = list(spec.get("expect_exit", [0]))
    module = entry_module(args[0])
    if module is None:
        raise StepFailed(f"govcloud has no sub-command {args[0]!r}")
    proc = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL)
    if spec.get("stdout"):
        output.write_text(ctx.path(spec["stdout"]), proc.stdout)
    ok = proc.returncode in expect
    why = (f"govcloud {' '.join(args)} exited {proc.returncode} (expected {', '.join(map(str, expect))})"
           + ("" if ok else f": {proc.stderr.strip()[-500:] or proc.stdout.strip()[-500:]}"))
    return ok, why, {"command": ["govcloud", *args], "exit": proc.returncode}


def _ansible(ctx: RunContext, spec: dict[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    import ansible_runner

    playbook = Path(spec["playbook"])
    playbook = playbook if playbook.is_absolute() else PLAYBOOKS / playbook
    if not playbook.exists():
        raise StepFailed(f"playbook not found: {playbook}")
    step = ctx.step.id if ctx.step else "ansible"
    private = ctx.path(f"ansible/{step}")
    private.mkdir(parents=True, exist_ok=True)
    venv_bin = str(Path(sys.executable).parent)  # ansible-runner needs ansible-playbook on PATH
    result = ansible_runner.run(
        private_data_dir=str(private), playbook=str(playbook), inventory=str(spec["inventory"]),
        limit=spec.get("limit"), extravars=dict(spec.get("extravars", {})), quiet=True,
        envvars={"PATH": f"{venv_bin}:{os.environ.get('PATH', '')}", "ANSIBLE_NOCOLOR": "1",
                 # a dead link must fail fast, also through a ControlMaster left by an earlier run
                 "ANSIBLE_TIMEOUT": "15",
                 "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=60s "
                                     "-o ServerAliveInterval=5 -o ServerAliveCountMax=2"},
        timeout=int(spec.get("timeout", 1800)),
    )
    ok = result.rc == 0
    unreachable = sorted((result.stats or {}).get("dark", {}) or {})
    why = f"ansible-playbook {playbook.name}: {result.status} (rc {result.rc})"
    if unreachable:
        why += f"; host(s) unreachable: {', '.join(f'host {h}' for h in unreachable)}"
    return ok, why, {
        "playbook": str(playbook), "rc": result.rc, "status": result.status, "stats": result.stats}


def run_action(ctx: RunContext, call: Call) -> ActionResult:
    spec = render(dict(call.spec), ctx.params)
    if call.kind == "builtin":
        return registry.ACTIONS[spec["name"]](ctx, dict(spec.get("with") or {}))
    if call.kind == "govcloud":
        ok, why, detail = _govcloud(ctx, spec)
    elif call.kind == "ansible":
        ok, why, detail = _ansible(ctx, spec)
    else:  # the schema allows no other action kind
        raise StepFailed(f"unknown action kind {call.kind}")
    if not ok:
        raise StepFailed(why)
    return ActionResult(detail)


def run_check(ctx: RunContext, call: Call) -> CheckResult:
    spec = render(dict(call.spec), ctx.params)
    if call.kind == "none":
        return CheckResult(True, f"no check: {spec['reason']}")
    if call.kind == "builtin":
        return registry.CHECKS[spec["name"]](ctx, dict(spec.get("with") or {}))
    ok, why, _ = _govcloud(ctx, spec)
    return CheckResult(ok, why)
