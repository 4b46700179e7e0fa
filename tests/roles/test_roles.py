"""Static checks of the hardening roles (issue 4, item 1).

The control map (playbooks/controls.yml) is the interface between the roles
and the evidence builder: task names are "<control id> | <what it does>",
tags are the control's tag, and each toggle named in the map exists.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from .conftest import PLAYBOOKS, REPO, ROLES, VENV_BIN

NAME_RE = re.compile(r"^(?P<id>\S+) \| \S.*$")
STATUSES = {"automated", "partial", "waived", "manual"}
LINE_ITEMS = {"host_hardening", "antivirus", "host_protection", "log_analysis", "deep_monitoring", "db_audit", "vuln_scan"}
EXPECTED_ROLES = {"hardening", "antivirus", "host_protection", "log_agent", "monitoring", "db_audit", "vuln_scan"}
TASK_KEYS_NESTED = ("block", "rescue", "always")
# Ansible adds this task itself when a role has meta/argument_specs.yml.
GENERATED_TASK_PREFIX = "Validating arguments against arg spec"


def control_tag(control_id: str) -> str:
    """djbh_<id> for GB/T 22239-2019 clauses, the id with '_' for dots for add-ons."""
    return control_id.replace(".", "_") if control_id.startswith("addon.") else f"djbh_{control_id}"


def _walk(tasks: list[dict] | None, source: Path, handler: bool) -> Iterator[tuple[dict, Path, bool]]:
    for task in tasks or []:
        yield task, source, handler
        for key in TASK_KEYS_NESTED:
            yield from _walk(task.get(key), source, handler)


def all_tasks() -> list[tuple[dict, Path, bool]]:
    """Every task and handler in the roles, plus the tasks of site.yml's plays."""
    out: list[tuple[dict, Path, bool]] = []
    for path in sorted(ROLES.glob("*/tasks/*.yml")):
        out += _walk(yaml.safe_load(path.read_text()), path, False)
    for path in sorted(ROLES.glob("*/handlers/*.yml")):
        out += _walk(yaml.safe_load(path.read_text()), path, True)
    for play in yaml.safe_load((PLAYBOOKS / "site.yml").read_text()):
        for key in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            out += _walk(play.get(key), PLAYBOOKS / "site.yml", key == "handlers")
    return out


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("ANSIBLE_LOCAL_TEMP", str(REPO / ".cache" / "ansible-tmp"))
    return env


# ---------------------------------------------------------------- the roles exist


def test_every_role_of_issue_4_exists(role_names: list[str]) -> None:
    assert EXPECTED_ROLES <= set(role_names)


@pytest.mark.parametrize("role", sorted(EXPECTED_ROLES))
def test_role_layout(role: str) -> None:
    for rel in ("tasks/main.yml", "defaults/main.yml", "meta/main.yml", "meta/argument_specs.yml"):
        assert (ROLES / role / rel).is_file(), f"{role}/{rel} missing"


# ---------------------------------------------------------------- argument_specs <-> defaults


@pytest.mark.parametrize("role", sorted(EXPECTED_ROLES))
def test_argument_specs_agree_with_defaults(role: str) -> None:
    defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text()) or {}
    spec = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"]["options"]
    assert set(options) == set(defaults), (
        f"only in argument_specs: {sorted(set(options) - set(defaults))}; "
        f"only in defaults: {sorted(set(defaults) - set(options))}"
    )
    for name, option in options.items():
        assert option.get("description"), f"{role}: {name} has no description"
        assert option.get("type"), f"{role}: {name} has no type"
        assert option.get("default") == defaults[name], f"{role}: default of {name} differs"
        assert name.startswith(f"{role}_"), f"{role}: {name} lacks the role prefix"


# ---------------------------------------------------------------- the control map


