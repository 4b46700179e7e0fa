"""A Prometheus rules file from the contract and a systems file (``govcloud sla rules``).

Recording rules, per probe and per system, following the blackbox convention (``probe_success{job, instance}``,
``instance`` the probe's target):

- ``govcloud:probe_up{system, probe, critical}``: the probe's last result, labelled with its system;
- ``govcloud:system_up{system, important}``: 1 up, 0 down by the system's ``down_when`` (``any-critical``: the
  minimum of its critical probes; ``all-probes``: the maximum of all of them). A probe with no series is
  left out by PromQL, so "unknown" is not expressible here: ``GovcloudProbeAbsent`` says so instead;
- ``govcloud:probe_up:ratio_5m`` and ``govcloud:system_up:ratio_5m``: the share of the last 5 minutes up, for
  dashboards. Not the SLA figure (``avg_over_time`` counts samples, so a gap reads as up): the report reads
  raw samples;
- ``govcloud:systems_down:share``: the share of the systems govcloud knows that are down (annex 3).

Alerts, with labels ``severity``, ``clause``, ``contract`` and the deadlines in their annotations:

- ``GovcloudSystemDown`` (article 9) pages when a system has been down ``for`` max(1 min, open_after probe
  intervals): the page must leave most of the contract's response minutes to a person, so a systems file
  whose ``open_after × interval`` eats more than a third of them is refused;
- ``GovcloudIsolationOverdue`` (article 10) when it is still down after the isolation minutes (fewer for an
  important system);
- ``GovcloudProbeDown`` (a warning) for any one probe down, ``GovcloudProbeAbsent`` (article 6) for a probe
  without samples for 5 minutes: that time is unknown, never up;
- ``GovcloudAnnex3A`` / ``GovcloudAnnex3B`` (articles 53-54) when the share of systems down has been within
  an annex 3 outage event's band for its minimum duration.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml

from govcloud.contract.model import Contract

DEFAULT_JOB = "blackbox"
DOWN_WHEN = ("any-critical", "all-probes")
ABSENT_FOR_S = 300


@dataclass(frozen=True)
class Probe:
    id: str
    target: str
    job: str
    critical: bool
    module: str = ""
    host: str = ""


@dataclass(frozen=True)
class System:
    id: str
    important: bool
    down_when: str
    probes: tuple[Probe, ...]


@dataclass(frozen=True)
class Systems:
    interval_seconds: int
    open_after: int
    systems: tuple[System, ...]


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def systems_spec(obj: Any) -> Systems:
    """A systems file as a mapping (its YAML data) or any object with the same attribute names
    (``interval_seconds``, ``open_after``, ``job``; ``systems[*]``: ``id``, ``important``, ``down_when``,
    ``probes[*]``: ``id``, ``target``, ``module``, ``host``, ``critical``, ``job``)."""
    if isinstance(obj, Systems):
        return obj
    job = _get(obj, "job") or DEFAULT_JOB
    out = []
    for s in _get(obj, "systems", ()) or ():
        probes = tuple(Probe(str(_get(p, "id")), str(_get(p, "target")), str(_get(p, "job") or job),
                             bool(_get(p, "critical", False)), str(_get(p, "module", "") or ""),
                             str(_get(p, "host", "") or ""))
                       for p in _get(s, "probes", ()) or ())
        down_when = str(_get(s, "down_when", "any-critical"))
        if down_when not in DOWN_WHEN:
            raise ValueError(f"system {_get(s, 'id')}: down_when {down_when!r}, expected one of {DOWN_WHEN}")
        if not probes:
            raise ValueError(f"system {_get(s, 'id')}: no probes")
        out.append(System(str(_get(s, "id")), bool(_get(s, "important", False)), down_when, probes))
    return Systems(int(_get(obj, "interval_seconds", 15) or 15), int(_get(obj, "open_after", 2) or 2), tuple(out))


def _q(value: str) -> str:
    """A PromQL string literal."""
    return json.dumps(value, ensure_ascii=False)


def _dur(seconds: int) -> str:
    """``90`` → ``1m30s``; Prometheus durations."""
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return "".join(f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (s, "s")) if v) or "0s"


def _pct(d: Decimal) -> str:
    """30 → ``0.3`` as a PromQL number."""
    return format((d / 100).normalize(), "f")


def page_after_seconds(spec: Systems, contract: Contract) -> int:
    """How long a system is down before ``GovcloudSystemDown`` fires: max(60 s, open_after × interval). Refused
    (ValueError) when that and one more probe interval take more than a third of the response minutes."""
    after = max(60, spec.open_after * spec.interval_seconds)
    allowed = contract.sla.response_minutes * 60 // 3
    if after + spec.interval_seconds > allowed:
        raise ValueError(f"open_after {spec.open_after} x interval {spec.interval_seconds}s pages after {after}s: "
                         f"more than a third of article 9's {contract.sla.response_minutes} minutes to respond")
    return after


def _outage_events(contract: Contract) -> list[tuple[str, str, str, Decimal, Decimal | None, int]]:
    """Annex 3 outage events: (level, clause, event id, share above %, share up to % or None, minutes)."""
    out = []
    for level in contract.incidents:
        for ev in level.events:
            t = dict(ev.thresholds)
            if "share_of_systems_above_percent" in t and "min_duration_minutes" in t:
                out.append((level.level, level.clause, ev.id, t["share_of_systems_above_percent"],
                            t.get("share_of_systems_up_to_percent"), int(t["min_duration_minutes"])))
    return out


def rules(contract: Contract, systems: Any) -> dict[str, Any]:
    """The rules file as data (one group, evaluated every probe interval)."""
    spec = systems_spec(systems)
    sla = contract.sla
    page = page_after_seconds(spec, contract)
    base = {"contract": contract.number}
    recs: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    for s in spec.systems:
        for p in s.probes:
            recs.append({"record": "govcloud:probe_up",
                         "expr": f"probe_success{{job={_q(p.job)},instance={_q(p.target)}}}",
                         "labels": {"system": s.id, "probe": p.id, "critical": str(p.critical).lower()}})
    for s in spec.systems:
        critical = any(p.critical for p in s.probes)
        if s.down_when == "any-critical" and critical:
            expr = f"min by (system) (govcloud:probe_up{{system={_q(s.id)},critical=\"true\"}})"
        elif s.down_when == "any-critical":  # no probe marked critical: every probe is
            expr = f"min by (system) (govcloud:probe_up{{system={_q(s.id)}}})"
        else:
            expr = f"max by (system) (govcloud:probe_up{{system={_q(s.id)}}})"
        recs.append({"record": "govcloud:system_up", "expr": expr,
                     "labels": {"system": s.id, "important": str(s.important).lower()}})  # unique: promtool lint
    recs += [
        {"record": "govcloud:probe_up:ratio_5m", "expr": "avg_over_time(govcloud:probe_up[5m])"},
        {"record": "govcloud:system_up:ratio_5m", "expr": "avg_over_time(govcloud:system_up[5m])"},
        {"record": "govcloud:systems_down:share",
         "expr": "sum(1 - govcloud:system_up) / count(govcloud:system_up)"},
    ]
    for s in spec.systems:
        iso_min = sla.fault_isolation_important_minutes if s.important else sla.fault_isolation_minutes
        imp = " (an important system)" if s.important else ""
        down = f"govcloud:system_up{{system={_q(s.id)}}} == 0"
        alerts.append({
            "alert": "GovcloudSystemDown", "expr": down, "for": _dur(page),
            "labels": {**base, "severity": "critical", "clause": "article-9", "system": s.id},
            "annotations": {
                "summary": f"{s.id} is down",
                "description": f"{s.id}{imp} has been down for {_dur(page)} (its probes, down_when {s.down_when}).",
                "deadline": f"article 9: respond within {sla.response_minutes}m of detection, on site within "
                            f"{sla.on_site_hours}h; article 10: locate and clear within {iso_min}m",
            }})
        alerts.append({
            "alert": "GovcloudIsolationOverdue", "expr": down, "for": _dur(iso_min * 60),
            "labels": {**base, "severity": "critical", "clause": "article-10", "system": s.id},
            "annotations": {
                "summary": f"{s.id} still down after {iso_min}m",
                "description": f"{s.id}{imp} is still down {iso_min} minutes on: article 10 allows {iso_min} minutes "
                               "to locate and clear a fault.",
            }})
    alerts.append({
        "alert": "GovcloudProbeDown", "expr": "govcloud:probe_up == 0", "for": _dur(page),
        "labels": {**base, "severity": "warning", "clause": "article-9"},
        "annotations": {"summary": "probe {{ $labels.probe }} of {{ $labels.system }} is failing",
                        "description": "{{ $labels.instance }} (critical: {{ $labels.critical }}) has failed for "
                                       f"{_dur(page)}."}})
    for s in spec.systems:
        for p in s.probes:
            alerts.append({
                "alert": "GovcloudProbeAbsent",
                "expr": f"absent(probe_success{{job={_q(p.job)},instance={_q(p.target)}}})",
                "for": _dur(ABSENT_FOR_S),
                "labels": {**base, "severity": "warning", "clause": "article-6", "system": s.id, "probe": p.id},
                "annotations": {"summary": f"no samples of probe {p.id} ({s.id})",
                                "description": f"{p.target} has no samples: this time is unknown, never up, and "
                                               "lowers the coverage of the month's availability."}})
    for level, clause, ev_id, above, up_to, minutes in _outage_events(contract):
        cond = f"govcloud:systems_down:share > {_pct(above)}"
        if up_to is not None:
            cond += f" and govcloud:systems_down:share <= {_pct(up_to)}"
        band = f"more than {above}%" + (f" and at most {up_to}%" if up_to is not None else "")
        alerts.append({
            "alert": f"GovcloudAnnex3{level}", "expr": cond, "for": _dur(minutes * 60),
            "labels": {**base, "severity": "critical", "clause": clause, "event": ev_id},
            "annotations": {"summary": f"annex 3 {level}-level event {ev_id}",
                            "description": f"{band} of the systems govcloud knows have been down for {minutes} "
                                           f"minutes (now {{{{ $value | humanizePercentage }}}}): an annex 3 "
                                           f"{level}-level event ({clause})."}})
    return {"groups": [{"name": f"govcloud-sla-{contract.number}", "interval": _dur(spec.interval_seconds),
                        "rules": recs + alerts}]}


def render(contract: Contract, systems: Any) -> str:
    """The rules file as YAML, with a header saying where it came from."""
    head = (f"# Generated by `govcloud sla rules` from contract {contract.number} (sla, incidents) and the systems\n"
            "# file: do not edit; check with `promtool check rules`.\n")
    return head + yaml.safe_dump(rules(contract, systems), sort_keys=False, allow_unicode=True, width=120)
