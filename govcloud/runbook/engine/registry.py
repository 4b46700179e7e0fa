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
    "govcloud.runbook.engine.builtins",
    "govcloud.runbook.steps.transfer_steps",
    "govcloud.runbook.steps.migrate",
    "govcloud.runbook.steps.erase_steps",
    "govcloud.runbook.steps.materials",
    "govcloud.runbook.steps.exit_report",
    "govcloud.runbook.steps.timeline_out",
    "govcloud.runbook.steps.exit",
    "govcloud.runbook.steps.cutover",
)


@dataclass(frozen=True)
class ActionResult:
    """What an action did, for the journal (small, JSON-serialisable)."""

    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    """A precondition or verification: ``ok`` and a sentence saying why. ``waiting``: a precondition
    not met *yet* because an outside party must act (e.g. the court's acceptance, article 58); the
    run stops with exit 3 and ``--resume`` continues once it has."""

    ok: bool
    detail: str
    waiting: bool = False


ActionFn = Callable[["RunContext", dict[str, Any]], ActionResult]
CheckFn = Callable[["RunContext", dict[str, Any]], CheckResult]

ACTIONS: dict[str, ActionFn] = {}
CHECKS: dict[str, CheckFn] = {}
#: dry-run plans: what a built-in action would touch, from its rendered ``with`` arguments (one line each)
PlanFn = Callable[[dict[str, Any]], list[str]]
PLANS: dict[str, PlanFn] = {}


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


def plan(name: str) -> Callable[[PlanFn], PlanFn]:
    """Register the dry-run plan of action ``name``: ``--dry-run`` lists its lines under the step's touches."""
    def deco(fn: PlanFn) -> PlanFn:
        if name in PLANS:
            raise RuntimeError(f"dry-run plan {name!r} registered twice")
        PLANS[name] = fn
        return fn
    return deco


def load_builtins() -> None:
    """Import every module that registers built-ins (idempotent)."""
    for mod in BUILTIN_MODULES:
        importlib.import_module(mod)
