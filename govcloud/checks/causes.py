"""Findings by root cause: a line item's verdict (under, drift, over, …) is an effect of the causes
that explain it — a resource or host whose change moves the item's quantity the same way — and is
listed under each of them; it stands as a finding of its own only when no cause explains it.

A verdict on what is provided (a quota, rule or subscription; for a per-host add-on also the hosts
carrying it: ``quantities.delivered``) is explained by a provision change, or for a per-host add-on an
allocation change; ``over`` of what the hosts allocate by an allocation change. ``under`` and
``missing`` need a decrease, ``over`` and ``unmanaged`` an increase, ``drift`` any change.
"""

from __future__ import annotations

from dataclasses import replace

from govcloud.checks.findings import SEVERITY_ORDER, Effect, Finding
from govcloud.checks.registry import CHECKS, severity_with

#: item check -> (the basis of a change that can explain it, the sign that change must have; 0: any)
EXPLAINED_BY: dict[str, tuple[str, int]] = {
    "item.missing": ("provision", -1), "item.under": ("provision", -1), "item.unmanaged": ("provision", 1),
    "item.over": ("provision", 1), "item.drift": ("provision", 0), "item.over-allocated": ("allocation", 1),
}


def _explains(e: Effect, verdict: Finding, per_host: frozenset[str]) -> bool:
    rule = EXPLAINED_BY.get(verdict.check)
    if rule is None or e.item != verdict.item or e.delta is None or e.delta == 0:
        return False
    basis, sign = rule
    if e.basis != basis and not (basis == "provision" and e.basis == "allocation" and e.item in per_host):
        return False
    return sign == 0 or (e.delta > 0) == (sign > 0)


def attribute(causes: list[Finding], verdicts: list[Finding], per_host: frozenset[str]
              ) -> tuple[list[Finding], list[Finding]]:
    """Each item verdict attached to the effects of the causes that explain it; returns the causes
    (severity raised to the worst verdict they explain) and the verdicts no cause explains."""
    explained: set[int] = set()
    out: list[Finding] = []
    by_item: dict[str, list[Finding]] = {}
    for v in verdicts:
        by_item.setdefault(v.item, []).append(v)
    for cause in causes:
        effects: list[Effect] = []
        took: list[str] = []
        for e in cause.effects:
            statuses = [v for v in by_item.get(e.item, ()) if _explains(e, v, per_host)]
            for v in statuses:
                explained.add(id(v))
            took += [v.check for v in statuses]
            effects.append(replace(e, statuses=tuple(dict.fromkeys(v.kind for v in statuses))) if statuses else e)
        out.append(replace(cause, effects=tuple(effects), severity=severity_with(cause, took)) if took else cause)
    return out, [v for v in verdicts if id(v) not in explained]


def order(findings: list[Finding]) -> list[Finding]:
    """Most severe first; then causes before their stand-alone item verdicts, and by subject."""
    rank = {c: k for k, c in enumerate(CHECKS)}
    return sorted(findings, key=lambda f: (SEVERITY_ORDER.index(f.severity), rank.get(f.check, len(rank)),
                                           f.item, f.subject, f.path))

