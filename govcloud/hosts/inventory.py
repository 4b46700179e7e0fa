"""Ansible inventories for a harden run: from a stack's outputs (`hosts`) or an inventory file.

Stack outputs (written by the Pulumi program, e.g. inventory/lab-hosts.json) list
hosts as {name, address, groups, role, flavor, addons, system}; each becomes an
inventory host in its groups and its role's group, with its add-ons as
`govcloud_addons` so the evidence knows what the host bought.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from govcloud.errors import InputError, Issue
from govcloud.jsondoc import load_json
from govcloud.paths import PROJECT_ROOT

STACK_OUTPUTS_DIR = PROJECT_ROOT / "inventory"


@dataclass(frozen=True)
class StackHost:
    name: str
    address: str
    groups: tuple[str, ...]
    role: str
    flavor: str
    addons: tuple[str, ...]
    system: str


def stack_outputs_file(stack: str) -> Path:
    return STACK_OUTPUTS_DIR / f"{stack}-hosts.json"


def load_stack_hosts(path: Path) -> list[StackHost]:
    """Hosts of a stack-outputs JSON file; errors name the file and the field."""
    if not path.exists():
        raise InputError.one(path, "", "stack outputs JSON with a `hosts` list (file not found; "
                                       "run the stack, or pass --inventory FILE)")
    data = load_json(path)
    rows = data.get("hosts") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise InputError.one(path, "hosts", "a list of hosts")
    issues, hosts = [], []
    for i, h in enumerate(rows):
        for key in ("name", "address"):
            if not isinstance(h, dict) or not isinstance(h.get(key), str) or not h.get(key):
                issues.append(Issue(str(path), f"hosts[{i}].{key}", "a non-empty string"))
        if isinstance(h, dict) and "/" in str(h.get("name", "")):
            issues.append(Issue(str(path), f"hosts[{i}].name", "a host name without '/' (Ansible's fact cache uses it as a file name)"))
        if issues:
            continue
        hosts.append(StackHost(h["name"], h["address"], tuple(h.get("groups") or ()), str(h.get("role") or ""),
                               str(h.get("flavor") or ""), tuple(h.get("addons") or ()), str(h.get("system") or "")))
    if issues:
        raise InputError(issues)
    return hosts


def stack_inventory(hosts: list[StackHost]) -> dict:
    """YAML-inventory dict of stack hosts."""
    groups: dict[str, dict] = {}
    for h in hosts:
        for g in {*h.groups, *([h.role] if h.role else [])}:
            groups.setdefault(g, {"hosts": {}})["hosts"][h.name] = {}
    return {"all": {
        "hosts": {h.name: {"ansible_host": h.address, "govcloud_addons": list(h.addons),
                           "govcloud_flavor": h.flavor, "govcloud_role": h.role, "govcloud_system": h.system}
                  for h in hosts},
        "children": dict(sorted(groups.items())),
    }}


def write_stack_inventory(stack: str, out_dir: Path) -> tuple[Path, dict[str, list[str]]]:
    """Write the stack's inventory to `out_dir/<stack>.yml`; return it and each host's add-ons."""
    hosts = load_stack_hosts(stack_outputs_file(stack))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{stack}.yml"
    path.write_text(yaml.safe_dump(stack_inventory(hosts), sort_keys=False))
    return path, {h.name: list(h.addons) for h in hosts}