def test_control_map_is_well_formed(controls: list[dict]) -> None:
    ids = [c["id"] for c in controls]
    assert len(ids) == len(set(ids)), "duplicate control ids"
    required = {"id", "clause_zh", "title", "role", "status", "reason", "kernel_bound", "line_item", "tasks"}
    for c in controls:
        assert required <= set(c), f"{c.get('id')}: missing {sorted(required - set(c))}"
        assert c["status"] in STATUSES, c["id"]
        assert c["line_item"] in LINE_ITEMS, c["id"]
        assert isinstance(c["kernel_bound"], bool), c["id"]
        assert c["reason"].strip(), c["id"]
        assert c["id"].startswith("addon.") or re.fullmatch(r"8\.1\.4\.\d+[a-g]", c["id"]), c["id"]
        if c["status"] in {"automated", "partial"}:
            assert c["role"] in EXPECTED_ROLES, f"{c['id']}: role {c['role']!r}"
            defaults = yaml.safe_load((ROLES / c["role"] / "defaults" / "main.yml").read_text())
            assert c["tasks"] in defaults, f"{c['id']}: toggle {c['tasks']!r} not in {c['role']} defaults"
            assert isinstance(defaults[c["tasks"]], bool), f"{c['id']}: toggle {c['tasks']} is not a bool"
        for other in c.get("covered_by", []):
            assert other in ids, f"{c['id']}: covered_by {other} unknown"


def test_control_map_covers_every_line_item(controls: list[dict]) -> None:
    assert {c["line_item"] for c in controls if c["status"] == "automated"} == LINE_ITEMS


def test_control_map_lists_manual_and_waived_controls(controls: list[dict]) -> None:
    statuses = {c["status"] for c in controls}
    assert {"manual", "waived", "partial", "automated"} <= statuses


# ---------------------------------------------------------------- task naming interface


def test_every_task_name_carries_a_known_control_id(controls: list[dict]) -> None:
    ids = {c["id"] for c in controls}
    bad = []
    for task, path, _ in all_tasks():
        name = task.get("name", "")
        m = NAME_RE.match(name)
        if not m or m["id"] not in ids:
            bad.append(f"{path.relative_to(REPO)}: {name!r}")
    assert not bad, "tasks without a known control id:\n" + "\n".join(bad)


def test_every_task_is_tagged_with_its_control(controls: list[dict]) -> None:
    bad = []
    for task, path, handler in all_tasks():
        if handler:
            continue
        m = NAME_RE.match(task.get("name", ""))
        assert m
        tags = task.get("tags", [])
        tags = [tags] if isinstance(tags, str) else tags
        if control_tag(m["id"]) not in tags:
            bad.append(f"{path.relative_to(REPO)}: {task['name']!r} tags {tags}")
    assert not bad, "tasks missing their control tag:\n" + "\n".join(bad)


def test_lab_packages_check_sees_the_role_packages() -> None:
    """Guard for the test above: it must resolve the apt lists, not skip them."""
    listed = set((PLAYBOOKS / "lab-packages.txt").read_text().split())
    assert {"clamav-daemon", "auditd", "aide", "rsyslog-gnutls", "prometheus-node-exporter", "lynis"} <= listed


def test_every_automated_control_has_a_task(controls: list[dict]) -> None:
    named = {NAME_RE.match(t.get("name", ""))["id"] for t, _, h in all_tasks() if not h}
    missing = [c["id"] for c in controls if c["status"] == "automated" and c["id"] not in named]
    assert not missing, f"automated controls without a task: {missing}"


def test_kernel_bound_controls_record_a_waiver(controls: list[dict]) -> None:
    waivers = {
        NAME_RE.match(t["name"])["id"]
        for t, _, _ in all_tasks()
        if " | waived: " in t.get("name", "") and "ansible.builtin.debug" in t
    }
    missing = [c["id"] for c in controls if c["kernel_bound"] and c["role"] and c["id"] not in waivers]
    assert not missing, f"kernel-bound controls without a waiver task: {missing}"


def test_waiver_tasks_report_status_control_and_reason() -> None:
    for task, path, _ in all_tasks():
        if " | waived: " not in task.get("name", ""):
            continue
        msg = task["ansible.builtin.debug"]["msg"]
        assert msg["status"] == "waived", path
        assert msg["control"] == NAME_RE.match(task["name"])["id"], path
        assert msg["reason"], path
        assert "waiver" in task["tags"], path


