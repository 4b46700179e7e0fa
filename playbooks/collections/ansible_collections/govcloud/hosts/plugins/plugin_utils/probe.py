# -*- coding: utf-8 -*-
# Copyright: govcloud. Apache-2.0.
"""Work done without a module execution, before (or instead of) a govcloud.hosts module.

A module execution costs about 0.15 s of host CPU before it does anything: the
interpreter imports ansible.module_utils.basic from the module's zip, compiling
it every time. An idempotent run is mostly modules that find nothing to do, so
the files and units action plugins first send a small script (stdlib only, no
Ansible import) over the same connection, with become, and run the module only
when the script cannot prove the host already matches. Any doubt (no usable
interpreter, a non-zero exit, unreadable output) falls back to the module, so
the module stays the only writer and the reference for the semantics. The facts modules
dpkg_facts and systemd_facts (names:) are one command and a parse: DirectRead runs the command
the same way and parses it with the module's own parser (module_utils/listings.py).
"""
from __future__ import annotations

import json
import shlex
from typing import Any

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase


def interpreter(task_vars: dict[str, Any]) -> str | None:
    """The host's Python when it is a plain absolute path (inventory or discovered), else None."""
    value = task_vars.get("ansible_python_interpreter")
    if isinstance(value, str) and value.startswith("/") and "{" not in value:
        return value
    facts = task_vars.get("ansible_facts") or {}
    value = facts.get("discovered_interpreter_python") if isinstance(facts, dict) else None
    if isinstance(value, str) and value.startswith("/"):
        return value
    return None


def run_direct(action, cmd: str, in_data: bytes | None = None) -> str | None:
    """`cmd` through the task's connection and become, without a module; its stdout, or None when
    it could not run cleanly (then the module decides). Not for a delegated task: its connection
    details are the delegate's."""
    if action._task.delegate_to or action._connection.transport.split(".")[-1] not in ("ssh", "local", "paramiko_ssh"):
        return None
    try:
        res = action._low_level_execute_command(cmd, sudoable=True, in_data=in_data)
    except Exception:  # noqa: BLE001 - any failure means: let the module decide
        return None
    if res.get("rc") != 0:
        return None
    # without stdin data the ssh connection asks for a tty (become prompts): its line ends are \r\n
    return to_text(res.get("stdout", "")).replace("\r\n", "\n")


def enabled(task_vars: dict[str, Any]) -> bool:
    """False when the inventory sets ``govcloud_hosts_direct: false``: every task runs its module
    (to rule these shortcuts out while debugging; the tests compare both ways)."""
    return boolean(task_vars.get("govcloud_hosts_direct", True), strict=False)


def run_probe(action, script: str, payload: Any, task_vars: dict[str, Any]) -> Any | None:
    """Run `script` with the host's Python (become as the task), `payload` as JSON on stdin;
    the script's JSON answer, or None when the probe could not run cleanly."""
    python = interpreter(task_vars)
    if python is None:
        return None
    out = run_direct(action, f"{shlex.quote(python)} -I -S -c {shlex.quote(script)}",
                     json.dumps(payload).encode("utf-8"))
    try:
        return json.loads(out.strip().splitlines()[-1]) if out is not None else None
    except (ValueError, IndexError):
        return None


class ProbedAction(ActionBase):
    """Run MODULE unless PROBE, given payload(args), answers true; then return `changed: false`,
    `probe: match` and an empty list for each of the module's EMPTY return keys."""

    TRANSFERS_FILES = False
    _requires_connection = True
    MODULE: str = ""
    PROBE: str = ""
    EMPTY: tuple[str, ...] = ()

    def payload(self, args: dict) -> Any | None:
        """What the probe needs from the task's arguments, or None to run the module directly."""
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        payload = self.payload(self._task.args) if enabled(task_vars) else None
        if payload is not None and run_probe(self, self.PROBE, payload, task_vars) is True:
            result.update(changed=False, probe="match", **{key: [] for key in self.EMPTY})
            return result
        result.update(self._execute_module(module_name=self.MODULE, module_args=self._task.args, task_vars=task_vars))
        return result


class DirectRead(ActionBase):
    """A facts module whose whole work is one command and a parse: run the command directly and
    parse on the controller (the same parser the module uses); the module only when that fails."""

    TRANSFERS_FILES = False
    _requires_connection = True
    MODULE: str = ""

    def command(self, args: dict) -> str | None:
        """The shell command, or None to run the module (arguments the direct read does not handle)."""
        raise NotImplementedError

    def parse(self, args: dict, out: str) -> dict[str, Any] | None:
        """The module's ansible_facts from the command's output, or None to run the module."""
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        cmd = self.command(self._task.args) if enabled(task_vars) else None
        out = run_direct(self, cmd) if cmd is not None else None
        facts = self.parse(self._task.args, out) if out is not None else None
        if facts is not None:
            result.update(changed=False, ansible_facts=facts, direct=True)
            return result
        result.update(self._execute_module(module_name=self.MODULE, module_args=self._task.args, task_vars=task_vars))
        return result
