"""The control map loader (playbooks/controls.yml): schemas/control-map.schema.json through
govcloud.schemas.load_checked, then unique ids and known covered_by ids; errors name file, field, line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from govcloud.errors import InputError
from govcloud.hosts.controls import load_control_map

ROW = ('  - id: "{id}"\n    clause_zh: 身份鉴别 a\n    title: passwords\n    role: {role}\n    status: {status}\n'
       '    reason: pwquality minlen=12\n    kernel_bound: false\n    line_item: host_hardening\n'
       '    tasks: hardening_password_policy_enabled\n')


def _map(tmp_path: Path, *rows: str, extra: str = "") -> Path:
    p = tmp_path / "controls.yml"
    p.write_text("---\ncontrols:\n" + "".join(rows) + extra, encoding="utf-8")
    return p


def _issues(path: Path) -> list[str]:
    with pytest.raises(InputError) as err:
        load_control_map(path)
    for issue in err.value.issues:
        assert issue.file == str(path)
    return [f"{i.line}:{i.path}: {i.expected}" for i in err.value.issues]


def test_a_good_map_loads(tmp_path):
    p = _map(tmp_path, ROW.format(id="8.1.4.1a", role="hardening", status="automated"),
             ROW.format(id="8.1.4.8b", role="null", status="partial") + "    covered_by: [\"8.1.4.1a\"]\n")
    cmap = load_control_map(p)
    assert cmap.ids == ["8.1.4.1a", "8.1.4.8b"]
    assert cmap.get("8.1.4.8b").covered_by == ("8.1.4.1a",) and cmap.get("8.1.4.8b").role is None


def test_a_bad_status_names_file_field_and_line(tmp_path):
    p = _map(tmp_path, ROW.format(id="8.1.4.1a", role="hardening", status="automated"),
             ROW.format(id="8.1.4.1b", role="hardening", status="sometimes"))
    assert _issues(p) == ["16:controls[1].status: expected one of automated, partial, waived, manual; got 'sometimes'"]


def test_missing_fields_typos_and_wrong_types(tmp_path):
    bad = ROW.format(id="8.1.4.1a", role="hardening", status="automated")
    bad = bad.replace("    kernel_bound: false\n", "    kernel_bound: sometimes\n").replace("    title: passwords\n", "")
    bad += "    covred_by: []\n"
    issues = _issues(_map(tmp_path, bad))
    assert "3:controls[0].title: missing required field 'title'" in issues
    assert "8:controls[0].kernel_bound: expected true or false, got 'sometimes'" in issues
    assert any(i.startswith("11:controls[0].covred_by: unknown field 'covred_by'") for i in issues), issues


def test_an_automated_control_names_its_role_and_toggle(tmp_path):
    row = ROW.format(id="addon.hardening.sysctl", role="null", status="automated")
    assert _issues(_map(tmp_path, row)) == ["6:controls[0].role: expected a string, got None"]


def test_bad_ids_duplicates_and_unknown_covered_by(tmp_path):
    p = _map(tmp_path, ROW.format(id="8.1.4.1a", role="hardening", status="automated"),
             ROW.format(id="8.1.4.1a", role="hardening", status="automated") + "    covered_by: [\"8.1.4.9z\"]\n")
    assert _issues(p) == ["12:controls[1].id: a unique id; '8.1.4.1a' is also controls[0]",
                          "21:controls[1].covered_by[0]: the id of another control in the map; '8.1.4.9z' is not"]
    p = _map(tmp_path, ROW.format(id="1.2.3", role="hardening", status="automated"))
    assert _issues(p)[0].startswith("3:controls[0].id: expected a clause id such as 8.1.4.1a")


def test_not_yaml_not_a_mapping_and_missing_file(tmp_path):
    p = tmp_path / "controls.yml"
    p.write_text("controls: [\n", encoding="utf-8")
    assert len(_issues(p)) == 1
    p.write_text("- just a list\n", encoding="utf-8")
    assert _issues(p) == ["1:: expected a mapping at the top, got list"]
    with pytest.raises(InputError, match="control map file not found"):
        load_control_map(tmp_path / "missing.yml")


def test_the_project_map_loads_with_its_line_numbers():
    cmap = load_control_map()
    assert len(cmap.ids) == len(set(cmap.ids)) >= 48
    assert all(c.role and c.reason for c in cmap.controls if c.status == "automated")
    assert cmap.get("8.1.4.1a").tag == "djbh_8.1.4.1a"


def test_govcloud_harden_refuses_a_bad_control_map_before_running(tmp_path):
    p = _map(tmp_path, ROW.format(id="8.1.4.1b", role="hardening", status="sometimes"))
    inv = tmp_path / "inventory.yml"
    inv.write_text("all:\n  hosts:\n    h1: {ansible_host: 192.0.2.1}\n", encoding="utf-8")
    run_dir = tmp_path / "run"
    out = subprocess.run([sys.executable, "-m", "govcloud.cli", "harden", "--inventory", str(inv), "--check",
                          "--control-map", str(p), "--run-dir", str(run_dir)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and not run_dir.exists()
    assert f"{p}:7: controls[0].status: expected one of automated" in out.stdout + out.stderr
