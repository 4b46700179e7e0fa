"""The control map (playbooks/controls.yml): 等保三级 clauses and contract add-ons as data.

Each control names the clause (GB/T 22239-2019 8.1.4.x, 安全计算环境) or add-on it
proves, the role implementing it, its status and the contract line item.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from govcloud.errors import InputError, Issue
from govcloud.paths import PROJECT_ROOT

DEFAULT_CONTROL_MAP = PROJECT_ROOT / "playbooks" / "controls.yml"
STATUSES = ("automated", "partial", "waived", "manual")


@dataclass(frozen=True)
class Control:
    """One row of the control map."""

    id: str
    clause_zh: str
    title: str
    role: str | None
    status: str
    reason: str
    kernel_bound: bool
    line_item: str
    covered_by: tuple[str, ...] = ()
    scope: str | None = None

    @property
    def tag(self) -> str:
        """The Ansible tag of the control: djbh_<id> for clauses, dots→underscores for add-ons."""
        return f"djbh_{self.id}" if self.id[:1].isdigit() else self.id.replace(".", "_")

    @property
    def is_clause(self) -> bool:
        return self.id[:1].isdigit()


@dataclass(frozen=True)
class ControlMap:
    path: Path
    controls: tuple[Control, ...]

    def get(self, control_id: str) -> Control | None:
        return next((c for c in self.controls if c.id == control_id), None)

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.controls]


_REQUIRED = {"id": str, "clause_zh": str, "title": str, "status": str, "line_item": str}


def load_control_map(path: Path = DEFAULT_CONTROL_MAP) -> ControlMap:
    """Read and check the control map; every problem names the file and the field."""
    if not path.exists():
        raise InputError.one(path, "", "control map file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError.one(path, "", f"valid YAML ({exc})") from None
    rows = data.get("controls") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise InputError.one(path, "controls", "a list of controls under the top-level key `controls`")
    issues: list[Issue] = []
    controls: list[Control] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        where = f"controls[{i}]"
        if not isinstance(row, dict):
            issues.append(Issue(str(path), where, "a mapping"))
            continue
        for key, typ in _REQUIRED.items():
            if not isinstance(row.get(key), typ) or not row.get(key):
                issues.append(Issue(str(path), f"{where}.{key}", f"a non-empty {typ.__name__}"))
        status = row.get("status")
        if status not in STATUSES:
            issues.append(Issue(str(path), f"{where}.status", f"one of {', '.join(STATUSES)}; got {status!r}"))
        cid = str(row.get("id", ""))
        if cid in seen:
            issues.append(Issue(str(path), f"{where}.id", f"a unique id; {cid!r} appears twice"))
        seen.add(cid)
        if issues:
            continue
        controls.append(Control(
            id=cid, clause_zh=row["clause_zh"], title=row["title"], role=row.get("role"),
            status=status, reason=" ".join(str(row.get("reason") or "").split()),
            kernel_bound=bool(row.get("kernel_bound", False)), line_item=row["line_item"],
            covered_by=tuple(str(c) for c in row.get("covered_by") or ()), scope=row.get("scope"),
        ))
    for c in controls:
        for dep in c.covered_by:
            if dep not in seen:
                issues.append(Issue(str(path), f"controls[{c.id}].covered_by", f"ids of controls in the map; {dep!r} is not"))
    if issues:
        raise InputError(issues)
    return ControlMap(path, tuple(controls))
