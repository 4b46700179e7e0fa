"""Recorded waivers for OpenSCAP rules (playbooks/scan-waivers.yml, schemas/scan-waivers.schema.json).

The OpenSCAP judge of issue 4 counts every applicable rule that fails on a hardened host; a rule
may fail only with a waiver here that says why (a kernel the container lacks, partitions fixed by the
provider's image, a value chosen for 等保三级 / GB/T 22239-2019 8.1.4 that differs from the profile's,
a scanner limitation) and, where one exists, the control of playbooks/controls.yml it relates to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from govcloud.errors import InputError, Issue
from govcloud.paths import PROJECT_ROOT
from govcloud.schemas import load_checked
from govcloud.yamldoc import YamlDocument, format_path

from .controls import ControlMap, load_control_map

DEFAULT_SCAN_WAIVERS = PROJECT_ROOT / "playbooks" / "scan-waivers.yml"
SCHEMA = "scan-waivers.schema.json"
HOST_KINDS = ("container", "chroot", "machine")


@dataclass(frozen=True)
class ScanWaiver:
    """One rule accepted as failing, in some profiles, on some kinds of host."""

    rule: str
    profiles: tuple[str, ...]
    reason: str
    control: str | None = None
    host_kinds: tuple[str, ...] = HOST_KINDS

    def applies(self, profile: str, rule: str, host_kind: str) -> bool:
        return rule == self.rule and profile in self.profiles and host_kind in self.host_kinds


@dataclass(frozen=True)
class ScanWaivers:
    path: Path
    content: str
    waivers: tuple[ScanWaiver, ...]

    def find(self, profile: str, rule: str, host_kind: str) -> ScanWaiver | None:
        """The waiver of `rule` in `profile` on a host of `host_kind`, if one is recorded."""
        return next((w for w in self.waivers if w.applies(profile, rule, host_kind)), None)


def _semantic(cmap: ControlMap):
    def check(doc: YamlDocument) -> list[Issue]:
        issues: list[Issue] = []
        seen: dict[tuple[str, str, str], int] = {}
        for i, w in enumerate(doc.data["waivers"]):
            keys = [(w["rule"], p, k) for p in w["profiles"] for k in w.get("host_kinds", HOST_KINDS)]
            clash = next((k for k in keys if k in seen), None)
            if clash is not None:
                path = ("waivers", i, "rule")
                issues.append(Issue(str(doc.file), format_path(path),
                                    f"one waiver per rule, profile and host kind; {clash[0]!r} in {clash[1]!r} "
                                    f"on {clash[2]} hosts is also waivers[{seen[clash]}]", doc.line_of(path)))
            for k in keys:
                seen.setdefault(k, i)
            control = w.get("control")
            if control is not None and cmap.get(control) is None:
                path = ("waivers", i, "control")
                issues.append(Issue(str(doc.file), format_path(path),
                                    f"the id of a control in {cmap.path.name}; {control!r} is not", doc.line_of(path)))
        return issues
    return check


def load_scan_waivers(path: Path = DEFAULT_SCAN_WAIVERS, control_map: ControlMap | None = None) -> ScanWaivers:
    """Read the waiver file: schema, then one waiver per (rule, profile, host kind) and known control ids."""
    if not Path(path).exists():
        raise InputError.one(path, "", "scan waiver file not found")
    cmap = control_map or load_control_map()
    doc = load_checked(Path(path), SCHEMA, semantic=_semantic(cmap))
    waivers = tuple(
        ScanWaiver(rule=w["rule"], profiles=tuple(w["profiles"]), reason=" ".join(w["reason"].split()),
                   control=w.get("control"), host_kinds=tuple(w.get("host_kinds", HOST_KINDS)))
        for w in doc.data["waivers"])
    return ScanWaivers(Path(path), doc.data["content"], waivers)
