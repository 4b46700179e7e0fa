"""The control map (playbooks/controls.yml): 等保三级 clauses and contract add-ons as data.

Each control names the clause (GB/T 22239-2019 8.1.4.x, 安全计算环境) or add-on it
proves, the role implementing it, its status and the contract line item.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from govcloud.errors import InputError, Issue
from govcloud.paths import PROJECT_ROOT
from govcloud.schemas import load_checked
from govcloud.yamldoc import YamlDocument, format_path

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


SCHEMA = "control-map.schema.json"


def _semantic(doc: YamlDocument) -> list[Issue]:
    """What the schema cannot say: ids are unique and `covered_by` names controls of the map."""
    rows = doc.data["controls"]
    first: dict[str, int] = {}
    issues: list[Issue] = []
    for i, row in enumerate(rows):
        if row["id"] in first:
            path = ("controls", i, "id")
            issues.append(Issue(str(doc.file), format_path(path),
                                f"a unique id; {row['id']!r} is also controls[{first[row['id']]}]", doc.line_of(path)))
        first.setdefault(row["id"], i)
    for i, row in enumerate(rows):
        for j, dep in enumerate(row.get("covered_by", [])):
            if dep not in first or dep == row["id"]:
                path = ("controls", i, "covered_by", j)
                issues.append(Issue(str(doc.file), format_path(path),
                                    f"the id of another control in the map; {dep!r} is not", doc.line_of(path)))
    return issues


def load_control_map(path: Path = DEFAULT_CONTROL_MAP) -> ControlMap:
    """Read the control map, checked against schemas/control-map.schema.json, then for unique ids
    and known `covered_by` ids; every problem names the file, the field path and the line."""
    if not Path(path).exists():
        raise InputError.one(path, "", "control map file not found")
    doc = load_checked(Path(path), SCHEMA, semantic=_semantic)
    controls = tuple(
        Control(id=row["id"], clause_zh=row["clause_zh"], title=row["title"], role=row["role"],
                status=row["status"], reason=" ".join(row["reason"].split()), kernel_bound=row["kernel_bound"],
                line_item=row["line_item"], covered_by=tuple(row.get("covered_by", ())), scope=row.get("scope"))
        for row in doc.data["controls"])
    return ControlMap(Path(path), controls)
