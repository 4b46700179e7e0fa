"""Built-in Python actions and checks, registered by name (``builtin: {name: transfer.rsync}``).

A runbook may name only registered built-ins; the loader refuses any other name before a
step runs. Modules that register built-ins are listed in ``BUILTIN_MODULES``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import RunContext

BUILTIN_MODULES = (
    "govcloud.runbook.builtins",
    "govcloud.runbook.transfer_steps",
    "govcloud.runbook.migrate",
    "govcloud.runbook.cutover",
)


@dataclass(frozen=True)
class ActionResult:
    """What an action did, for the journal (small, JSON-serialisable)."""

    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    """A precondition or verification: ``ok`` and a sentence saying why."""

    ok: bool
    detail: str


ActionFn = Callable[["RunContext", dict[str, Any]], ActionResult]
CheckFn = Callable[["RunContext", dict[str, Any]], CheckResult]

ACTIONS: dict[str, ActionFn] = {}
CHECKS: dict[str, CheckFn] = {}


def action(name: str) -> Callable[[ActionFn], ActionFn]:
    def deco(fn: ActionFn) -> ActionFn:
        if name in ACTIONS:
            raise RuntimeError(f"built-in action {name!r} registered twice")
        ACTIONS[name] = fn
        return fn
    return deco


def check(name: str) -> Callable[[CheckFn], CheckFn]:
    def deco(fn: CheckFn) -> CheckFn:
        if name in CHECKS:
            raise RuntimeError(f"built-in check {name!r} registered twice")
        CHECKS[name] = fn
        return fn
    return deco


def load_builtins() -> None:
    """Import every module that registers built-ins (idempotent)."""
    for mod in BUILTIN_MODULES:
        importlib.import_module(mod)
