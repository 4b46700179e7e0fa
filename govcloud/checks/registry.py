"""The registry of checks, in the shape of Prowler's and Checkov's: one check is one small
function, registered where it is defined by ``@check(...)`` with its id, kind, severity, clause,
what it applies to and a remediation text. Its findings carry that metadata; it knows nothing of
how they are printed.

Stages: ``cause`` checks find root causes (a resource, a host, the state file); ``item`` checks
judge a line item (its verdicts become effects of the causes that explain them, and stand as
findings of their own only when no cause does); ``ignore`` checks judge the ignore file.
The modules of ``govcloud.checks.rules`` register on import: no hand-kept list.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Literal

from govcloud.checks.findings import Effect, Finding, Kind, Severity, worse

Stage = Literal["cause", "item", "ignore"]


@dataclass(frozen=True)
class Check:
    id: str
    kind: Kind
    severity: Severity
    clause: str  # the clause it enforces (an item check: the item's own clause, this is the default)
    title: str
    applies_to: tuple[str, ...]  # resource types, "host", "line item", "state", "ignore file"
    remediation: str
    stage: Stage
    run: Callable[..., Iterable[Finding]]

    def finding(self, item: str, subject: str, expected: str, actual: str, message: str, *,
                clause: str | None = None, effects: tuple[Effect, ...] = (), **where: Any) -> Finding:
        """A finding of this check (its kind, severity and clause unless the item's clause is given)."""
        return Finding(self.id, self.kind, self.severity, item, clause or self.clause, subject, expected, actual,
                       message, effects=effects, **where)


CHECKS: dict[str, Check] = {}


def check(id: str, *, kind: Kind, severity: Severity, clause: str, title: str, applies_to: tuple[str, ...],
          remediation: str, stage: Stage = "cause") -> Callable[[Callable[..., Iterable[Finding]]], Check]:
    """Register the decorated function as a check; the module keeps the ``Check`` under its name."""

    def register(fn: Callable[..., Iterable[Finding]]) -> Check:
        if id in CHECKS:
            raise ValueError(f"check {id} registered twice")
        CHECKS[id] = c = Check(id, kind, severity, clause, title, applies_to, remediation, stage, fn)
        return c

    return register


def load() -> dict[str, Check]:
    """Every check: the rule modules imported once (each registers its own)."""
    from govcloud.checks import rules

    for mod in pkgutil.iter_modules(rules.__path__):
        importlib.import_module(f"{rules.__name__}.{mod.name}")
    importlib.import_module("govcloud.checks.ignore")
    return CHECKS


def of_stage(stage: Stage) -> list[Check]:
    return [c for c in load().values() if c.stage == stage]


def severity_with(f: Finding, explained: Iterable[str]) -> Severity:
    """A cause's severity raised to the worst of the item checks it explains."""
    s = f.severity
    for cid in explained:
        s = worse(s, CHECKS[cid].severity)
    return s
