"""The systems file (``schemas/sla-systems.schema.json``): the information systems the availability is judged
for, the blackbox probes that watch each one and the rule that makes a system down.

A probe is matched to the Prometheus series with labels ``job`` (the probe's, else the file's, default
``blackbox``) and ``instance`` == its target, the blackbox exporter convention. ``systems_from_stack`` writes a
starting file from a stack's outputs; a person then sets ``important`` (article 10) and ``critical``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govcloud.contract.model import Contract
from govcloud.errors import GovcloudError, InputError, Issue
from govcloud.hosts.inventory import StackHost, load_stack_hosts, stack_outputs_file
from govcloud.schemas import load_checked
from govcloud.yamldoc import PathKey, YamlDocument, format_path

SCHEMA = "sla-systems.schema.json"
KIND = "govcloud/sla-systems"
DEFAULT_INTERVAL_SECONDS = 15
DEFAULT_OPEN_AFTER = 2
DEFAULT_JOB = "blackbox"
DEFAULT_METRIC = "probe_success"
ANY_CRITICAL = "any-critical"
ALL_PROBES = "all-probes"

#: what ``systems_from_stack`` probes per host role: (probe id suffix, module, target pattern, critical)
ROLE_PROBES: dict[str, tuple[str, str, str, bool]] = {
    "app": ("http", "http_2xx", "http://{address}:80/", True),
    "web": ("http", "http_2xx", "http://{address}:80/", True),
    "db": ("pg", "tcp_connect", "{address}:5432", True),
}
SSH_PROBE = ("ssh", "ssh_banner", "{address}:22", False)  # every host


@dataclass(frozen=True)
class Probe:
    id: str
    module: str
    target: str
    critical: bool
    job: str
    host: str = ""


@dataclass(frozen=True)
class System:
    """One information system: down when ``down_when`` holds over its probes (any critical one failing, or
    every probe failing)."""

    id: str
    name_zh: str
    important: bool
    down_when: str
    probes: tuple[Probe, ...]

    @property
    def critical(self) -> tuple[Probe, ...]:
        return tuple(p for p in self.probes if p.critical)


@dataclass(frozen=True)
class SystemsFile:
    path: Path | None
    systems: tuple[System, ...]
    interval_seconds: int = DEFAULT_INTERVAL_SECONDS
    open_after: int = DEFAULT_OPEN_AFTER
    job: str = DEFAULT_JOB
    metric: str = DEFAULT_METRIC
    stack: str = ""

    @property
    def interval_ms(self) -> int:
        return self.interval_seconds * 1000

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.systems)

    @property
    def probes(self) -> tuple[Probe, ...]:
        return tuple(p for s in self.systems for p in s.probes)

    def system(self, system_id: str) -> System:
        for s in self.systems:
            if s.id == system_id:
                return s
        raise KeyError(system_id)

    def system_of(self, probe_id: str) -> System:
        for s in self.systems:
            if any(p.id == probe_id for p in s.probes):
                return s
        raise KeyError(probe_id)

    def __iter__(self) -> Iterator[System]:
        return iter(self.systems)

    def __len__(self) -> int:
        return len(self.systems)


# --------------------------------------------------------------------------------------------- reading
def _issue(doc: YamlDocument, path: PathKey, expected: str) -> Issue:
    return Issue(str(doc.file), format_path(path), expected, doc.line_of(path))


def _semantic(doc: YamlDocument) -> list[Issue]:
    issues: list[Issue] = []
    d = doc.data
    job = d.get("job", DEFAULT_JOB)
    system_ids: dict[str, int] = {}
    probe_ids: dict[str, PathKey] = {}
    targets: dict[tuple[str, str], PathKey] = {}
    for i, s in enumerate(d["systems"]):
        at: PathKey = ("systems", i)
        if s["id"] in system_ids:
            issues.append(_issue(doc, (*at, "id"), f"expected a unique system id; {s['id']!r} is also "
                                                   f"systems[{system_ids[s['id']]}]"))
        system_ids.setdefault(s["id"], i)
        for j, p in enumerate(s["probes"]):
            pat: PathKey = (*at, "probes", j)
            if p["id"] in probe_ids:
                issues.append(_issue(doc, (*pat, "id"), f"expected a unique probe id; {p['id']!r} is also "
                                                        f"{format_path(probe_ids[p['id']])}"))
            probe_ids.setdefault(p["id"], pat)
            key = (p.get("job", job), p["target"])
            if key in targets:
                issues.append(_issue(doc, (*pat, "target"),
                                     f"expected each target once per job (one series per probe); {p['target']!r} "
                                     f"of job {key[0]!r} is also {format_path(targets[key])}"))
            targets.setdefault(key, pat)
        if s["down_when"] == ANY_CRITICAL and not any(p["critical"] for p in s["probes"]):
            issues.append(_issue(doc, (*at, "probes"),
                                 f"expected at least one probe with critical: true, since down_when is {ANY_CRITICAL} "
                                 f"(or down_when: {ALL_PROBES}); system {s['id']!r} has none"))
    return sorted(issues, key=lambda x: (x.line or 0, x.path))


def load_systems(path: str | Path) -> SystemsFile:
    """Read a systems file: schema, then unique system and probe ids, each target once per job, and a critical
    probe in every ``any-critical`` system. Problems are one ``InputError`` naming file and field."""
    path = Path(path)
    if not path.exists():
        raise InputError.one(path, "", "systems file not found (write one with `govcloud sla systems --stack NAME`)")
    doc = load_checked(path, SCHEMA, semantic=_semantic)
    return systems_of(doc.data, path)


def systems_of(data: dict[str, Any], path: Path | None = None) -> SystemsFile:
    """A checked systems document (``load_systems`` checks it) as the typed model."""
    job = data.get("job", DEFAULT_JOB)
    systems = tuple(
        System(s["id"], s["name_zh"], bool(s["important"]), s["down_when"],
               tuple(Probe(p["id"], p["module"], p["target"], bool(p["critical"]), p.get("job", job), p.get("host", ""))
                     for p in s["probes"]))
        for s in data["systems"])
    return SystemsFile(path, systems, int(data.get("interval_seconds", DEFAULT_INTERVAL_SECONDS)),
                       int(data.get("open_after", DEFAULT_OPEN_AFTER)), job, data.get("metric", DEFAULT_METRIC),
                       data.get("stack", ""))


# ---------------------------------------------------------------------------------- from a stack's outputs
@dataclass(frozen=True)
class DerivedSystems:
    """A starting systems document and what a person should know before using it."""

    document: dict[str, Any]
    notes: tuple[str, ...]

    def yaml(self) -> str:
        """The document as YAML, the notes as comments on top."""
        import yaml  # pyyaml: plain dump of plain data

        head = "".join(f"# {n}\n" for n in self.notes)
        return head + yaml.safe_dump(self.document, allow_unicode=True, sort_keys=False, width=120)


def _names(stack: str) -> dict[str, str]:
    """System id → name_zh from the stack's host plan (which writes article 1's names); {} when there is none."""
    try:
        from govcloud.tenancy.config import load_stack_settings
        from govcloud.tenancy.hostplan import load_host_plan

        plan = load_host_plan(load_stack_settings(stack).host_plan_path)
    except (GovcloudError, OSError, KeyError):
        return {}
    return {s.id: s.name_zh for s in plan.systems}


def _article_1(contract: Contract | None) -> list[str]:
    """The systems article 1 names (``systems[].serves_zh`` of the contract)."""
    if contract is None:
        return []
    return [str(n) for s in contract.systems for n in (s.get("serves_zh") or ())]  # type: ignore[union-attr]


def derive(hosts: list[StackHost], *, stack: str = "", names: dict[str, str] | None = None,
           contract: Contract | None = None, interval_seconds: int = DEFAULT_INTERVAL_SECONDS,
           open_after: int = DEFAULT_OPEN_AFTER, job: str = DEFAULT_JOB) -> DerivedSystems:
    """A systems document from stack hosts: per host an SSH probe (not critical); app and web hosts an HTTP
    probe, db hosts a TCP 5432 probe (both critical). A system with a critical probe is down when any critical
    probe fails; one without (log, bastion, monitoring hosts only) when all its probes fail. No system is
    marked important: the contract does not say which are (article 10), a person does."""
    names = names or {}
    by_system: dict[str, list[StackHost]] = {}
    for h in hosts:
        by_system.setdefault(h.system or "unassigned", []).append(h)
    systems = []
    for sid, members in by_system.items():
        probes = []
        for h in members:
            for suffix, module, target, critical in ([ROLE_PROBES[h.role]] if h.role in ROLE_PROBES else []) + [SSH_PROBE]:
                probes.append({"id": f"{h.name}-{suffix}", "module": module, "target": target.format(address=h.address),
                               "host": h.name, "critical": critical})
        any_critical = any(p["critical"] for p in probes)
        systems.append({"id": sid, "name_zh": names.get(sid, sid), "important": False,
                        "down_when": ANY_CRITICAL if any_critical else ALL_PROBES, "probes": probes})
    doc: dict[str, Any] = {"kind": KIND, "version": 1}
    if stack:
        doc["stack"] = stack
    doc.update({"interval_seconds": interval_seconds, "open_after": open_after, "job": job, "systems": systems})
    notes = [
        (f"govcloud sla systems{' --stack ' + stack if stack else ''}: derived from the stack outputs; "
         "review before use."),
        ("important: set true for the important systems of article 10 (fault isolated within 10 minutes); "
         "the contract does not list them."),
        ("critical: under any-critical one failing critical probe makes the system down; unset it for hosts "
         "behind a load balancer, or probe the balancer instead."),
    ]
    served = _article_1(contract)
    named = {s["name_zh"] for s in systems}
    missing = [n for n in served if n not in named]
    if served:
        notes.append(f"article 1 names {', '.join(served)}"
                     + (f"; no host of this stack serves {', '.join(missing)}" if missing else ""))
    return DerivedSystems(doc, tuple(notes))


def systems_from_stack(stack: str, *, contract: Contract | None = None,
                       interval_seconds: int = DEFAULT_INTERVAL_SECONDS, open_after: int = DEFAULT_OPEN_AFTER,
                       job: str = DEFAULT_JOB) -> DerivedSystems:
    """``derive`` over the stack's outputs (``inventory/<stack>-hosts.json``), with the system names of its host
    plan (article 1's names where the contract has them) and, when ``contract`` is given, a note on the
    systems of article 1 no host serves."""
    hosts = load_stack_hosts(stack_outputs_file(stack))
    return derive(hosts, stack=stack, names=_names(stack), contract=contract, interval_seconds=interval_seconds,
                  open_after=open_after, job=job)
