"""The registry of checks, in the shape of Prowler's and Checkov's: one check is one small
function, registered where it is defined by ``@check(...)`` with its id, kind, severity, clause,
what it applies to and a remediation text. Its findings carry that metadata; it knows nothing of
how they are printed.

Stages: ``cause`` checks find root causes (a resource, a host, the state file); ``host`` checks are
causes read from the harden evidence of each host alone (add-ons, 等保 controls): ``check --evidence``
runs them with the other causes, ``verify-hosts`` runs only them; ``item`` checks judge a line item
(its verdicts become effects of the causes that explain them, and stand as findings of their own only
when no cause does); ``ignore`` checks judge the ignore file; ``sla`` checks judge delivery over time
(``govcloud.sla.rules``: availability, response times, annex 3 events), run by ``sla report`` alone.
The modules of ``govcloud.checks.rules`` register on import: no hand-kept list.
"""

from __future__ import annotations

import importlib.util
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Literal

from govcloud.checks.findings import Effect, Finding, Kind, Severity, worse

Stage = Literal["cause", "host", "item", "ignore", "sla"]


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


RULES = "govcloud.checks.rules"
TOOL_RULES = ("govcloud.sla.rules",)


def load() -> dict[str, Check]:
    """Every check: the rule modules imported once (each registers its own)."""
    rules = importlib.util.find_spec(RULES)  # by name: the rules import this registry, not the reverse
    for mod in pkgutil.iter_modules(rules.submodule_search_locations if rules else ()):
        importlib.import_module(f"{RULES}.{mod.name}")
    importlib.import_module("govcloud.checks.ignore")
    for name in TOOL_RULES:  # by name: these sit above checks in the layers and import this registry
        importlib.import_module(name)
    return CHECKS


def of_stage(*stages: Stage) -> list[Check]:
    """The checks of these stages, in the order they registered."""
    return [c for c in load().values() if c.stage in stages]


def severity_with(f: Finding, explained: Iterable[str]) -> Severity:
    """A cause's severity raised to the worst of the item checks it explains."""
    s = f.severity
    for cid in explained:
        s = worse(s, CHECKS[cid].severity)
    return s