def test_modules_are_fully_qualified() -> None:
    task_keywords = {
        "name", "when", "tags", "register", "loop", "loop_control", "notify", "vars", "become", "become_user",
        "changed_when", "failed_when", "check_mode", "delegate_to", "run_once", "no_log", "environment",
        "block", "rescue", "always", "ignore_errors", "listen", "args",
    }
    for task, path, _ in all_tasks():
        modules = [k for k in task if k not in task_keywords]
        for module in modules:
            assert module.startswith(("ansible.builtin.", "community.", "ansible.posix.", "govcloud.hosts.")), f"{path}: {module}"


# ---------------------------------------------------------------- lab packages


def test_lab_packages_list_every_literal_package_the_roles_install() -> None:
    listed = set((PLAYBOOKS / "lab-packages.txt").read_text().split())
    wanted: set[str] = set()
    for task, path, _ in all_tasks():
        apt = task.get("ansible.builtin.apt")
        if not apt or apt.get("state") != "present":
            continue
        names = apt["name"]
        # "{{ <role>_apt_names }}" comes from the task's vars (literal list or another variable).
        m = re.fullmatch(r"\{\{ (\w+) \}\}", names) if isinstance(names, str) else None
        if m and m[1] in task.get("vars", {}):
            names = task["vars"][m[1]]
        m = re.fullmatch(r"\{\{ (\w+) \}\}", names) if isinstance(names, str) else None
        if m:
            role = path.parts[-3]
            data = yaml.safe_load((ROLES / role / "vars" / "main.yml").read_text()) or {}
            data |= yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text()) or {}
            names = data.get(m[1], [])
        names = [names] if isinstance(names, str) else names
        wanted |= {n for n in names if "{" not in n}
    for role_vars in ROLES.glob("*/vars/main.yml"):
        data = yaml.safe_load(role_vars.read_text()) or {}
        wanted |= set(data.get(f"{role_vars.parts[-3]}_packages", []))
    # Installed only on full machines (kernel-bound AppArmor), never on lab hosts.
    wanted -= {"apparmor", "apparmor-utils"}
    assert wanted <= listed, f"missing from lab-packages.txt: {sorted(wanted - listed)}"


# ---------------------------------------------------------------- ansible tooling


def test_site_yml_syntax_check() -> None:
    result = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "--syntax-check", "-i", "localhost,", str(PLAYBOOKS / "site.yml")],
        capture_output=True, text=True, cwd=REPO, env=_env(), timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# Everything under playbooks/: site.yml, the roles, the collection, the evidence play and the runbooks.
LINT_PATHS = ["playbooks/"]


@pytest.mark.slow
def test_ansible_lint_production_profile() -> None:
    result = subprocess.run(
        [str(VENV_BIN / "ansible-lint"), "--profile", "production", "--nocolor", *LINT_PATHS],
        capture_output=True, text=True, cwd=REPO, env=_env(), timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


@pytest.mark.parametrize("role", sorted(EXPECTED_ROLES))
def test_role_variables_used_are_defined(role: str) -> None:
    """Every <role>_* name used in tasks, handlers and templates is a default, a
    role var, a registered result or a task var (catches a default lost in an edit)."""
    root = ROLES / role
    defined: set[str] = set()
    for rel in ("defaults/main.yml", "vars/main.yml"):
        if (root / rel).exists():
            defined |= set(yaml.safe_load((root / rel).read_text()) or {})
    for path in [*root.glob("tasks/*.yml"), *root.glob("handlers/*.yml")]:
        for task, _, _ in _walk(yaml.safe_load(path.read_text()), path, False):
            if "register" in task:
                defined.add(task["register"])
            defined |= set(task.get("vars", {}))
    used: set[str] = set()
    pattern = re.compile(rf"\b{role}_[a-z0-9_]+\b")
    for path in [*root.glob("tasks/*.yml"), *root.glob("handlers/*.yml"), *root.glob("templates/*"),
                 *root.glob("vars/*.yml"), *root.glob("defaults/*.yml")]:
        used |= set(pattern.findall(path.read_text()))
    # names that only appear as parts of file names or tags
    used = {u for u in used if not (ROLES / role / "templates" / u).exists()}
    assert used <= defined, f"{role}: used but never defined: {sorted(used - defined)}"
